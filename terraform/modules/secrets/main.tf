# Secret Manager: one secret per credential. Values are added out of band
# (`gcloud secrets versions add`, see README.md) or, optionally, from var.values.

locals {
  # Which secrets got a value is not secret; the values are.
  supplied = nonsensitive(var.values == null ? toset([]) : toset(keys(var.values)))
}

resource "google_secret_manager_secret" "this" {
  for_each = var.catalog

  project   = var.project_id
  secret_id = each.key

  annotations = {
    description = each.value
  }

  replication {
    auto {}
  }
}

resource "google_secret_manager_secret_version" "supplied" {
  for_each = local.supplied

  secret                 = google_secret_manager_secret.this[each.key].id
  secret_data_wo         = var.values[each.key]
  secret_data_wo_version = var.values_version

  # Rotating means adding versions; an old version stays until disabled by hand.
  deletion_policy = "DISABLE"

  lifecycle {
    precondition {
      condition     = contains(keys(var.catalog), each.key)
      error_message = "secret_values has a key that is not a secret ID in local.secret_catalog (functions.tf)."
    }
  }
}
