# The Agent Assist agent desktop (the Salesforce Lightning component and the UI modules it
# starts) served by ccbridge alone — docs/contracts/agent-assist.md, functions/ui-connector/README.md.
#
# One URL for REST and socket.io: the component configures one `endpoint` and the UI modules
# open their socket.io connection on the same origin (/socket.io/). A Cloud Function cannot
# upgrade to a websocket, so the same ui-connector code also runs as a Cloud Run service,
# `ui-connector-run` (functions/ui-connector/serve.ts, image built from
# dist/ui-connector-run by scripts/build-agent-assist-ui.ts): it serves register-app,
# conversation-name, /register, /status, the Dialogflow proxy and the socket, with the same
# secrets and Firestore as the ui-connector function (Studio and the Twilio Function may keep
# calling the function: both read and write the same mappings).
#
# Notifications: Terraform creates the four topics the conversation profile publishes to
# (outputs agent_assist_notification_topics; the profile resource sets them) and one push
# subscription per topic to a second, private deployment of the same image,
# `agent-assist-events` (UI_CONNECTOR_NOTIFICATIONS=accept), which records each event once
# in Firestore (collection agentAssistEvents, TTL expireAt); every ui-connector-run instance
# holding sockets for a conversation reads and delivers it. Cloud Run's IAM checks the
# push's OIDC token (only the push identity may invoke the consumer).
#
# Nothing here is created until var.agent_assist_ui_image names a built image, except the
# topics (the profile needs them either way).

variable "agent_assist_ui_image" {
  description = "Container image of the ui-connector Cloud Run service (scripts/build-agent-assist-ui.ts, then gcloud builds submit dist/ui-connector-run --pack image=...). Null: no service is deployed."
  type        = string
  default     = null
}

variable "salesforce_domain" {
  description = "My Domain of the Salesforce org whose Lightning component calls /register (e.g. acme.my.salesforce.com): its /services/oauth2/userinfo checks the component's access tokens."
  type        = string
  default     = null
}

variable "salesforce_organization_ids" {
  description = "Salesforce org ids (15 or 18 characters) whose users may get agent tokens from /register."
  type        = list(string)
  default     = []
  validation {
    condition     = alltrue([for id in var.salesforce_organization_ids : can(regex("^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$", id))])
    error_message = "Each Salesforce org id has 15 or 18 letters and digits."
  }
}

variable "agent_assist_ui_min_instances" {
  description = "Instances of ui-connector-run kept warm (sockets live on instances; 1 avoids a cold start when the first agent connects)."
  type        = number
  default     = 1
}

variable "agent_assist_ui_max_instances" {
  description = "Upper bound of ui-connector-run instances (each holds the sockets of its agents; see the README's figures)."
  type        = number
  default     = 10
}

locals {
  aa_ui_enabled  = var.agent_assist_ui_image != null
  aa_ui_name     = "ui-connector-run"
  aa_events_name = "agent-assist-events"
  # A v2 service's URL is predictable; spelled out to avoid a cycle (the service's own env needs it).
  aa_ui_url     = "https://${local.aa_ui_name}-${data.google_project.this.number}.${var.region}.run.app"
  aa_events_url = "https://${local.aa_events_name}-${data.google_project.this.number}.${var.region}.run.app"

  # Socket event => topic id. The profile fields each topic belongs to are in the output below.
  aa_notification_topics = {
    "human-agent-assistant-event"               = "agent-assist-suggestions"
    "conversation-lifecycle-event"              = "agent-assist-lifecycle"
    "new-message-event"                         = "agent-assist-new-messages"
    "new-recognition-result-notification-event" = "agent-assist-recognition-results"
  }
  dialogflow_service_agent = "service-${data.google_project.this.number}@gcp-sa-dialogflow.iam.gserviceaccount.com"

  aa_ui_env = merge(
    local.common_env,
    local.function_env["ui-connector"],
    {
      UI_CONNECTOR_PUBLIC_URL        = local.aa_ui_url
      AGENT_ASSIST_PROJECT           = var.project_id
      SALESFORCE_ORGANIZATION_ID     = join(",", var.salesforce_organization_ids)
      UI_CONNECTOR_NOTIFICATIONS     = "off"
      UI_CONNECTOR_EVENTS_COLLECTION = "agentAssistEvents"
    },
    var.salesforce_domain == null ? {} : { SALESFORCE_DOMAIN = var.salesforce_domain },
  )
  aa_ui_secret_env = local.function_secret_env["ui-connector"]

  # The consumer only records notifications. It parses ui-connector's configuration, which
  # requires a signing key and an account SID; it signs and verifies nothing with them.
  aa_events_env = merge(
    local.common_env,
    {
      TWILIO_ACCOUNT_SID             = join(",", var.twilio_account_sids)
      UI_CONNECTOR_UNSIGNED_REQUESTS = "accept"
      UI_CONNECTOR_NOTIFICATIONS     = "accept"
      UI_CONNECTOR_EVENTS_COLLECTION = "agentAssistEvents"
    },
  )
  aa_events_secret_env = { UI_CONNECTOR_JWT_SECRET = "ui-connector-jwt-secret" }
}

# ---------------------------------------------------------------------------------------
# Notification topics (always: the conversation profile publishes to them)
# ---------------------------------------------------------------------------------------

resource "google_pubsub_topic" "agent_assist_notifications" {
  for_each = local.aa_notification_topics
  project  = var.project_id
  name     = each.value
  # Events are useful to an agent for minutes (UI_CONNECTOR_EVENT_RETENTION_SECONDS).
  message_retention_duration = "3600s"
  labels                     = var.labels

  depends_on = [google_project_service.this]
}

# Agent Assist publishes as the Dialogflow service agent.
resource "google_pubsub_topic_iam_member" "dialogflow_publishes_notifications" {
  for_each = local.aa_notification_topics
  project  = var.project_id
  topic    = google_pubsub_topic.agent_assist_notifications[each.key].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${local.dialogflow_service_agent}"
}

# ---------------------------------------------------------------------------------------
# Identities (least privilege)
# ---------------------------------------------------------------------------------------

# ui-connector-run: Dialogflow proxy (Agent Assist client role), mappings and the
# notification log in Firestore, its secrets, and the conversation-events topic
# conversation-name publishes to.
resource "google_service_account" "agent_assist_ui" {
  count        = local.aa_ui_enabled ? 1 : 0
  project      = var.project_id
  account_id   = "aa-ui-connector"
  display_name = "ccbridge ui-connector Cloud Run service (Agent Assist desktop)"
}

resource "google_project_iam_member" "agent_assist_ui" {
  for_each = local.aa_ui_enabled ? toset(["roles/dialogflow.agentAssistClient", "roles/datastore.user"]) : toset([])
  project  = var.project_id
  role     = each.value
  member   = "serviceAccount:${google_service_account.agent_assist_ui[0].email}"
}

resource "google_secret_manager_secret_iam_member" "agent_assist_ui" {
  for_each  = local.aa_ui_enabled ? local.aa_ui_secret_env : {}
  project   = var.project_id
  secret_id = module.secrets.secret_ids[each.value]
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.agent_assist_ui[0].email}"
}

resource "google_pubsub_topic_iam_member" "agent_assist_ui_conversation_events" {
  count   = local.aa_ui_enabled ? 1 : 0
  project = var.project_id
  topic   = module.pubsub.topic_names[local.topics.conversation_events]
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${google_service_account.agent_assist_ui[0].email}"
}

# agent-assist-events: writes the notification log. No Pub/Sub role: pushes come to it.
resource "google_service_account" "agent_assist_events" {
  count        = local.aa_ui_enabled ? 1 : 0
  project      = var.project_id
  account_id   = "aa-events"
  display_name = "ccbridge Agent Assist notification consumer"
}

resource "google_project_iam_member" "agent_assist_events_firestore" {
  count   = local.aa_ui_enabled ? 1 : 0
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.agent_assist_events[0].email}"
}

resource "google_secret_manager_secret_iam_member" "agent_assist_events" {
  for_each  = local.aa_ui_enabled ? local.aa_events_secret_env : {}
  project   = var.project_id
  secret_id = module.secrets.secret_ids[each.value]
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.agent_assist_events[0].email}"
}

# The identity of the push subscriptions: may invoke the consumer, nothing else.
resource "google_service_account" "agent_assist_push" {
  count        = local.aa_ui_enabled ? 1 : 0
  project      = var.project_id
  account_id   = "aa-events-push"
  display_name = "ccbridge Agent Assist notification push identity"
}

# Pub/Sub mints the push's OIDC tokens as that identity.
resource "google_service_account_iam_member" "pubsub_mints_agent_assist_push_tokens" {
  count              = local.aa_ui_enabled ? 1 : 0
  service_account_id = google_service_account.agent_assist_push[0].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"
}

# ---------------------------------------------------------------------------------------
# Cloud Run: the public service (REST + socket) and the private consumer
# ---------------------------------------------------------------------------------------

resource "google_cloud_run_v2_service" "agent_assist_ui" {
  count               = local.aa_ui_enabled ? 1 : 0
  project             = var.project_id
  name                = local.aa_ui_name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false
  labels              = var.labels

  template {
    service_account = google_service_account.agent_assist_ui[0].email
    # A websocket lives at most this long; the UI modules' socket.io client reconnects.
    timeout = "3600s"
    # Best effort: the long-polling fallback's requests of one session reach one instance.
    session_affinity                 = true
    max_instance_request_concurrency = 1000

    scaling {
      min_instance_count = var.agent_assist_ui_min_instances
      max_instance_count = var.agent_assist_ui_max_instances
    }

    containers {
      image = var.agent_assist_ui_image

      resources {
        limits = { cpu = "1", memory = "512Mi" }
      }

      dynamic "env" {
        for_each = local.aa_ui_env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.aa_ui_secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = module.secrets.secret_ids[env.value]
              version = "latest"
            }
          }
        }
      }

      startup_probe {
        http_get {
          path = "/status"
        }
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.agent_assist_ui, google_project_service.this]
}

# The Lightning component calls from agents' browsers with the tokens it gets from /register:
# the service authenticates its callers itself (Salesforce userinfo, its own JWTs).
resource "google_cloud_run_v2_service_iam_member" "agent_assist_ui_public" {
  count    = local.aa_ui_enabled ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.agent_assist_ui[0].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_cloud_run_v2_service" "agent_assist_events" {
  count               = local.aa_ui_enabled ? 1 : 0
  project             = var.project_id
  name                = local.aa_events_name
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = false
  labels              = var.labels

  template {
    service_account = google_service_account.agent_assist_events[0].email
    timeout         = "30s"

    scaling {
      min_instance_count = 0
      max_instance_count = var.agent_assist_ui_max_instances
    }

    containers {
      image = var.agent_assist_ui_image

      resources {
        limits = { cpu = "1", memory = "512Mi" }
      }

      dynamic "env" {
        for_each = local.aa_events_env
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.aa_events_secret_env
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = module.secrets.secret_ids[env.value]
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.agent_assist_events, google_project_service.this]
}

resource "google_cloud_run_v2_service_iam_member" "agent_assist_events_push" {
  count    = local.aa_ui_enabled ? 1 : 0
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_service.agent_assist_events[0].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.agent_assist_push[0].email}"
}

resource "google_pubsub_subscription" "agent_assist_notifications_push" {
  for_each = local.aa_ui_enabled ? local.aa_notification_topics : {}
  project  = var.project_id
  name     = "${each.value}-push"
  topic    = google_pubsub_topic.agent_assist_notifications[each.key].id

  ack_deadline_seconds       = 10
  message_retention_duration = "600s"
  expiration_policy {
    ttl = ""
  }
  retry_policy {
    minimum_backoff = "1s"
    maximum_backoff = "10s"
  }

  push_config {
    push_endpoint = "${local.aa_events_url}/notifications/${each.key}"
    oidc_token {
      service_account_email = google_service_account.agent_assist_push[0].email
      audience              = local.aa_events_url
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.agent_assist_events_push, google_service_account_iam_member.pubsub_mints_agent_assist_push_tokens]
}

# Firestore: the notification log's TTL (agentAssistEvents.expireAt) and its composite index
# (room, publishTimeMs) are declared in terraform/firestore.tf with the others.

# ---------------------------------------------------------------------------------------
# Outputs: what the conversation profile and the Salesforce admin need
# ---------------------------------------------------------------------------------------

output "agent_assist_notification_topics" {
  description = "Topics to set on the conversation profile (messageFormat JSON), by profile field."
  value = {
    "humanAgentAssistantConfig.notificationConfig.topic" = google_pubsub_topic.agent_assist_notifications["human-agent-assistant-event"].id
    "notificationConfig.topic"                           = google_pubsub_topic.agent_assist_notifications["conversation-lifecycle-event"].id
    "newMessageEventNotificationConfig.topic"            = google_pubsub_topic.agent_assist_notifications["new-message-event"].id
    "newRecognitionResultNotificationConfig.topic"       = google_pubsub_topic.agent_assist_notifications["new-recognition-result-notification-event"].id
  }
}

output "agent_assist_ui_endpoint" {
  description = "The Lightning component's `endpoint` (REST and socket.io), and the CSP Trusted Sites the Salesforce admin adds for it."
  value = local.aa_ui_enabled ? {
    endpoint          = local.aa_ui_url
    csp_trusted_https = local.aa_ui_url
    csp_trusted_wss   = replace(local.aa_ui_url, "https://", "wss://")
  } : null
}
