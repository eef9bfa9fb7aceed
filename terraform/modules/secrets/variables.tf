variable "project_id" {
  description = "Project of the secrets."
  type        = string
}

variable "catalog" {
  description = "Secret ID => description of the value. Terraform creates the secrets, not their values."
  type        = map(string)

  validation {
    condition     = alltrue([for id in keys(var.catalog) : can(regex("^[a-z][a-z0-9-]{0,254}$", id))])
    error_message = "Secret IDs must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "values" {
  description = "Optional values keyed by secret ID, sent as new versions through a write-only argument (never stored in state). Null: none."
  type        = map(string)
  sensitive   = true
  default     = null
}

variable "values_version" {
  description = "Increase to send values again."
  type        = number
  default     = 1
}
