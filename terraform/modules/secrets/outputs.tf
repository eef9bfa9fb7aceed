output "secret_ids" {
  description = "Secret ID => secret ID (depend on this to wait for the secret)."
  value       = { for id, s in google_secret_manager_secret.this : id => s.secret_id }
}

output "secret_names" {
  description = "Secret ID => resource name (projects/NUMBER/secrets/ID)."
  value       = { for id, s in google_secret_manager_secret.this : id => s.name }
}
