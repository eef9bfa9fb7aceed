# The five functions. Their list (names, entry points, signatures, topics) is read from
# functions/functions.json, the same file the build and the local stack read, so names and
# entry points cannot drift. The build writes each bundle to dist/<name>/ (npm run build).

locals {
  functions_manifest = jsondecode(file("${path.module}/../functions/functions.json"))

  # name => uniform object (one type for every entry, so it is a proper map for for_each)
  functions = {
    for f in local.functions_manifest.functions : f.name => {
      name        = f.name
      entryPoint  = f.entryPoint
      signature   = f.signature
      description = try(f.description, "")
      topic       = try(f.topic, null)
    }
  }

  # The cloudfunctions.net URL of a gen2 function is predictable: use this (not
  # module.function[...].url) when a function's own environment needs a URL, which would
  # otherwise be a dependency cycle.
  function_urls = { for name in keys(local.functions) : name => "https://${var.region}-${var.project_id}.cloudfunctions.net/${name}" }

  # ==========================================================================================
  # FUNCTION ENVIRONMENT — the one place where function configuration is defined.
  # Extend these maps when a function starts reading a new variable.
  #   common_env / function_env: plain values (never credentials).
  #   function_secret_env: ENV_NAME => Secret Manager secret ID (from secret_catalog). The
  #     function's service account gets secretAccessor on exactly these secrets.
  # ==========================================================================================
  common_env = {
    GCP_PROJECT        = var.project_id
    LOG_LEVEL          = var.log_level
    FIRESTORE_DATABASE = module.firestore.database_id
  }

  function_env = {
    "crm" = {}
    "ui-connector" = {
      CONVERSATION_EVENTS_TOPIC = module.pubsub.topic_names[local.topics.conversation_events]
    }
    "zoom-webhook" = {
      ZOOM_EVENTS_TOPIC = module.pubsub.topic_names[local.topics.zoom_events]
    }
    "interaction-worker" = {
      ARCHIVE_BUCKET = module.storage.archive_bucket_name
    }
    "reconcile" = {
      ZOOM_EVENTS_TOPIC      = module.pubsub.topic_names[local.topics.zoom_events]
      RECONCILE_SLICES_TOPIC = module.pubsub.topic_names[local.topics.reconcile_slices]
      ARCHIVE_BUCKET         = module.storage.archive_bucket_name
      # Its callers' OIDC tokens carry its URL as audience (Scheduler job, reconcile-slices push).
      RECONCILE_AUDIENCE = local.function_urls["reconcile"]
      # Who may start runs: the nightly job's service account.
      RECONCILE_INVOKERS = module.scheduler.service_account_email
      # Who pushes lane steps: reconcile's own service account (module.function's "fn-<name>";
      # spelled out, as its output would make the function depend on itself).
      RECONCILE_PUSH_INVOKERS = "fn-reconcile@${var.project_id}.iam.gserviceaccount.com"
      # "Yesterday" is the Scheduler's day.
      RECONCILE_TIME_ZONE = var.reconcile_time_zone
    }
  }

  function_secret_env = {
    "crm" = {
      CRM_CREDENTIALS = "crm-credentials"
    }
    "ui-connector" = {
      TWILIO_AUTH_TOKEN       = "twilio-auth-token"
      UI_CONNECTOR_JWT_SECRET = "ui-connector-jwt-secret"
    }
    "zoom-webhook" = {
      ZOOM_WEBHOOK_SECRET          = "zoom-webhook-secret"
      ZOOM_WEBHOOK_SECRET_PREVIOUS = "zoom-webhook-secret-previous"
    }
    "interaction-worker" = {
      ZOOM_CLIENT_ID     = "zoom-client-id"
      ZOOM_CLIENT_SECRET = "zoom-client-secret"
      ZOOM_ACCOUNT_ID    = "zoom-account-id"
      CRM_CREDENTIALS    = "crm-credentials"
    }
    "reconcile" = {
      ZOOM_CLIENT_ID     = "zoom-client-id"
      ZOOM_CLIENT_SECRET = "zoom-client-secret"
      ZOOM_ACCOUNT_ID    = "zoom-account-id"
    }
  }

  # Every credential lives in Secret Manager. Secret ID => what the value is.
  # Terraform creates the secrets; values are added with `gcloud secrets versions add`.
  secret_catalog = {
    "zoom-webhook-secret"          = "Zoom Contact Center webhook secret token (current)"
    "zoom-webhook-secret-previous" = "Zoom webhook secret token accepted during rotation (set it to the current token when not rotating)"
    "zoom-client-id"               = "Zoom Server-to-Server OAuth client ID"
    "zoom-client-secret"           = "Zoom Server-to-Server OAuth client secret"
    "zoom-account-id"              = "Zoom account ID for Server-to-Server OAuth"
    "twilio-auth-token"            = "Twilio auth token (request signatures, register-app check)"
    "ui-connector-jwt-secret"      = "HS256 key the UI connector signs its tokens with (at least 32 random bytes)"
    "crm-credentials"              = "JSON credentials of the CRM adapter"
  }

  # ==========================================================================================
  # ACCESS — what each function's own service account may do (least privilege).
  #   project_roles: project-level roles (Firestore has no finer IAM than the project).
  #   publishes:     topics (from local.topics) it may publish to; granted per topic.
  #   archive_role:  role on the archive bucket, or null.
  # ==========================================================================================
  function_access = {
    "crm"                = { project_roles = ["roles/datastore.user"], publishes = [], archive_role = null }
    "ui-connector"       = { project_roles = ["roles/datastore.user"], publishes = [local.topics.conversation_events], archive_role = null }
    "zoom-webhook"       = { project_roles = ["roles/datastore.user"], publishes = [local.topics.zoom_events], archive_role = null }
    "interaction-worker" = { project_roles = ["roles/datastore.user"], publishes = [], archive_role = "roles/storage.objectUser" }
    "reconcile"          = { project_roles = ["roles/datastore.user"], publishes = [local.topics.zoom_events, local.topics.reconcile_slices], archive_role = "roles/storage.objectViewer" }
  }

  # Who may invoke. Public (allUsers) ONLY where an outside platform calls and the function
  # authenticates the caller itself: crm (CCAI Platform credentials), ui-connector (Twilio
  # signatures and its JWT), zoom-webhook (Zoom signatures). test/terraform enforces this list.
  public_functions = ["crm", "ui-connector", "zoom-webhook"]
  # Reachable only from inside the project (Eventarc); everything else has ingress ALLOW_ALL.
  internal_functions = ["interaction-worker"]

  # Sizing: defaults, then per-function tuning, then var.function_settings.
  function_defaults = {
    available_memory   = "256M"
    available_cpu      = null
    timeout_seconds    = 60
    min_instance_count = 0
    max_instance_count = 20
  }
  function_tuning = {
    "interaction-worker" = { available_memory = "512M", timeout_seconds = 540 } # downloads recordings
    "reconcile"          = { available_memory = "512M", timeout_seconds = 1800 } # Scheduler's attempt deadline is 30 min
  }

  # Event-driven functions (signature cloudevent): an Eventarc Pub/Sub trigger with retries.
  event_triggers = {
    for name, f in local.functions : name => {
      topic_name            = f.topic
      pubsub_topic          = module.pubsub.topic_ids[f.topic]
      service_account_email = google_service_account.eventarc_trigger.email
    } if f.signature == "cloudevent"
  }

  # Eventarc owns the subscription of a trigger and Terraform cannot give it a dead-letter
  # policy (hashicorp/terraform-provider-google#17697), so a script attaches the
  # <topic>-dead-letter topic after each deploy (local-exec below, or Cloud Build's
  # post-apply step with run_local_provisioners = false).
  dead_letter_attach_commands = {
    for name, t in local.event_triggers : name => join(" ", [
      "node_modules/.bin/tsx scripts/terraform/attach-dead-letter.ts",
      "--project", var.project_id,
      "--topic", t.topic_name,
      "--push-endpoint", module.function[name].service_uri,
      "--dead-letter-topic", module.pubsub.dead_letter_topic_ids[t.topic_name],
      "--max-delivery-attempts", tostring(var.max_delivery_attempts),
      "--service-agent", local.pubsub_service_agent,
    ])
  }
}

module "function" {
  source   = "./modules/function"
  for_each = local.functions

  project_id            = var.project_id
  region                = var.region
  name                  = each.key
  description           = each.value.description
  entry_point           = each.value.entryPoint
  source_dir            = "${local.repo_root}/dist/${each.key}"
  source_bucket         = module.storage.sources_bucket_name
  build_service_account = var.build_service_account

  env        = merge(local.common_env, try(local.function_env[each.key], {}))
  secret_env = { for env_name, secret_id in try(local.function_secret_env[each.key], {}) : env_name => module.secrets.secret_ids[secret_id] }

  project_roles     = try(local.function_access[each.key].project_roles, [])
  publish_topic_ids = { for t in try(local.function_access[each.key].publishes, []) : t => module.pubsub.topic_ids[t] }
  bucket_roles = {
    for k, role in { archive = try(local.function_access[each.key].archive_role, null) } :
    k => { bucket = module.storage.archive_bucket_name, role = role } if role != null
  }

  ingress_settings = contains(local.internal_functions, each.key) ? "ALLOW_INTERNAL_ONLY" : "ALLOW_ALL"
  event_trigger    = try(local.event_triggers[each.key], null)
  settings = merge(
    local.function_defaults,
    try(local.function_tuning[each.key], {}),
    { for k, v in try(var.function_settings[each.key], {}) : k => v if v != null },
  )

  depends_on = [google_project_service.this]
}

# --- Invokers ---------------------------------------------------------------------------------

resource "google_cloud_run_service_iam_member" "public_invoker" {
  for_each = toset(local.public_functions)

  project  = var.project_id
  location = var.region
  service  = module.function[each.key].service_name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# reconcile: Cloud Scheduler's service account (nightly job) and reconcile's own service
# account (the OIDC identity of the reconcile-slices push subscription). No allUsers.
resource "google_cloud_run_service_iam_member" "reconcile_invoker" {
  for_each = {
    scheduler = module.scheduler.service_account_email
    slices    = module.function["reconcile"].service_account_email
  }

  project  = var.project_id
  location = var.region
  service  = module.function["reconcile"].service_name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${each.value}"
}

# Event-driven functions are invoked only by their Eventarc trigger's service account.
resource "google_service_account" "eventarc_trigger" {
  project      = var.project_id
  account_id   = "eventarc-trigger"
  display_name = "ccbridge Eventarc trigger (invokes event-driven functions)"
}

resource "google_cloud_run_service_iam_member" "event_invoker" {
  for_each = local.event_triggers

  project  = var.project_id
  location = var.region
  service  = module.function[each.key].service_name
  role     = "roles/run.invoker"
  member   = google_service_account.eventarc_trigger.member
}

# Pub/Sub mints the OIDC tokens of push deliveries (Eventarc trigger, reconcile-slices push).
# Needed explicitly on projects created before April 2021; harmless elsewhere.
resource "google_service_account_iam_member" "pubsub_token_creator" {
  for_each = {
    eventarc  = google_service_account.eventarc_trigger.name
    reconcile = module.function["reconcile"].service_account_name
  }

  service_account_id = each.value
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"
}

resource "terraform_data" "attach_dead_letter" {
  for_each = { for name, command in local.dead_letter_attach_commands : name => command if var.run_local_provisioners }

  # Re-attach after every deploy of the function (Eventarc may recreate its subscription).
  triggers_replace = [each.value, module.function[each.key].update_time]

  provisioner "local-exec" {
    working_dir = local.repo_root
    command     = each.value
  }

  depends_on = [module.pubsub]
}
