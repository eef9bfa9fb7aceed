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
      access      = f.access
      topic       = try(f.topic, null)
    }
  }

  # How Pub/Sub pushes to the functions (ack deadline, back-off): terraform/delivery.json, which
  # the local stack reads too. The worker's ZOOM_ITEM_ORDER_STALE_MS is derived from its entry:
  # an earlier item waiting for redelivery (one attempt of up to the ack deadline, then up to the
  # longest back-off) must never look stale.
  delivery            = jsondecode(file("${path.module}/delivery.json"))
  worker_delivery     = one([for name, sub in local.delivery.subscriptions : sub if sub.function == "interaction-worker"])
  item_order_stale_ms = (local.worker_delivery.ackDeadlineSeconds + local.worker_delivery.maximumBackoffSeconds + local.delivery.staleMarginSeconds) * 1000

  # The cloudfunctions.net URL of a gen2 function is predictable: use this (not
  # module.function[...].url) when a function's own environment needs a URL, which would
  # otherwise be a dependency cycle. PUBLIC_BASE_URL + "/<name>" is each function's URL; the
  # links the functions hand out (artifact links stored in the CRM, record URLs) are built on
  # it, so keep function names and region stable.
  public_base_url = "https://${var.region}-${var.project_id}.cloudfunctions.net"
  function_urls   = { for name in keys(local.functions) : name => "${local.public_base_url}/${name}" }

  # ==========================================================================================
  # FUNCTION ENVIRONMENT — the one place where function configuration is defined.
  # Extend these maps when a function starts reading a new setting; the offline check
  # test/terraform/function-settings.test.ts derives what each function's config module
  # requires and fails until it is here.
  #   common_env / function_env: plain values (never credentials).
  #   function_secret_env: ENV_NAME => Secret Manager secret ID (from secret_catalog). The
  #     function's service account gets secretAccessor on exactly these secrets.
  # ==========================================================================================
  common_env = {
    GCP_PROJECT        = var.project_id
    LOG_LEVEL          = var.log_level
    FIRESTORE_DATABASE = module.firestore.database_id
  }

  # How the crm function authenticates CCAI Platform (and the worker's contract client):
  # per method, its plain settings and its secret.
  crm_auth = {
    basic  = { env = { CRM_BASIC_USER = var.crm_basic_user }, secrets = { CRM_BASIC_PASSWORD = "crm-basic-password" } }
    oauth  = { env = { CRM_OAUTH_CLIENT_ID = var.crm_oauth_client_id }, secrets = { CRM_OAUTH_CLIENT_SECRET = "crm-oauth-client-secret" } }
    header = { env = { CRM_API_KEY_HEADER = var.crm_api_key_header }, secrets = { CRM_API_KEY = "crm-api-key" } }
  }
  # Credentials of each CRM adapter (shared/crm/config.ts REQUIRED_KEYS); the plain ones come
  # from var.crm_adapter_settings.
  crm_adapter_secrets = {
    servicenow = { SERVICENOW_PASSWORD = "servicenow-password" }
    salesforce = { SALESFORCE_CLIENT_SECRET = "salesforce-client-secret" }
    zendesk    = { ZENDESK_API_TOKEN = "zendesk-api-token" }
    ba360 = {
      BA360_PASSWORD    = "ba360-password"
      BA360_SECRET_KEY  = "ba360-secret-key"
      BA360_CLIENT_KEY  = "ba360-client-key"
      BA360_LINK_SECRET = "ba360-link-secret"
    }
  }
  crm_mock = var.crm_mode == "mock"

  # ccaip-sdk's entries live in ccaip_sdk.tf.
  function_env = merge(local.ccaip_sdk_function_env, local.operator_function_env, local.call_log_function_env, {
    "crm" = merge(
      {
        PUBLIC_BASE_URL  = local.public_base_url
        CRM_MODE         = var.crm_mode
        CRM_AUTH_METHODS = join(",", var.crm_auth_methods)
        # gs:// attachment references may name these buckets (CRM_ATTACHMENT_BUCKETS default).
        ARCHIVE_BUCKET      = module.storage.archive_bucket_name
        CCAI_STORAGE_BUCKET = module.storage.ccaip_bucket_name
        CRM_DEFAULT_COUNTRY = var.phone_default_country
      },
      merge([for m in var.crm_auth_methods : local.crm_auth[m].env]...),
      local.crm_mock ? {} : { CRM_ADAPTER = var.crm_adapter },
      local.crm_mock ? {} : var.crm_adapter_settings,
    )
    "ui-connector" = merge(
      {
        # Twilio signs the URL it calls: PUBLIC_BASE_URL + /ui-connector.
        PUBLIC_BASE_URL                = local.public_base_url
        CONVERSATION_EVENTS_TOPIC      = module.pubsub.topic_names[local.topics.conversation_events]
        TWILIO_ACCOUNT_SID             = join(",", var.twilio_account_sids)
        UI_CONNECTOR_UNSIGNED_REQUESTS = var.ui_connector_unsigned_requests
        UI_CONNECTOR_DEFAULT_COUNTRY   = var.phone_default_country
      },
      length(var.ui_connector_cors_origins) > 0 ? { UI_CONNECTOR_CORS_ORIGINS = join(",", var.ui_connector_cors_origins) } : {},
    )
    "zoom-webhook" = {
      ZOOM_EVENTS_TOPIC = module.pubsub.topic_names[local.topics.zoom_events]
      # Artifact links redirect to V4 URLs signed for objects of this bucket.
      ARCHIVE_BUCKET = module.storage.archive_bucket_name
    }
    "interaction-worker" = merge(
      {
        ZOOM_ACCOUNT_ID = var.zoom_account_id
        ZOOM_CLIENT_ID  = var.zoom_client_id
        ARCHIVE_BUCKET  = module.storage.archive_bucket_name
        # Base of the durable artifact links it stores in the CRM (served by zoom-webhook).
        PUBLIC_BASE_URL = local.public_base_url
        # The worker writes the CRM through the crm function's contract, with the credentials
        # CCAI Platform uses (crm_client_auth picks which).
        CRM_ADAPTER         = "contract"
        CRM_BASE_URL        = local.function_urls["crm"]
        CRM_CLIENT_AUTH     = var.crm_client_auth
        CRM_DEFAULT_COUNTRY = var.phone_default_country
        # The push subscription's attempt limit: on the last delivery the worker records what
        # still fails in the ledger (for the reconciliation) instead of dead-lettering it.
        PUBSUB_MAX_DELIVERY_ATTEMPTS = tostring(var.max_delivery_attempts)
        # Longer than an attempt plus the longest back-off (terraform/delivery.json).
        ZOOM_ITEM_ORDER_STALE_MS = tostring(local.item_order_stale_ms)
      },
      local.crm_auth[var.crm_client_auth].env,
    )
    "reconcile" = {
      ZOOM_ACCOUNT_ID        = var.zoom_account_id
      ZOOM_CLIENT_ID         = var.zoom_client_id
      ZOOM_EVENTS_TOPIC      = module.pubsub.topic_names[local.topics.zoom_events]
      RECONCILE_SLICES_TOPIC = module.pubsub.topic_names[local.topics.reconcile_slices]
      # Its callers' OIDC tokens carry its URL as audience (Scheduler job, reconcile-slices push).
      RECONCILE_AUDIENCE = local.function_urls["reconcile"]
      # Cloud Run's invoker check runs first (no allUsers on reconcile) and forwards the token
      # with its signature stripped (docs/contracts/google-cloud.md §1): trust its claims.
      OIDC_PLATFORM_VERIFIED = "true"
      # Who may start runs: the nightly job's service account.
      RECONCILE_INVOKERS = module.scheduler.service_account_email
      # Who pushes lane steps: reconcile's own service account (module.function's "fn-<name>";
      # spelled out, as its output would make the function depend on itself).
      RECONCILE_PUSH_INVOKERS = "fn-reconcile@${var.project_id}.iam.gserviceaccount.com"
      # "Yesterday" is the Scheduler's day.
      RECONCILE_TIME_ZONE = var.reconcile_time_zone
    }
  })

  function_secret_env = merge(local.ccaip_sdk_secret_env, local.operator_secret_env, local.call_log_secret_env, {
    "crm" = merge(
      merge([for m in var.crm_auth_methods : local.crm_auth[m].secrets]...),
      # The mock's admin pages and endpoints (journal, faults, reset).
      local.crm_mock ? { CRM_ADMIN_TOKEN = "crm-admin-token" } : {},
      local.crm_mock ? {} : local.crm_adapter_secrets[var.crm_adapter],
    )
    "ui-connector" = {
      # Verifies X-Twilio-Signature (comma-separated tokens: several accounts, or a rotation).
      TWILIO_AUTH_TOKEN       = "twilio-auth-token"
      UI_CONNECTOR_JWT_SECRET = "ui-connector-jwt-secret"
      # Tokens signed with it still verify while a new key rolls out.
      UI_CONNECTOR_JWT_SECRET_PREVIOUS = "ui-connector-jwt-secret-previous"
      # Its own key for the conversation-key HMAC, so rotating the JWT key keeps live mappings.
      UI_CONNECTOR_KEY_HASH_SECRET = "ui-connector-key-hash-secret"
    }
    "zoom-webhook" = {
      ZOOM_WEBHOOK_SECRET           = "zoom-webhook-secret"
      ZOOM_WEBHOOK_SECRET_PREVIOUS  = "zoom-webhook-secret-previous"
      ARTIFACT_LINK_SECRET          = "artifact-link-secret"
      ARTIFACT_LINK_SECRET_PREVIOUS = "artifact-link-secret-previous"
    }
    "interaction-worker" = merge(
      {
        ZOOM_CLIENT_SECRET   = "zoom-client-secret"
        ARTIFACT_LINK_SECRET = "artifact-link-secret"
      },
      local.crm_auth[var.crm_client_auth].secrets,
    )
    "reconcile" = {
      ZOOM_CLIENT_SECRET = "zoom-client-secret"
    }
  })

  # Every credential lives in Secret Manager. Secret ID => what the value is. Terraform
  # creates the secrets the configuration mounts (secret_catalog, below); values are added
  # with `gcloud secrets versions add` (README.md) before the functions deploy.
  secret_descriptions = merge(local.ccaip_sdk_secret_descriptions, {
    "zoom-webhook-secret"              = "Zoom app Secret Token: webhook signatures and url_validation (ZOOM_WEBHOOK_SECRET)"
    "zoom-webhook-secret-previous"     = "The previous Zoom Secret Token, accepted during a rotation; the current token when not rotating (ZOOM_WEBHOOK_SECRET_PREVIOUS)"
    "zoom-client-secret"               = "Zoom Server-to-Server OAuth client secret (ZOOM_CLIENT_SECRET)"
    "artifact-link-secret"             = "Signs the durable artifact links stored in the CRM, at least 16 characters (ARTIFACT_LINK_SECRET)"
    "artifact-link-secret-previous"    = "The previous artifact link secret, accepted during a rotation; the current one when not rotating (ARTIFACT_LINK_SECRET_PREVIOUS)"
    "twilio-auth-token"                = "Twilio auth token(s), comma-separated: request signatures (TWILIO_AUTH_TOKEN)"
    "ui-connector-jwt-secret"          = "HS256 key the UI connector signs its tokens with, at least 32 random bytes (UI_CONNECTOR_JWT_SECRET)"
    "ui-connector-jwt-secret-previous" = "The previous UI connector signing key during a rotation; the current one when not rotating (UI_CONNECTOR_JWT_SECRET_PREVIOUS)"
    "ui-connector-key-hash-secret"     = "HMAC key turning conversation keys (phone numbers) into document IDs, at least 32 characters (UI_CONNECTOR_KEY_HASH_SECRET)"
    "crm-basic-password"               = "Basic password of the crm function, at least 8 characters (CRM_BASIC_PASSWORD)"
    "crm-oauth-client-secret"          = "OAuth client secret of the crm function, at least 16 characters (CRM_OAUTH_CLIENT_SECRET)"
    "crm-api-key"                      = "API key of the crm function, at least 16 characters (CRM_API_KEY)"
    "crm-admin-token"                  = "Admin token of the mock CRM's journal, faults and reset, at least 16 characters (CRM_ADMIN_TOKEN)"
    "servicenow-password"              = "ServiceNow integration user's password (SERVICENOW_PASSWORD)"
    "salesforce-client-secret"         = "Salesforce connected app's client secret (SALESFORCE_CLIENT_SECRET)"
    "zendesk-api-token"                = "Zendesk API token (ZENDESK_API_TOKEN)"
    "ba360-password"                   = "Be Aware 360 user's password (BA360_PASSWORD)"
    "ba360-secret-key"                 = "Be Aware 360 secret key (BA360_SECRET_KEY)"
    "ba360-client-key"                 = "Be Aware 360 client key (BA360_CLIENT_KEY)"
    "ba360-link-secret"                = "Signs the record IDs the Be Aware 360 redirect opens, at least 16 characters (BA360_LINK_SECRET)"
  })
  mounted_secret_ids = distinct(flatten([for name, secrets in local.function_secret_env : values(secrets)]))
  secret_catalog     = { for id, description in local.secret_descriptions : id => description if contains(local.mounted_secret_ids, id) }

  # ==========================================================================================
  # ACCESS — what each function's own service account may do (least privilege).
  #   project_roles: project-level roles; roles/datastore.* are conditioned on the ccbridge
  #                  Firestore database (modules/function). What stays shared: every function
  #                  with Datastore User can read and write every collection of that database
  #                  (Firestore IAM stops at the database; the functions keep to their own
  #                  collections by code, and crm in real mode gets no Firestore role at all).
  #   publishes:     topics (from local.topics) it may publish to; granted per topic.
  #   buckets:       bucket label (local.buckets) => role on that bucket.
  #   signs_urls:    signs V4 URLs through IAM signBlob, so it may create tokens as itself.
  # ==========================================================================================
  buckets = {
    archive = module.storage.archive_bucket_name
    ccaip   = module.storage.ccaip_bucket_name
  }
  function_access = merge(local.operator_function_access, local.call_log_function_access, {
    # Mock mode keeps its CRM in Firestore; real mode only calls the CRM. Reads gs:// attachments.
    "crm" = {
      project_roles = local.crm_mock ? ["roles/datastore.user"] : []
      publishes     = []
      buckets       = { archive = "roles/storage.objectViewer", ccaip = "roles/storage.objectViewer" }
      signs_urls    = false
    }
    # Conversation mappings in Firestore; conversation.registered events.
    "ui-connector" = { project_roles = ["roles/datastore.user"], publishes = [local.topics.conversation_events], buckets = {}, signs_urls = false }
    # Event keys and the ledger in Firestore; publishes events; artifact links answer with a V4
    # URL it signs (signBlob) for an object it may read.
    "zoom-webhook" = { project_roles = ["roles/datastore.user"], publishes = [local.topics.zoom_events], buckets = { archive = "roles/storage.objectViewer" }, signs_urls = true }
    # The ledger in Firestore; creates archive objects (if-generation-match 0), reads their
    # metadata, and deletes one only when it is not what a transfer wrote (shared/zoom/transfer.ts).
    "interaction-worker" = { project_roles = ["roles/datastore.user"], publishes = [], buckets = { archive = google_project_iam_custom_role.archive_writer.id }, signs_urls = false }
    # Runs, slices and lanes in Firestore (reads the ledger); backfills zoom-events, fans out reconcile-slices.
    "reconcile" = { project_roles = ["roles/datastore.user"], publishes = [local.topics.zoom_events, local.topics.reconcile_slices], buckets = {}, signs_urls = false }
  })

  # Who may invoke. Public ONLY where an outside platform calls and the function authenticates
  # the caller itself: crm (CCAI Platform credentials), ui-connector (Twilio signatures and its
  # JWT), zoom-webhook (Zoom signatures), ccaip-sdk (browsers and apps: ID tokens of the
  # host's identity provider, signed guest values) — access "public" in functions/functions.json.
  # test/terraform enforces this list.
  public_functions = [for f in local.functions_manifest.functions : f.name if f.access == "public"]
  # Reached only by its Pub/Sub push subscription (same project): ingress var.push_endpoint_ingress.
  internal_functions = ["interaction-worker"]

  # Sizing: defaults, then per-function tuning, then var.function_settings.
  function_defaults = {
    available_memory                 = "256M"
    available_cpu                    = null
    max_instance_request_concurrency = 1
    timeout_seconds                  = 60
    min_instance_count               = 0
    max_instance_count               = 20
  }
  function_tuning = merge({
    "interaction-worker" = { available_memory = "512M", timeout_seconds = 540 }  # downloads recordings
    "reconcile"          = { available_memory = "512M", timeout_seconds = 1800 } # Scheduler's attempt deadline is 30 min
    },
    # The hot paths (zoom-webhook, ui-connector) are sized in functions/functions.json ("instance"),
    # which the benchmarks read too: 1 vCPU serving many requests at once, so concurrent requests
    # share the Firestore and Pub/Sub RPCs (issue #15). The platform's default is one request at a
    # time on 0.167 vCPU, where nothing is ever shared (docs/contracts/google-cloud.md §12).
    { for f in local.functions_manifest.functions : f.name => {
      available_memory                 = f.instance.memory
      available_cpu                    = f.instance.cpu
      max_instance_request_concurrency = f.instance.concurrency
    } if can(f.instance) },
  )
  # Node's options per function (NODE_OPTIONS; local/manifest.ts nodeOptionsOf builds the same):
  # V8 sizes its young generation from the memory limit — 1 MiB semi-spaces at 512 MiB — so a
  # function serving many requests at once would spend its time in minor GCs.
  # function_settings[name].node_options replaces it; null = Node's defaults.
  node_options = {
    for f in local.functions_manifest.functions : f.name => try(coalesce(
      try(var.function_settings[f.name].node_options, null),
      try("--max-semi-space-size=${f.instance.semiSpaceMiB}", null),
    ), null)
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
  build_service_account = local.build_service_account
  firestore_database    = module.firestore.database_id

  env          = merge(local.common_env, try(local.function_env[each.key], {}))
  node_options = local.node_options[each.key]
  secret_env   = { for env_name, secret_id in try(local.function_secret_env[each.key], {}) : env_name => module.secrets.secret_ids[secret_id] }

  project_roles     = try(local.function_access[each.key].project_roles, [])
  publish_topic_ids = { for t in try(local.function_access[each.key].publishes, []) : t => module.pubsub.topic_ids[t] }
  bucket_roles      = { for label, role in try(local.function_access[each.key].buckets, {}) : label => { bucket = local.buckets[label], role = role } }
  sign_blobs        = try(local.function_access[each.key].signs_urls, false)

  ingress_settings = contains(local.internal_functions, each.key) ? var.push_endpoint_ingress : "ALLOW_ALL"
  settings = merge(
    local.function_defaults,
    try(local.function_tuning[each.key], {}),
    { for k, v in try(var.function_settings[each.key], {}) : k => v if v != null && k != "node_options" },
  )

  # The revision mounts its secrets' "latest" version: every mounted secret must have one first
  # (module.secrets' outputs wait for the versions Terraform sends; scripts/terraform/preflight.ts
  # checks the ones added with gcloud before any apply).
  depends_on = [google_project_service.this, module.secrets, google_project_iam_member.function_build, google_storage_bucket_iam_member.function_build_sources]
}

# Create, read and delete archive objects: storage.objectUser would add listing, metadata
# updates and restores, which the worker never does; objectCreator lacks get and delete.
resource "google_project_iam_custom_role" "archive_writer" {
  project     = var.project_id
  role_id     = "ccbridgeArchiveWriter"
  title       = "ccbridge archive writer"
  description = "What interaction-worker does in the archive bucket: create objects, read their metadata, delete a foreign object in its way."
  permissions = ["storage.objects.create", "storage.objects.get", "storage.objects.delete"]

  depends_on = [google_project_service.this]
}

# --- Invokers ---------------------------------------------------------------------------------

# With public_access = "none" (domain-restricted sharing), no allUsers binding: the invoker check
# is turned off outside Terraform or an authenticated front calls them (README.md).
resource "google_cloud_run_service_iam_member" "public_invoker" {
  for_each = var.public_access == "allUsers" ? toset(local.public_functions) : toset([])

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

# interaction-worker is invoked only by its push subscription, with OIDC tokens of this account.
resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "pubsub-push"
  display_name = "ccbridge Pub/Sub push (invokes interaction-worker)"

  depends_on = [google_project_service.this]
}

resource "google_cloud_run_service_iam_member" "push_invoker" {
  project  = var.project_id
  location = var.region
  service  = module.function["interaction-worker"].service_name
  role     = "roles/run.invoker"
  member   = google_service_account.pubsub_push.member
}

# Pub/Sub mints the OIDC tokens of push deliveries (interaction-worker-push, reconcile-slices
# push). Needed explicitly on projects whose Pub/Sub service agent predates 8 April 2021;
# harmless elsewhere. The agent exists once the Pub/Sub API is enabled (bootstrap, README).
resource "google_service_account_iam_member" "pubsub_token_creator" {
  for_each = {
    push      = google_service_account.pubsub_push.name
    reconcile = module.function["reconcile"].service_account_name
  }

  service_account_id = each.value
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${local.pubsub_service_agent}"
}

# --- Function builds -------------------------------------------------------------------------
# Since July 2024 new projects build functions with a default account that may lack permissions
# (docs/contracts/google-cloud.md §5): ccbridge brings its own, with exactly what a build needs.
resource "google_service_account" "function_build" {
  count = var.build_service_account == null ? 1 : 0

  project      = var.project_id
  account_id   = "ccbridge-build"
  display_name = "ccbridge function builds (Cloud Build)"

  depends_on = [google_project_service.this]
}

resource "google_project_iam_member" "function_build" {
  for_each = var.build_service_account == null ? toset(["roles/logging.logWriter", "roles/artifactregistry.writer"]) : toset([])

  project = var.project_id
  role    = each.value
  member  = google_service_account.function_build[0].member
}

# The bundles it builds from.
resource "google_storage_bucket_iam_member" "function_build_sources" {
  count = var.build_service_account == null ? 1 : 0

  bucket = module.storage.sources_bucket_name
  role   = "roles/storage.objectViewer"
  member = google_service_account.function_build[0].member
}

locals {
  build_service_account = var.build_service_account != null ? var.build_service_account : google_service_account.function_build[0].id
}
