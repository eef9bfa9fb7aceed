# One gen2 function: its own service account with only the grants it is given, the zipped
# bundle from the build, and the function itself. Invoker bindings live in the root module
# (functions.tf), next to the list of public functions.

locals {
  # Firestore has no IAM below the database: the narrowest grant is the role on this database only.
  firestore_database_name = "projects/${var.project_id}/databases/${var.firestore_database}"
}

resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = "fn-${var.name}"
  display_name = "ccbridge function ${var.name}"
  description  = "Runtime identity of the ${var.name} function."
}

resource "google_project_iam_member" "this" {
  for_each = toset(var.project_roles)

  project = var.project_id
  role    = each.value
  member  = google_service_account.this.member

  dynamic "condition" {
    for_each = startswith(each.value, "roles/datastore.") ? [local.firestore_database_name] : []
    content {
      title       = "ccbridge-firestore-database"
      description = "Only the ccbridge Firestore database"
      expression  = "resource.name == \"${condition.value}\" || resource.name.startsWith(\"${condition.value}/\")"
    }
  }
}

resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = var.publish_topic_ids

  project = var.project_id
  topic   = each.value
  role    = "roles/pubsub.publisher"
  member  = google_service_account.this.member
}

resource "google_storage_bucket_iam_member" "this" {
  for_each = var.bucket_roles

  bucket = each.value.bucket
  role   = each.value.role
  member = google_service_account.this.member
}

# Signing without a key file: the Storage client asks IAM to sign with this very account.
resource "google_service_account_iam_member" "sign_blob" {
  count = var.sign_blobs ? 1 : 0

  service_account_id = google_service_account.this.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.this.member
}

resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = toset(values(var.secret_env))

  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.this.member
}

# --- Source ------------------------------------------------------------------------------------

data "archive_file" "bundle" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "${path.root}/.build/${var.name}.zip"
}

resource "google_storage_bucket_object" "bundle" {
  bucket       = var.source_bucket
  name         = "${var.name}/${data.archive_file.bundle.output_md5}.zip"
  source       = data.archive_file.bundle.output_path
  content_type = "application/zip"
}

# --- Function ----------------------------------------------------------------------------------

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = var.name
  description = var.description

  build_config {
    runtime         = "nodejs22"
    entry_point     = var.entry_point
    service_account = var.build_service_account

    source {
      storage_source {
        bucket = google_storage_bucket_object.bundle.bucket
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    available_memory                 = var.settings.available_memory
    available_cpu                    = var.settings.available_cpu
    max_instance_request_concurrency = var.settings.max_instance_request_concurrency
    timeout_seconds                  = var.settings.timeout_seconds
    min_instance_count               = var.settings.min_instance_count
    max_instance_count               = var.settings.max_instance_count
    ingress_settings                 = var.ingress_settings
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.this.email

    # LOG_EXECUTION_ID: the platform sets it anyway; declaring it avoids a permanent diff.
    # NODE_OPTIONS: read by Node itself before the function loads (V8's heap sizing).
    environment_variables = merge({ LOG_EXECUTION_ID = "true" }, var.node_options == null ? {} : { NODE_OPTIONS = var.node_options }, var.env)

    dynamic "secret_environment_variables" {
      for_each = var.secret_env
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  # A secret must be readable before the revision that mounts it starts.
  depends_on = [google_secret_manager_secret_iam_member.accessor]
}
