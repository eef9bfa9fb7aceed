# Root module: project-wide pieces and the modules that are not functions.
# Functions and their environment: functions.tf. Firestore TTL and indexes: firestore.tf.

locals {
  labels = merge(var.labels, {
    app         = "ccbridge"
    environment = var.environment
    managed-by  = "terraform"
  })

  # Bucket names are global: project ID plus environment keeps them unique (at most 63 chars).
  bucket_prefix = "${var.project_id}-${var.environment}"

  repo_root = abspath("${path.root}/..")

  pubsub_service_agent = "service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"

  # Topics (names are fixed; the functions receive them as *_TOPIC variables).
  topics = {
    zoom_events         = "zoom-events"         # zoom-webhook and reconcile publish; pushed to interaction-worker
    conversation_events = "conversation-events" # ui-connector publishes
    reconcile_slices    = "reconcile-slices"    # reconcile publishes work slices, pushed back to reconcile /slices
  }

  apis = toset([
    "artifactregistry.googleapis.com", # gen2 function images
    "cloudbuild.googleapis.com",       # gen2 function builds
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "dialogflow.googleapis.com", # Agent Assist conversation profile and SIPREC numbers
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # OIDC tokens for Scheduler and Pub/Sub push
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com", # gen2 functions run on Cloud Run
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

data "google_project" "this" {
  project_id = var.project_id
}

resource "google_project_service" "this" {
  for_each = var.enable_apis ? local.apis : toset([])

  project = var.project_id
  service = each.value

  # Other workloads in the project may use the same APIs.
  disable_on_destroy = false
}

module "storage" {
  source = "./modules/storage"

  project_id                      = var.project_id
  location                        = coalesce(var.bucket_location, var.region)
  bucket_prefix                   = local.bucket_prefix
  archive_storage_class_days      = var.archive_storage_class_days
  archive_noncurrent_version_days = var.archive_noncurrent_version_days
  archive_retention_days          = var.archive_retention_days
  archive_retention_locked        = var.archive_retention_locked
  ccaip_storage_role              = var.ccaip_storage_role

  depends_on = [google_project_service.this]
}

module "pubsub" {
  source = "./modules/pubsub"

  project_id            = var.project_id
  pubsub_service_agent  = local.pubsub_service_agent
  topics                = values(local.topics)
  dead_letter_for       = [local.topics.zoom_events, local.topics.reconcile_slices, local.topics.conversation_events]
  max_delivery_attempts = var.max_delivery_attempts

  # terraform/delivery.json: ack deadline (= push request timeout) and back-off per subscription.
  #  - interaction-worker-push: zoom-events to the worker, OIDC token of pubsub-push (its only invoker);
  #  - reconcile-slices-push: reconcile fans work out to itself at /slices, OIDC token of its own account.
  # Both carry a dead-letter policy, so every push has deliveryAttempt (docs/contracts/google-cloud.md §2).
  push_subscriptions = {
    for name, sub in local.delivery.subscriptions : name => {
      topic                      = sub.topic
      push_endpoint              = "${module.function[sub.function].url}${sub.path == "/" ? "" : sub.path}"
      oidc_service_account_email = sub.function == "interaction-worker" ? google_service_account.pubsub_push.email : module.function[sub.function].service_account_email
      oidc_audience              = module.function[sub.function].url
      ack_deadline_seconds       = sub.ackDeadlineSeconds
      minimum_backoff            = "${sub.minimumBackoffSeconds}s"
      maximum_backoff            = "${sub.maximumBackoffSeconds}s"
    }
  }

  depends_on = [google_project_service.this]
}

module "secrets" {
  source = "./modules/secrets"

  project_id     = var.project_id
  catalog        = local.secret_catalog
  values         = var.secret_values
  values_version = var.secret_values_version

  depends_on = [google_project_service.this]
}

module "scheduler" {
  source = "./modules/scheduler"

  project_id = var.project_id
  region     = var.region
  job_name   = "reconcile-nightly"
  schedule   = var.reconcile_schedule
  time_zone  = var.reconcile_time_zone
  target_url = module.function["reconcile"].url

  depends_on = [google_project_service.this]
}

module "agent_assist" {
  source = "./modules/agent_assist"

  project_id             = var.project_id
  location               = var.agent_assist_location
  display_name           = "ccbridge-${var.environment}"
  language_code          = var.agent_assist_language_code
  suggestion_features    = var.agent_assist_suggestion_features
  stt_model              = var.agent_assist_stt_model
  run_local_provisioners = var.run_local_provisioners
  repo_root              = local.repo_root

  # Where Agent Assist publishes (the topics and the consumer of agent_assist_ui.tf, issue #14),
  # unless a variable names another topic. Provider 6.50 has no field for the fourth topic
  # (newRecognitionResultNotificationConfig): the module's siprec CLI call sets it.
  suggestion_notification_topic  = coalesce(var.agent_assist_notification_topic, google_pubsub_topic.agent_assist_notifications["human-agent-assistant-event"].id)
  lifecycle_notification_topic   = google_pubsub_topic.agent_assist_notifications["conversation-lifecycle-event"].id
  new_message_notification_topic = coalesce(var.agent_assist_new_message_notification_topic, google_pubsub_topic.agent_assist_notifications["new-message-event"].id)
  recognition_notification_topic = google_pubsub_topic.agent_assist_notifications["new-recognition-result-notification-event"].id

  depends_on = [google_project_service.this]
}
