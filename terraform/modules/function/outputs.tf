output "name" {
  description = "Function name."
  value       = google_cloudfunctions2_function.this.name
}

output "url" {
  description = "HTTPS URL of the function (cloudfunctions.net form); the OIDC audience of its callers."
  value       = google_cloudfunctions2_function.this.url
}

output "service_uri" {
  description = "URI of the underlying Cloud Run service (run.app form)."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "service_name" {
  description = "Cloud Run service of the function, for invoker bindings."
  value       = google_cloudfunctions2_function.this.name
}

output "service_account_email" {
  description = "The function's runtime service account."
  value       = google_service_account.this.email
}

output "service_account_name" {
  description = "The function's service account resource name (projects/P/serviceAccounts/EMAIL)."
  value       = google_service_account.this.name
}

output "update_time" {
  description = "Last update of the function (changes on every deploy)."
  value       = google_cloudfunctions2_function.this.update_time
}
