# Firestore: the database, TTL policies and composite indexes.
#
# ============================================================================================
# EXTEND HERE. When code starts a query that needs a composite index, or a collection whose
# documents carry an `expireAt` timestamp, add it to the lists below in the same commit.
# ============================================================================================

locals {
  firestore_database_id = var.firestore_database_id

  # Collections whose documents are deleted by Firestore after their `expireAt` timestamp:
  # every collection the code writes with an `expireAt` field.
  firestore_ttl_field = "expireAt"
  firestore_ttl_collections = [
    "conversations",       # ui-connector: key -> conversation mappings (UI_CONNECTOR_MAPPING_TTL_SECONDS)
    "zoomEventKeys",       # zoom-webhook: de-duplication keys of delivered events (ZOOM_EVENT_KEY_TTL_HOURS)
    "zoomWebhookRefusals", # zoom-webhook: refused deliveries, per-hour counters and a capped sample (as long as the event keys)
    "deadLetters",         # interaction-worker: what its subscription dead-lettered (DEAD_LETTER_RECORD_TTL_DAYS)
    "crmMockJournal",      # crm (mock mode): journal of the mock CRM (CRM_JOURNAL_TTL_HOURS)
    "agentAssistEvents",   # ui-connector: Agent Assist notification log (UI_CONNECTOR_EVENT_RETENTION_SECONDS)
  ]
  # Not here, because their documents carry no expiry field: the reconcile collections
  # (reconcileWindows, reconcileRuns, reconcileSlices, reconcileClaims, reconcileLanes,
  # reconcileReports) are kept until deleted by hand; a TTL needs the code to write an
  # `expireAt` first. The ledger and the mock CRM's records are kept on purpose.

  # Composite indexes the code's queries need. None today; every query (grep `.query(` and
  # `.count(` in functions/ and shared/) is served by Firestore's automatic single-field
  # indexes:
  #   crm mock:  crmMockAccounts field == value; crmMockRecords accountId == and status ==
  #              (equality filters only: merged single-field indexes); crmMockFaults
  #              operation in [...]; crmMockJournal keys array-contains (sorted in memory, on
  #              purpose) or orderBy at desc alone; whole-collection pages.
  #   reconcile: reconcileSlices runId ==; count of runId == and state == (equality only).
  #   trace (operator, npm run trace): one field each — zoomEventKeys engagementId == or
  #              receivedAt in a day; zoomWebhookRefusals engagementId == or hour in a day;
  #              deadLetters engagementId == or recordedAt in a day; ledger crmRecordId == or updatedAt in a day;
  #              reconcileSlices marks.<mark> == or updatedAt in a day; conversations
  #              conversationName ==; crmMockJournal keys array-contains; reconcileReports
  #              orderBy startedAt desc limit 1.
  # test/terraform/firestore-queries.test.ts counts those call sites, so a new query is
  # reviewed here. fields: field_path plus order (ASCENDING or DESCENDING) or array_config
  # (CONTAINS); query_scope defaults to COLLECTION.
  #   agent assist: agentAssistEvents room == and publishTimeMs >= ordered by publishTimeMs
  #              (a socket joining reads its room's recent events): the one composite index;
  #              committedAt >= ordered by committedAt (instances' reads): single-field.
  firestore_composite_indexes = [
    {
      collection = "agentAssistEvents"
      fields = [
        { field_path = "room", order = "ASCENDING" },
        { field_path = "publishTimeMs", order = "ASCENDING" },
      ]
    },
  ]
}

module "firestore" {
  source = "./modules/firestore"

  project_id        = var.project_id
  location          = coalesce(var.firestore_location, var.region)
  database_id       = local.firestore_database_id
  create_database   = var.create_firestore_database
  ttl_field         = local.firestore_ttl_field
  ttl_collections   = local.firestore_ttl_collections
  composite_indexes = local.firestore_composite_indexes

  depends_on = [google_project_service.this]
}
