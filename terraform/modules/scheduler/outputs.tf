output "service_account_email" {
  description = "Service account the job's OIDC tokens are issued for."
  value       = google_service_account.this.email
}

output "job_id" {
  description = "Scheduler job ID."
  value       = google_cloud_scheduler_job.this.id
}
