# Firestore: the database, TTL policies on the expiring collections and composite indexes.

locals {
  # Key of an index: collection and its fields, e.g. "ledger:state:ASCENDING,updatedAt:ASCENDING".
  composite_indexes = {
    for index in var.composite_indexes :
    "${index.collection}:${join(",", [for f in index.fields : "${f.field_path}:${coalesce(f.order, f.array_config)}"])}" => index
  }

  # Dependents wait for the database when this module creates it.
  database_id = var.create_database ? google_firestore_database.this[0].name : var.database_id
}

resource "google_firestore_database" "this" {
  count = var.create_database ? 1 : 0

  project     = var.project_id
  name        = var.database_id
  location_id = var.location
  type        = "FIRESTORE_NATIVE"

  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  # `terraform destroy` leaves the data alone; delete the database by hand if you mean it.
  deletion_policy = "ABANDON"
}

resource "google_firestore_field" "ttl" {
  for_each = toset(var.ttl_collections)

  project    = var.project_id
  database   = local.database_id
  collection = each.value
  field      = var.ttl_field

  ttl_config {}

  # TTL timestamps grow monotonically, which makes an indexed field a write hot spot;
  # nothing queries on it, so its single-field indexes are switched off.
  index_config {}
}

resource "google_firestore_index" "composite" {
  for_each = local.composite_indexes

  project     = var.project_id
  database    = local.database_id
  collection  = each.value.collection
  query_scope = each.value.query_scope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.field_path
      order        = fields.value.order
      array_config = fields.value.array_config
    }
  }
}
