# Cloud Storage: the interaction archive, the CCAI Platform external-storage bucket with its
# own service account (its key is created by the operator, never by Terraform: key material
# must not pass through state), and the bucket the function bundles are uploaded to.

locals {
  storage_class_steps = {
    NEARLINE = { age = var.archive_storage_class_days.nearline, from = ["STANDARD"] }
    COLDLINE = { age = var.archive_storage_class_days.coldline, from = ["STANDARD", "NEARLINE"] }
    ARCHIVE  = { age = var.archive_storage_class_days.archive, from = ["STANDARD", "NEARLINE", "COLDLINE"] }
  }
}

# --- Interaction archive (recordings, transcripts, voicemails fetched from Zoom) ---------------

resource "google_storage_bucket" "archive" {
  project  = var.project_id
  name     = "${var.bucket_prefix}-archive"
  location = var.location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  dynamic "lifecycle_rule" {
    for_each = local.storage_class_steps
    content {
      condition {
        age                   = lifecycle_rule.value.age
        matches_storage_class = lifecycle_rule.value.from
        with_state            = "LIVE"
      }
      action {
        type          = "SetStorageClass"
        storage_class = lifecycle_rule.key
      }
    }
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.archive_noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  dynamic "retention_policy" {
    for_each = var.archive_retention_days > 0 ? [var.archive_retention_days] : []
    content {
      retention_period = retention_policy.value * 86400
      is_locked        = var.archive_retention_locked
    }
  }

  lifecycle {
    precondition {
      condition     = !var.archive_retention_locked || var.archive_retention_days > 0
      error_message = "archive_retention_locked needs archive_retention_days > 0."
    }
  }
}

# --- CCAI Platform external storage -----------------------------------------------------------
# CCAI Platform writes call recordings, chat transcripts and metadata files here with the
# JSON key of its own service account, which can touch objects of this bucket only.
#
# The key: google_service_account_key exposes private_key as a computed attribute (always in
# state) and provider 6.50 has no write-only or ephemeral form of it, so Terraform creates no
# key. The operator creates one and stores it as a version of the ccaip-storage-key secret
# (terraform/README.md, "CCAI Platform external storage"); nothing of it reaches state.

resource "google_storage_bucket" "ccaip" {
  project  = var.project_id
  name     = "${var.bucket_prefix}-ccaip"
  location = var.location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.archive_noncurrent_version_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

resource "google_service_account" "ccaip" {
  project      = var.project_id
  account_id   = "ccaip-storage"
  display_name = "CCAI Platform external storage"
  description  = "Used only by CCAI Platform (JSON key) to write its files to the external-storage bucket."
}

# What CCAI Platform does with its files: write them (a rewrite of the same name replaces the
# object), read, list and delete them. Storage Object Admin, which its setup pages name, adds
# object ACL/IAM, retention and restore rights it has no use for. If the portal's connection
# test wants more, set ccaip_storage_role = "roles/storage.objectAdmin" (docs/contracts/google-cloud.md).
resource "google_project_iam_custom_role" "ccaip_storage" {
  count = var.ccaip_storage_role == "custom" ? 1 : 0

  project     = var.project_id
  role_id     = "ccbridgeCcaipStorage"
  title       = "ccbridge CCAI Platform external storage"
  description = "CCAI Platform's files in its external-storage bucket: create, read, list, overwrite, delete."
  permissions = ["storage.objects.create", "storage.objects.get", "storage.objects.list", "storage.objects.update", "storage.objects.delete", "storage.buckets.get"]
}

resource "google_storage_bucket_iam_member" "ccaip_storage" {
  bucket = google_storage_bucket.ccaip.name
  role   = var.ccaip_storage_role == "custom" ? google_project_iam_custom_role.ccaip_storage[0].id : var.ccaip_storage_role
  member = google_service_account.ccaip.member
}

# The secret holds the key the operator created; Terraform never writes a version of it.
resource "google_secret_manager_secret" "ccaip_key" {
  project   = var.project_id
  secret_id = "ccaip-storage-key"

  annotations = {
    description = "JSON key of the ccaip-storage service account, added by the operator (gcloud secrets versions add); uploaded to the CCAI Platform portal"
  }

  replication {
    auto {}
  }
}

# --- Function bundles (zip uploads read by Cloud Build) ---------------------------------------

resource "google_storage_bucket" "sources" {
  project  = var.project_id
  name     = "${var.bucket_prefix}-gcf-src"
  location = var.location

  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true
}
