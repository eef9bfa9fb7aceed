# Cloud Scheduler: the nightly reconcile job. It calls the function with an OIDC token of a
# dedicated service account, which holds nothing but run.invoker on reconcile (granted in
# the root module's functions.tf).

resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = "reconcile-scheduler"
  display_name = "ccbridge nightly reconcile job"
  description  = "Identity of the Cloud Scheduler job that starts reconcile."
}

resource "google_cloud_scheduler_job" "this" {
  project          = var.project_id
  region           = var.region
  name             = var.job_name
  description      = "Nightly reconciliation of Zoom recordings and engagements against what ccbridge processed."
  schedule         = var.schedule
  time_zone        = var.time_zone
  attempt_deadline = var.attempt_deadline

  retry_config {
    retry_count          = 2
    min_backoff_duration = "300s"
    max_backoff_duration = "1800s"
  }

  http_target {
    uri         = var.target_url
    http_method = "POST"
    headers = {
      "Content-Type" = "application/json"
    }
    body = base64encode(jsonencode({ trigger = "scheduler" }))

    oidc_token {
      service_account_email = google_service_account.this.email
      audience              = var.target_url
    }
  }
}
