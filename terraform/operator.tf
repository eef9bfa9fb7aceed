# operator: the read-only page and JSON of one interaction's timeline and a day at a glance
# (functions/operator/README.md). access "iam" in functions/functions.json: no allUsers; Cloud
# Run's invoker check admits only the operators' group below. Reads Firestore (viewer) and
# the archive's object metadata (objectViewer); writes nothing.

variable "operator_invoker_group" {
  description = "Google group whose members may open the operator page (roles/run.invoker on the operator service), e.g. ccbridge-operators@example.com. Null: nobody is granted (the service is still deployed, private)."
  type        = string
  default     = null
  validation {
    condition     = var.operator_invoker_group == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.operator_invoker_group))
    error_message = "operator_invoker_group must be a group's email address (no \"group:\" prefix)."
  }
}

locals {
  operator_function_env = {
    "operator" = {
      ARCHIVE_BUCKET = module.storage.archive_bucket_name
      # Whether the nightly run queues given-up artifacts again: the verdict says so.
      RECONCILE_RETRY_FAILED       = "true"
      UI_CONNECTOR_DEFAULT_COUNTRY = var.phone_default_country
    }
  }
  # The ui-connector's conversation-key hash key, to find a registration by the hash of the
  # number an operator types (the same secrets the ui-connector mounts; the JWT key only
  # derives the hash key when the key-hash secret is empty, as functions/ui-connector does).
  operator_secret_env = {
    "operator" = {
      UI_CONNECTOR_KEY_HASH_SECRET = "ui-connector-key-hash-secret"
      UI_CONNECTOR_JWT_SECRET      = "ui-connector-jwt-secret"
    }
  }
  operator_function_access = {
    # Read-only: Firestore viewer (ledger, event keys, reconciliation, registrations, crm journal); archive object metadata.
    "operator" = { project_roles = ["roles/datastore.viewer"], publishes = [], buckets = { archive = "roles/storage.objectViewer" }, signs_urls = false }
  }
}

resource "google_cloud_run_service_iam_member" "operator_invoker" {
  for_each = var.operator_invoker_group == null ? {} : { group = var.operator_invoker_group }

  project  = var.project_id
  location = var.region
  service  = module.function["operator"].service_name
  role     = "roles/run.invoker"
  member   = "group:${each.value}"
}
