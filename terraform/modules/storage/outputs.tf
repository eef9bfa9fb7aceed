output "archive_bucket_name" {
  description = "Interaction archive bucket."
  value       = google_storage_bucket.archive.name
}

output "ccaip_bucket_name" {
  description = "CCAI Platform external-storage bucket."
  value       = google_storage_bucket.ccaip.name
}

output "sources_bucket_name" {
  description = "Bucket of the function bundles."
  value       = google_storage_bucket.sources.name
}

output "ccaip_service_account_email" {
  description = "Service account whose key CCAI Platform uses."
  value       = google_service_account.ccaip.email
}

output "ccaip_key_secret_id" {
  description = "Secret Manager secret holding the CCAI Platform storage key."
  value       = google_secret_manager_secret.ccaip_key.secret_id
}

