output "secret_ids" {
  description = "Secret ID => secret ID. Depends on the versions Terraform sends (secret_values), so a function mounting a secret is created after its value exists."
  value       = { for id, s in google_secret_manager_secret.this : id => s.secret_id }

  depends_on = [google_secret_manager_secret_version.supplied]
}

output "secret_names" {
  description = "Secret ID => resource name (projects/NUMBER/secrets/ID)."
  value       = { for id, s in google_secret_manager_secret.this : id => s.name }
}
