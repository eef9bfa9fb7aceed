output "database_id" {
  description = "ID of the database the functions use (FIRESTORE_DATABASE)."
  value       = local.database_id
}
