# Firestore: the database, TTL policies and composite indexes.
#
# ============================================================================================
# EXTEND HERE. When code starts a query that needs a composite index, or a collection whose
# documents carry an `expireAt` timestamp, add it to the lists below in the same commit.
# ============================================================================================

locals {
  firestore_database_id = var.firestore_database_id

  # Collections whose documents are deleted by Firestore after their `expireAt` timestamp.
  firestore_ttl_field = "expireAt"
  firestore_ttl_collections = [
    "conversations",  # ui-connector: phone number -> conversation name mappings
    "zoomEventKeys",  # zoom-webhook: de-duplication keys of delivered events
    "crmMockJournal", # crm: journal of the mock CRM
  ]

  # Composite indexes the code queries. fields: field_path plus order (ASCENDING or
  # DESCENDING) or array_config (CONTAINS). query_scope defaults to COLLECTION.
  firestore_composite_indexes = [
    {
      collection = "crmMockJournal" # crm: a session's journal in time order
      fields = [
        { field_path = "sessionId", order = "ASCENDING" },
        { field_path = "at", order = "ASCENDING" },
      ]
    },
    {
      collection = "ledger" # reconcile / interaction-worker: stale entries by state
      fields = [
        { field_path = "state", order = "ASCENDING" },
        { field_path = "updatedAt", order = "ASCENDING" },
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
