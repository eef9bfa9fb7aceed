# operator: the read-only page and JSON of one interaction's timeline and a day at a glance
# (functions/operator/README.md). access "iam" in functions/functions.json: no allUsers; Cloud
# Run's invoker check admits only the operators' group below. Reads Firestore (viewer) and
# the archive's object metadata (objectViewer); writes nothing. Optionally behind IAP (below).
# Also here: the subscription that records what the worker's subscription dead-letters, which
# the operator's timeline and day view show.

variable "operator_invoker_group" {
  description = "Google group whose members may open the operator page (roles/run.invoker on the operator service), e.g. ccbridge-operators@example.com. Null: nobody is granted (the service is still deployed, private)."
  type        = string
  default     = null
  validation {
    condition     = var.operator_invoker_group == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.operator_invoker_group))
    error_message = "operator_invoker_group must be a group's email address (no \"group:\" prefix)."
  }
}

variable "operator_iap_enabled" {
  description = "Put the operator page behind Identity-Aware Proxy, directly on its Cloud Run service (docs/contracts/google-cloud.md, IAP): operator_invoker_group becomes its IAP-secured Web App User, IAP's service agent its invoker, and the function checks IAP's signed header. Provider 6.50 cannot switch IAP on for the service itself: run the command of output operator_iap_commands once after apply (terraform/README.md). Needs the project in an organization."
  type        = bool
  default     = false
  validation {
    condition     = !var.operator_iap_enabled || (var.operator_invoker_group != null && var.operator_iap_audience != null)
    error_message = "operator_iap_enabled needs operator_invoker_group (who may pass IAP) and operator_iap_audience (the aud of IAP's signed header)."
  }
}

variable "operator_iap_audience" {
  description = "The `aud` claim of the x-goog-iap-jwt-assertion IAP sends to the operator (OPERATOR_IAP_AUDIENCE; comma-separated for several). Its form for IAP enabled directly on Cloud Run is not documented by Google (docs/contracts/google-cloud.md, IAP): read it from a first request's assertion. Behind a load balancer: /projects/PROJECT_NUMBER/global/backendServices/SERVICE_ID."
  type        = string
  default     = null
}

locals {
  operator_function_env = {
    "operator" = merge(
      {
        ARCHIVE_BUCKET = module.storage.archive_bucket_name
        # Whether the nightly run queues given-up artifacts again: the verdict says so.
        RECONCILE_RETRY_FAILED       = "true"
        UI_CONNECTOR_DEFAULT_COUNTRY = var.phone_default_country
      },
      # Behind IAP the function checks IAP's signed header too (a request that bypassed IAP is refused).
      var.operator_iap_enabled ? { OPERATOR_REQUIRE_IAP = "true", OPERATOR_IAP_AUDIENCE = var.operator_iap_audience } : {},
    )
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

# --- IAP (optional) ---------------------------------------------------------------------------
# Google recommends enabling IAP directly on the Cloud Run service rather than through a load
# balancer with a serverless NEG (docs/contracts/google-cloud.md, IAP). Provider 6.50 (pinned in
# versions.tf) cannot express that switch: `iap_enabled` exists only on google-beta's
# google_cloud_run_v2_service, and the operator is a google_cloudfunctions2_function, which has no
# such argument. What 6.50 can express is here: the API, who may pass IAP, and IAP's right to
# invoke the service; the switch itself is output operator_iap_commands, run once after apply.

resource "google_project_service" "iap" {
  count = var.enable_apis && var.operator_iap_enabled ? 1 : 0

  project            = var.project_id
  service            = "iap.googleapis.com"
  disable_on_destroy = false
}

# The operators' group may pass IAP in front of the operator service.
resource "google_iap_web_cloud_run_service_iam_member" "operator_accessor" {
  count = var.operator_iap_enabled ? 1 : 0

  project                = var.project_id
  location               = var.region
  cloud_run_service_name = module.function["operator"].service_name
  role                   = "roles/iap.httpsResourceAccessor"
  member                 = "group:${var.operator_invoker_group}"

  depends_on = [google_project_service.iap]
}

# A request IAP let through reaches Cloud Run's invoker check as IAP's service agent.
resource "google_cloud_run_service_iam_member" "operator_iap_invoker" {
  count = var.operator_iap_enabled ? 1 : 0

  project  = var.project_id
  location = var.region
  service  = module.function["operator"].service_name
  role     = "roles/run.invoker"
  member   = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-iap.iam.gserviceaccount.com"

  depends_on = [google_project_service.iap]
}

output "operator_iap_commands" {
  description = "Run once after apply when operator_iap_enabled (provider 6.50 cannot switch IAP on for the service): enables IAP directly on the operator's Cloud Run service."
  value       = var.operator_iap_enabled ? ["gcloud run services update ${module.function["operator"].service_name} --project=${var.project_id} --region=${var.region} --iap"] : []
}

# --- Dead letters, recorded -------------------------------------------------------------------
# What the worker's push subscription dead-letters is pushed, with an OIDC token of the account
# that alone may invoke the worker, to the worker's POST /dead-letters, which records it for the
# operators (functions/interaction-worker/dead-letters.ts). terraform/delivery.json
# deadLetterRecording is the one description (the local stack provisions the same). No dead-letter
# policy of its own: what it cannot record stays on the topic's -inspect subscription.

resource "google_pubsub_subscription" "dead_letter_record" {
  project = var.project_id
  name    = local.delivery.deadLetterRecording.subscription
  topic   = module.pubsub.dead_letter_topic_ids[local.delivery.deadLetterRecording.sourceTopic]

  ack_deadline_seconds       = local.delivery.deadLetterRecording.ackDeadlineSeconds
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = "${module.function[local.delivery.deadLetterRecording.function].url}${local.delivery.deadLetterRecording.path}"
    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      audience              = module.function[local.delivery.deadLetterRecording.function].url
    }
  }

  retry_policy {
    minimum_backoff = "${local.delivery.deadLetterRecording.minimumBackoffSeconds}s"
    maximum_backoff = "${local.delivery.deadLetterRecording.maximumBackoffSeconds}s"
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_service_account_iam_member.pubsub_token_creator, google_cloud_run_service_iam_member.push_invoker]
}
