variable "project_id" {
  description = "Project that owns the buckets and the CCAI Platform service account."
  type        = string
}

variable "location" {
  description = "Location of the buckets."
  type        = string
}

variable "bucket_prefix" {
  description = "Prefix of the bucket names (project ID and environment); suffixes are at most 12 characters."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,49}$", var.bucket_prefix))
    error_message = "bucket_prefix must be 2-50 lowercase letters, digits or hyphens."
  }
}

variable "archive_storage_class_days" {
  description = "Age in days at which archived objects move to NEARLINE, COLDLINE and ARCHIVE."
  type = object({
    nearline = number
    coldline = number
    archive  = number
  })
}

variable "archive_noncurrent_version_days" {
  description = "Days after which noncurrent versions in the archive are deleted."
  type        = number
}

variable "archive_retention_days" {
  description = "Retention period of the archive bucket in days; 0 for none."
  type        = number
}

variable "archive_retention_locked" {
  description = "Lock the archive retention policy (irreversible)."
  type        = bool
}

variable "ccaip_storage_role" {
  description = "Role of the CCAI Platform storage account on its bucket: \"custom\" (objects only, no IAM/ACL/retention rights) or a predefined role such as roles/storage.objectAdmin."
  type        = string
}
