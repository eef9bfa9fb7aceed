# Cloud Storage: the interaction archive, the CCAI Platform external-storage bucket with its
# own service account and key, and the bucket the function bundles are uploaded to.

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

resource "google_storage_bucket_iam_member" "ccaip_object_admin" {
  bucket = google_storage_bucket.ccaip.name
  role   = "roles/storage.objectAdmin"
  member = google_service_account.ccaip.member
}

resource "google_service_account_key" "ccaip" {
  count = var.ccaip_bring_your_own_key ? 0 : 1

  service_account_id = google_service_account.ccaip.name
  keepers = {
    rotation = var.ccaip_key_rotation
  }
}

resource "google_secret_manager_secret" "ccaip_key" {
  project   = var.project_id
  secret_id = "ccaip-storage-key"

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "ccaip_key" {
  count = var.ccaip_bring_your_own_key ? 0 : 1

  secret = google_secret_manager_secret.ccaip_key.id
  # private_key is the base64 of the JSON key file.
  secret_data = base64decode(google_service_account_key.ccaip[0].private_key)
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
