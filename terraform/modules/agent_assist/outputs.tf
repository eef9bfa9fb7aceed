output "conversation_profile_name" {
  description = "Resource name of the conversation profile (projects/P/locations/L/conversationProfiles/ID)."
  value       = google_dialogflow_conversation_profile.this.name
}

output "conversation_profile_id" {
  description = "ID of the conversation profile."
  value       = local.profile_id
}

output "siprec_command" {
  description = "The idempotent CLI command that provisions the SIPREC number and prints the recording-server URI."
  value       = local.siprec_command
}

output "recording_server_uri" {
  description = "SIPREC recording-server URI (sip:+NUMBER@...) for Twilio's Fork Stream connector; null until the CLI has run from this checkout."
  value       = local.recording_server_uri
}
