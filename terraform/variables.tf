# Inputs of the root module. Example values: terraform.tfvars.example.
# Secret VALUES are never variables with defaults and never go into a committed tfvars file:
# add them with `gcloud secrets versions add` (README.md) or pass `secret_values` at apply time.

variable "project_id" {
  description = "Google Cloud project that hosts one ccbridge environment (one environment per project)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits or hyphens, starting with a letter)."
  }
}

variable "region" {
  description = "Region of the functions, buckets and the scheduler job (for example us-central1)."
  type        = string
  default     = "us-central1"

  validation {
    condition     = can(regex("^[a-z]+(-[a-z]+)+[0-9]$", var.region))
    error_message = "region must be a Google Cloud region such as us-central1 or europe-west1."
  }
}

variable "environment" {
  description = "Environment name (dev, staging, prod, ...): part of bucket names and labels."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,11}$", var.environment))
    error_message = "environment must be 2-12 lowercase letters or digits, starting with a letter."
  }
}

variable "log_level" {
  description = "LOG_LEVEL of every function."
  type        = string
  default     = "info"

  validation {
    condition     = contains(["debug", "info", "warn", "error"], var.log_level)
    error_message = "log_level must be debug, info, warn or error."
  }
}

variable "labels" {
  description = "Extra labels for every resource that takes labels (added to app, environment and managed-by)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "Label keys must start with a lowercase letter; keys and values may hold lowercase letters, digits, _ and - (at most 63)."
  }
}

variable "enable_apis" {
  description = "Enable the Google APIs ccbridge needs. Set false when the project's APIs are managed elsewhere."
  type        = bool
  default     = true
}

# --- Firestore ---------------------------------------------------------------------------

variable "firestore_database_id" {
  description = "Firestore database the functions use (FIRESTORE_DATABASE)."
  type        = string
  default     = "(default)"

  validation {
    condition     = var.firestore_database_id == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.firestore_database_id))
    error_message = "firestore_database_id must be (default) or 4-63 lowercase letters, digits or hyphens."
  }
}

variable "create_firestore_database" {
  description = "Create the Firestore database. Set false if it already exists in the project (TTL policies and indexes are still managed)."
  type        = bool
  default     = true
}

variable "firestore_location" {
  description = "Firestore location (a multi-region such as nam5 or eur3, or a region). Null: the region variable."
  type        = string
  default     = null

  validation {
    condition     = var.firestore_location == null || can(regex("^[a-z0-9-]+$", var.firestore_location))
    error_message = "firestore_location must be a Firestore location ID such as nam5, eur3 or us-central1."
  }
}

# --- Cloud Storage -------------------------------------------------------------------------

variable "bucket_location" {
  description = "Location of the archive, CCAI Platform and function-source buckets (region, dual- or multi-region). Null: the region variable."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_location == null || can(regex("^[A-Za-z0-9-]+$", var.bucket_location))
    error_message = "bucket_location must be a Cloud Storage location such as us-central1, US or EU."
  }
}

variable "archive_storage_class_days" {
  description = "Age in days at which archived interactions move to NEARLINE, COLDLINE and ARCHIVE (each later than the previous)."
  type = object({
    nearline = number
    coldline = number
    archive  = number
  })
  default = {
    nearline = 30
    coldline = 90
    archive  = 365
  }

  validation {
    condition = (
      var.archive_storage_class_days.nearline >= 1 &&
      var.archive_storage_class_days.coldline > var.archive_storage_class_days.nearline &&
      var.archive_storage_class_days.archive > var.archive_storage_class_days.coldline
    )
    error_message = "archive_storage_class_days must satisfy 1 <= nearline < coldline < archive."
  }
}

variable "archive_noncurrent_version_days" {
  description = "Days after which a replaced (noncurrent) version of an archived object is deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.archive_noncurrent_version_days >= 1 && floor(var.archive_noncurrent_version_days) == var.archive_noncurrent_version_days
    error_message = "archive_noncurrent_version_days must be a whole number of at least 1."
  }
}

variable "archive_retention_days" {
  description = "Retention period of the archive bucket in days (objects cannot be deleted or replaced earlier). 0: no retention policy."
  type        = number
  default     = 0

  validation {
    condition     = var.archive_retention_days >= 0 && var.archive_retention_days <= 36500 && floor(var.archive_retention_days) == var.archive_retention_days
    error_message = "archive_retention_days must be a whole number between 0 and 36500."
  }
}

variable "archive_retention_locked" {
  description = "Lock the archive retention policy. IRREVERSIBLE: a locked policy can never be shortened or removed, and the bucket cannot be deleted before every object expires. Requires archive_retention_days > 0."
  type        = bool
  default     = false
}

variable "ccaip_storage_role" {
  description = "Role of the CCAI Platform storage service account on its bucket: \"custom\" (create, read, list, overwrite, delete objects) or a predefined role (roles/storage.objectAdmin, which CCAI Platform's setup pages name)."
  type        = string
  default     = "custom"

  validation {
    condition     = var.ccaip_storage_role == "custom" || startswith(var.ccaip_storage_role, "roles/storage.")
    error_message = "ccaip_storage_role must be \"custom\" or a roles/storage.* role."
  }
}

variable "max_delivery_attempts" {
  description = "Deliveries of one message before Pub/Sub moves it to the dead-letter topic."
  type        = number
  default     = 10

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100 (Pub/Sub's limits)."
  }
}

# --- Functions -------------------------------------------------------------------------------

variable "function_settings" {
  description = "Per-function overrides of memory, CPU, requests served at once (max_instance_request_concurrency: above 1 needs available_cpu of at least 1), timeout, instance counts and NODE_OPTIONS (node_options replaces the one functions.json derives, e.g. to add --max-old-space-size where an instance does not show Node its memory limit: terraform/README.md, checklist 16), keyed by function name (functions/functions.json). Unset fields keep the defaults in functions.tf and the sizing of functions.json."
  type = map(object({
    available_memory                 = optional(string)
    available_cpu                    = optional(string)
    max_instance_request_concurrency = optional(number)
    timeout_seconds                  = optional(number)
    min_instance_count               = optional(number)
    max_instance_count               = optional(number)
    node_options                     = optional(string)
  }))
  default = {}

  validation {
    condition     = alltrue([for name in keys(var.function_settings) : contains([for f in jsondecode(file("${path.module}/../functions/functions.json")).functions : f.name], name)])
    error_message = "function_settings keys must be function names from functions/functions.json."
  }
}

variable "public_access" {
  description = "How crm, ui-connector and zoom-webhook (which authenticate their callers themselves) are reachable: \"allUsers\" as Cloud Run invoker, or \"none\" where the organisation forbids allUsers (iam.allowedPolicyMemberDomains) — then turn off their invoker IAM check or put an authenticated front before them (README.md, Organisation policies)."
  type        = string
  default     = "allUsers"

  validation {
    condition     = contains(["allUsers", "none"], var.public_access)
    error_message = "public_access must be \"allUsers\" or \"none\"."
  }
}

variable "push_endpoint_ingress" {
  description = "Ingress of interaction-worker, reached only by its Pub/Sub push subscription: ALLOW_INTERNAL_ONLY (Cloud Run counts Pub/Sub push from the same project as internal — confirm on the first deploy, checklist in README.md) or ALLOW_ALL (the invoker check still admits only the push account)."
  type        = string
  default     = "ALLOW_INTERNAL_ONLY"

  validation {
    condition     = contains(["ALLOW_INTERNAL_ONLY", "ALLOW_ALL"], var.push_endpoint_ingress)
    error_message = "push_endpoint_ingress must be ALLOW_INTERNAL_ONLY or ALLOW_ALL."
  }
}

variable "build_service_account" {
  description = "Service account (full resource name projects/P/serviceAccounts/EMAIL) that Cloud Build uses to build the function images. Null: Terraform creates ccbridge-build with Logs Writer, Artifact Registry Writer and Object Viewer on the source bucket (new projects' default build account may lack them)."
  type        = string
  default     = null
}

# --- What the functions are configured with (non-secret; credentials are in Secret Manager) ---

variable "phone_default_country" {
  description = "Country (ISO 3166-1 alpha-2) of phone numbers written without a country code: CRM_DEFAULT_COUNTRY (crm, interaction-worker) and UI_CONNECTOR_DEFAULT_COUNTRY (ui-connector)."
  type        = string
  default     = "US"

  validation {
    condition     = can(regex("^[A-Z]{2}$", var.phone_default_country))
    error_message = "phone_default_country must be two upper-case letters such as US or DE."
  }
}

variable "crm_mode" {
  description = "CRM_MODE of the crm function: mock (a stateful mock CRM in Firestore, with an admin journal behind the crm-admin-token secret) or real (the contract in front of the CRM named by crm_adapter)."
  type        = string
  # No silent default: a deployment names its mode (terraform.tfvars.example shows both).
  default = null

  validation {
    condition     = var.crm_mode != null && contains(["mock", "real"], coalesce(var.crm_mode, "unset"))
    error_message = "crm_mode must be set, to mock or real: there is no default, so that no deployment runs the mock CRM by accident."
  }
}

variable "crm_adapter" {
  description = "CRM_ADAPTER of the crm function in real mode: servicenow, salesforce, zendesk or ba360. Its non-secret settings go in crm_adapter_settings, its credentials in Secret Manager (README.md). Null in mock mode. (The interaction worker always writes through the crm function, CRM_ADAPTER=contract.)"
  type        = string
  default     = null

  validation {
    condition     = var.crm_adapter == null || contains(["servicenow", "salesforce", "zendesk", "ba360"], coalesce(var.crm_adapter, "none"))
    error_message = "crm_adapter must be servicenow, salesforce, zendesk or ba360 (or null in mock mode)."
  }

  validation {
    condition     = (var.crm_mode == "real") == (var.crm_adapter != null)
    error_message = "crm_adapter is required when crm_mode = \"real\" and must be null when crm_mode = \"mock\"."
  }
}

variable "crm_adapter_settings" {
  description = "Non-secret settings of the CRM adapter by environment variable name (see .env.example): servicenow needs SERVICENOW_INSTANCE_URL and SERVICENOW_USER; salesforce SALESFORCE_LOGIN_URL and SALESFORCE_CLIENT_ID; zendesk ZENDESK_BASE_URL and ZENDESK_EMAIL; ba360 BA360_API_URL, BA360_INSTANCE_URL, BA360_USER and BA360_COMPANY. Optional ones (SALESFORCE_SEARCH_ORDER, ZENDESK_DISPOSITION_FIELD_ID, ...) may be added. Never credentials: those are secrets."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.crm_adapter_settings) : can(regex("^(SERVICENOW|SALESFORCE|ZENDESK|BA360)_[A-Z0-9_]+$", k))])
    error_message = "crm_adapter_settings keys must be SERVICENOW_*, SALESFORCE_*, ZENDESK_* or BA360_* settings."
  }

  validation {
    condition     = !anytrue([for k in keys(var.crm_adapter_settings) : contains(["SERVICENOW_PASSWORD", "SALESFORCE_CLIENT_SECRET", "ZENDESK_API_TOKEN", "BA360_PASSWORD", "BA360_SECRET_KEY", "BA360_CLIENT_KEY", "BA360_LINK_SECRET"], k)])
    error_message = "crm_adapter_settings must not hold credentials: add them to their Secret Manager secrets (README.md)."
  }

  validation {
    condition = var.crm_adapter == null || alltrue([
      for k in lookup({
        servicenow = ["SERVICENOW_INSTANCE_URL", "SERVICENOW_USER"]
        salesforce = ["SALESFORCE_LOGIN_URL", "SALESFORCE_CLIENT_ID"]
        zendesk    = ["ZENDESK_BASE_URL", "ZENDESK_EMAIL"]
        ba360      = ["BA360_API_URL", "BA360_INSTANCE_URL", "BA360_USER", "BA360_COMPANY"]
      }, coalesce(var.crm_adapter, "none"), []) : contains(keys(var.crm_adapter_settings), k)
    ])
    error_message = "crm_adapter_settings lacks a setting the chosen crm_adapter requires (see this variable's description)."
  }
}

variable "crm_auth_methods" {
  description = "CRM_AUTH_METHODS: how CCAI Platform may authenticate to the crm function (basic, oauth, header). Each enabled method needs its secret: crm-basic-password, crm-oauth-client-secret, crm-api-key."
  type        = list(string)
  default     = ["basic", "oauth", "header"]

  validation {
    condition     = length(var.crm_auth_methods) > 0 && alltrue([for m in var.crm_auth_methods : contains(["basic", "oauth", "header"], m)])
    error_message = "crm_auth_methods must list one or more of basic, oauth, header."
  }
}

variable "crm_client_auth" {
  description = "CRM_CLIENT_AUTH of the interaction worker: which of crm_auth_methods it uses to call the crm function (the same credentials CCAI Platform uses)."
  type        = string
  default     = "basic"

  validation {
    condition     = contains(var.crm_auth_methods, var.crm_client_auth)
    error_message = "crm_client_auth must be one of crm_auth_methods (basic, oauth or header)."
  }
}

variable "crm_basic_user" {
  description = "CRM_BASIC_USER: the user name of Basic authentication to the crm function (the password is the crm-basic-password secret)."
  type        = string
  default     = "ccaip"

  validation {
    condition     = can(regex("^[^:\\s]{1,64}$", var.crm_basic_user))
    error_message = "crm_basic_user must be 1-64 characters without colons or spaces."
  }
}

variable "crm_oauth_client_id" {
  description = "CRM_OAUTH_CLIENT_ID: the OAuth client ID CCAI Platform uses against the crm function (the secret is crm-oauth-client-secret)."
  type        = string
  default     = "ccaip-client"

  validation {
    condition     = can(regex("^[^:\\s]{1,128}$", var.crm_oauth_client_id))
    error_message = "crm_oauth_client_id must be 1-128 characters without colons or spaces."
  }
}

variable "crm_api_key_header" {
  description = "CRM_API_KEY_HEADER: the name of the header carrying the API key (the key is crm-api-key)."
  type        = string
  default     = "X-Api-Key"

  validation {
    condition     = can(regex("^[A-Za-z0-9-]+$", var.crm_api_key_header))
    error_message = "crm_api_key_header must be an HTTP header name (letters, digits, hyphens)."
  }
}

variable "zoom_account_id" {
  description = "ZOOM_ACCOUNT_ID of the Zoom Server-to-Server OAuth app (interaction-worker, reconcile). An identifier, not a credential: the client secret is the zoom-client-secret secret."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{8,64}$", var.zoom_account_id))
    error_message = "zoom_account_id must be the account ID shown on the Zoom app's credentials page."
  }
}

variable "zoom_client_id" {
  description = "ZOOM_CLIENT_ID of the Zoom Server-to-Server OAuth app (interaction-worker, reconcile)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{8,64}$", var.zoom_client_id))
    error_message = "zoom_client_id must be the client ID shown on the Zoom app's credentials page."
  }
}

variable "twilio_account_sids" {
  description = "TWILIO_ACCOUNT_SID of ui-connector: the Twilio account SIDs allowed to get tokens from /register-app (their auth tokens go, comma-separated, in the twilio-auth-token secret)."
  type        = list(string)

  validation {
    condition     = length(var.twilio_account_sids) > 0 && alltrue([for sid in var.twilio_account_sids : can(regex("^AC[0-9a-fA-F]{32}$", sid))])
    error_message = "twilio_account_sids must list at least one Twilio account SID (AC followed by 32 hex digits)."
  }
}

variable "ui_connector_cors_origins" {
  description = "UI_CONNECTOR_CORS_ORIGINS: origins allowed by CORS on ui-connector (the Salesforce Lightning component's, e.g. https://my-domain.lightning.force.com). Empty: none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.ui_connector_cors_origins : can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]+)?/?$", o))])
    error_message = "ui_connector_cors_origins must be origins such as https://my-domain.lightning.force.com (scheme and host, no path)."
  }
}

variable "ui_connector_unsigned_requests" {
  description = "UI_CONNECTOR_UNSIGNED_REQUESTS: what ui-connector does with requests without a valid X-Twilio-Signature: reads-only (default: unsigned reads, and register-app with the auth token in the body; mapping writes must be signed, as the shipped Twilio Function signs them), accept (the reference behaviour, for its unsigned Twilio Function) or reject. Signed requests are always verified against twilio-auth-token."
  type        = string
  default     = "reads-only"

  validation {
    condition     = contains(["accept", "reads-only", "reject"], var.ui_connector_unsigned_requests)
    error_message = "ui_connector_unsigned_requests must be accept, reads-only or reject."
  }
}

# --- Secrets ---------------------------------------------------------------------------------

variable "secret_values" {
  description = "Optional initial secret values keyed by secret ID (see local.secret_catalog in functions.tf). Prefer `gcloud secrets versions add` (README.md); if used, pass it with TF_VAR_secret_values or -var, never in a committed file. Written with a write-only argument, so values stay out of state."
  type        = map(string)
  sensitive   = true
  default     = null
}

variable "secret_values_version" {
  description = "Increase to re-send secret_values to Secret Manager (a new secret version for each supplied value)."
  type        = number
  default     = 1

  validation {
    condition     = var.secret_values_version >= 1 && floor(var.secret_values_version) == var.secret_values_version
    error_message = "secret_values_version must be a whole number of at least 1."
  }
}

# --- Cloud Scheduler ------------------------------------------------------------------------

variable "reconcile_schedule" {
  description = "Cron schedule of the nightly reconcile job."
  type        = string
  default     = "30 3 * * *"

  validation {
    condition     = length(split(" ", trimspace(var.reconcile_schedule))) == 5
    error_message = "reconcile_schedule must be a five-field cron expression such as \"30 3 * * *\"."
  }
}

variable "reconcile_time_zone" {
  description = "IANA time zone of reconcile_schedule."
  type        = string
  default     = "Etc/UTC"

  validation {
    condition     = can(regex("^[A-Za-z_]+(/[A-Za-z0-9_+-]+)*$", var.reconcile_time_zone))
    error_message = "reconcile_time_zone must be an IANA time zone such as Etc/UTC or America/New_York."
  }
}

# --- Agent Assist -----------------------------------------------------------------------------

variable "agent_assist_location" {
  description = "Dialogflow location of the Agent Assist conversation profile and its SIPREC number."
  type        = string
  default     = "global"

  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.agent_assist_location))
    error_message = "agent_assist_location must be a Dialogflow location such as global or us-central1."
  }
}

variable "agent_assist_language_code" {
  description = "Language of the conversations the profile assists (BCP-47)."
  type        = string
  default     = "en-US"

  validation {
    condition     = can(regex("^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", var.agent_assist_language_code))
    error_message = "agent_assist_language_code must be a BCP-47 language tag such as en-US."
  }
}

variable "run_local_provisioners" {
  description = "Run the local-exec step during apply (the SIPREC number CLI). It needs Node 22, this repository with `npm install` done and Application Default Credentials. Cloud Build sets false and runs the same command (output post_apply_commands) in a Node step."
  type        = bool
  default     = true
}

variable "agent_assist_suggestion_features" {
  description = "Agent Assist suggestion features of the conversation profile, each with the conversation model (projects/P/locations/L/conversationModels/M) or Dialogflow agent (projects/P/locations/L/agent) it uses; provider 6.50 has no knowledge-base source for human-agent suggestions. Empty: the profile transcribes and analyses sentiment only."
  type = list(object({
    type                          = string
    dialogflow_agent              = optional(string)
    conversation_model            = optional(string)
    enable_event_based_suggestion = optional(bool, true)
    max_results                   = optional(number, 3)
    confidence_threshold          = optional(number)
  }))
  default = []

  validation {
    condition     = alltrue([for f in var.agent_assist_suggestion_features : contains(["ARTICLE_SUGGESTION", "FAQ", "SMART_REPLY", "DIALOGFLOW_ASSIST", "CONVERSATION_SUMMARIZATION", "KNOWLEDGE_SEARCH", "KNOWLEDGE_ASSIST"], f.type)])
    error_message = "agent_assist_suggestion_features: type must be one of ARTICLE_SUGGESTION, FAQ, SMART_REPLY, DIALOGFLOW_ASSIST, CONVERSATION_SUMMARIZATION, KNOWLEDGE_SEARCH, KNOWLEDGE_ASSIST."
  }
}

variable "agent_assist_notification_topic" {
  description = "Topic ID (projects/P/topics/T) for the profile's human_agent_assistant_config.notification_config (suggestions). Null: the agent-assist-suggestions topic of agent_assist_ui.tf, which the UI consumer reads."
  type        = string
  default     = null
}

variable "agent_assist_new_message_notification_topic" {
  description = "Topic ID for the profile's new_message_event_notification_config (every transcript line). Null: the new-message topic of agent_assist_ui.tf."
  type        = string
  default     = null
}

variable "agent_assist_stt_model" {
  description = "Speech model for the SIPREC audio (stt_config.model), e.g. telephony; null: Dialogflow's default."
  type        = string
  default     = null
}
