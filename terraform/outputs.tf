output "function_urls" {
  description = "Function name => HTTPS URL. Configure crm in CCAI Platform, ui-connector in Twilio/Salesforce and zoom-webhook in the Zoom app."
  value       = { for name, f in module.function : name => f.url }
}

output "function_service_accounts" {
  description = "Function name => runtime service account."
  value       = { for name, f in module.function : name => f.service_account_email }
}

output "archive_bucket" {
  description = "Interaction archive bucket."
  value       = module.storage.archive_bucket_name
}

output "ccaip_storage_bucket" {
  description = "Bucket to enter as CCAI Platform external storage."
  value       = module.storage.ccaip_bucket_name
}

output "function_source_bucket" {
  description = "Bucket of the uploaded function bundles."
  value       = module.storage.sources_bucket_name
}

output "ccaip_storage_service_account" {
  description = "Service account of the CCAI Platform external-storage key."
  value       = module.storage.ccaip_service_account_email
}

output "ccaip_storage_key_secret" {
  description = "Secret Manager secret that holds the CCAI Platform storage key."
  value       = module.storage.ccaip_key_secret_id
}

output "topics" {
  description = "Topic name => topic ID."
  value       = module.pubsub.topic_ids
}

output "dead_letter_subscriptions" {
  description = "Source topic => pull subscription holding its dead-lettered messages."
  value       = module.pubsub.dead_letter_subscriptions
}

output "secrets" {
  description = "Secret IDs to fill with `gcloud secrets versions add` (README.md)."
  value       = keys(module.secrets.secret_ids)
}

output "firestore_database" {
  description = "Firestore database ID."
  value       = module.firestore.database_id
}

output "conversation_profile" {
  description = "Agent Assist conversation profile resource name."
  value       = module.agent_assist.conversation_profile_name
}

output "siprec_recording_server_uri" {
  description = "SIPREC recording-server URI for Twilio's Fork Stream connector (null until `npm run siprec` has run from this checkout; see modules/agent_assist)."
  value       = module.agent_assist.recording_server_uri
}

output "post_apply_commands" {
  description = "Commands the local-exec provisioner runs (the SIPREC number). Cloud Build runs them in a Node step after apply."
  value       = [module.agent_assist.siprec_command]
}

output "push_subscriptions" {
  description = "Push subscription name => ID (interaction-worker-push, reconcile-slices-push)."
  value       = module.pubsub.push_subscription_ids
}
