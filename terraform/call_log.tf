# call-log: one CRM call log per Twilio call (functions/call-log/README.md).
# The function is created with the others from functions/functions.json (functions.tf). It is
# public because Twilio calls it (status callbacks, verified by X-Twilio-Signature against its
# configured URL); its two other endpoints verify Google OIDC tokens themselves:
#  - /events: the call-log-push subscription on conversation-events (terraform/delivery.json,
#    created in main.tf's module.pubsub with a dead-letter topic), OIDC token of call-log's own
#    service account — the only identity CALL_LOG_PUSH_INVOKERS accepts;
#  - /sweep: the Cloud Scheduler job below, OIDC token of a dedicated account that holds nothing.
# Its own service account: Datastore User (call states, leases) and nothing else — no topic,
# no bucket; it writes the CRM through the crm function with the contract's client credentials.

variable "call_log_unknown_caller" {
  description = "CALL_LOG_UNKNOWN_CALLER: a caller no CRM record matches gets a new Lead or Contact (Salesforce; the one kind of account elsewhere), or none = the call is logged on call_log_default_account_id."
  type        = string
  default     = "none"

  validation {
    condition     = contains(["Lead", "Contact", "none"], var.call_log_unknown_caller)
    error_message = "call_log_unknown_caller must be Lead, Contact or none."
  }
}

variable "call_log_default_account_id" {
  description = "CALL_LOG_DEFAULT_ACCOUNT_ID: the CRM account withheld and unmatched callers' logs hang on (e.g. a Salesforce Account \"Unknown callers\"). Null: logged without an account."
  type        = string
  default     = null
}

variable "call_log_field_map" {
  description = "CALL_LOG_FIELD_MAP: CrmField-Source pairs separated by | (e.g. CallerCity__c-FromCity), sources from Twilio's status callback, written into the CRM's own fields (Salesforce: custom Task fields; ServiceNow: incident columns; Zendesk: ticket field ids; none for Be Aware 360); checked at start against the CRM crm_mode/crm_adapter name."
  type        = string
  default     = ""
}

variable "call_log_time_zone" {
  description = "CALL_LOG_TIME_ZONE: the contact center's IANA time zone; a call is dated (Salesforce Task ActivityDate, a date without time) by the day it started there."
  type        = string
  default     = "UTC"
}

variable "call_log_sweep_schedule" {
  description = "When the call-log sweep runs (cron, Cloud Scheduler): logs calls whose registration expired without a completion, and retries failed CRM writes."
  type        = string
  default     = "*/15 * * * *"
}

locals {
  call_log_url = local.function_urls["call-log"]

  call_log_function_env = {
    "call-log" = merge(
      {
        PUBLIC_BASE_URL         = local.public_base_url
        CALL_LOG_PUBLIC_URL     = local.call_log_url
        CALL_LOG_AUDIENCE       = local.call_log_url
        CALL_LOG_UNKNOWN_CALLER = var.call_log_unknown_caller
        CALL_LOG_FIELD_MAP      = var.call_log_field_map
        CALL_LOG_TIME_ZONE      = var.call_log_time_zone
        # The CRM behind the crm function: whose field names CALL_LOG_FIELD_MAP may use.
        CALL_LOG_CRM            = var.crm_mode == "mock" ? "mock" : coalesce(var.crm_adapter, "mock")
        CALL_LOG_PUSH_INVOKERS  = "fn-call-log@${var.project_id}.iam.gserviceaccount.com"
        CALL_LOG_SWEEP_INVOKERS = "call-log-sweep@${var.project_id}.iam.gserviceaccount.com"
        # Like interaction-worker: the CRM through the crm function's contract (mock or real mode).
        CRM_ADAPTER         = "contract"
        CRM_BASE_URL        = local.function_urls["crm"]
        CRM_CLIENT_AUTH     = var.crm_client_auth
        CRM_DEFAULT_COUNTRY = var.phone_default_country
      },
      local.crm_auth[var.crm_client_auth].env,
      var.call_log_default_account_id == null ? {} : { CALL_LOG_DEFAULT_ACCOUNT_ID = var.call_log_default_account_id },
    )
  }

  # The Twilio auth token(s) verify the callbacks; the contract client's secret reaches the crm function.
  call_log_secret_env = {
    "call-log" = merge(
      { TWILIO_AUTH_TOKEN = "twilio-auth-token" },
      local.crm_auth[var.crm_client_auth].secrets,
    )
  }

  call_log_function_access = {
    "call-log" = { project_roles = ["roles/datastore.user"], publishes = [], buckets = {}, signs_urls = false }
  }
}

# Pub/Sub mints the push OIDC tokens as call-log's own account.
resource "google_service_account_iam_member" "call_log_push_token_creator" {
  service_account_id = module.function["call-log"].service_account_name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"
}

resource "google_service_account" "call_log_sweep" {
  project      = var.project_id
  account_id   = "call-log-sweep"
  display_name = "ccbridge call-log sweep job"
  description  = "Identity of the Cloud Scheduler job that runs call-log's sweep (its OIDC token is all it is used for)."

  depends_on = [google_project_service.this]
}

resource "google_cloud_scheduler_job" "call_log_sweep" {
  project          = var.project_id
  region           = var.region
  name             = "call-log-sweep"
  description      = "Logs Twilio calls whose registration expired without a status callback; retries failed CRM writes."
  schedule         = var.call_log_sweep_schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "320s"

  retry_config {
    retry_count          = 1
    min_backoff_duration = "60s"
    max_backoff_duration = "300s"
  }

  http_target {
    uri         = "${module.function["call-log"].url}/sweep"
    http_method = "POST"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode(jsonencode({ trigger = "scheduler" }))

    oidc_token {
      service_account_email = google_service_account.call_log_sweep.email
      audience              = module.function["call-log"].url
    }
  }

  depends_on = [google_project_service.this]
}
