variable "project_id" {
  description = "Project of the function."
  type        = string
}

variable "region" {
  description = "Region of the function."
  type        = string
}

variable "name" {
  description = "Function name from functions/functions.json; also names its service account (fn-<name>)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,26}[a-z0-9]$", var.name))
    error_message = "name must be 2-28 lowercase letters, digits or hyphens (the service account ID fn-<name> has at most 30)."
  }
}

variable "description" {
  description = "Function description."
  type        = string
  default     = ""
}

variable "entry_point" {
  description = "Exported function the runtime calls (entryPoint in functions/functions.json)."
  type        = string
}

variable "source_dir" {
  description = "Directory of the built bundle (dist/<name>: index.js and package.json)."
  type        = string
}

variable "source_bucket" {
  description = "Bucket the zipped bundle is uploaded to."
  type        = string
}

variable "build_service_account" {
  description = "Service account for Cloud Build (full resource name), or null for the default."
  type        = string
  default     = null
}

variable "env" {
  description = "Plain environment variables. Never credentials: those go in secret_env."
  type        = map(string)
  default     = {}
}

variable "node_options" {
  description = "NODE_OPTIONS of the function's instances (V8 sizing, see terraform/functions.tf), or null to leave Node's defaults."
  type        = string
  default     = null
}

variable "secret_env" {
  description = "Environment variable => Secret Manager secret ID (latest version). The function's service account gets secretAccessor on exactly these secrets."
  type        = map(string)
  default     = {}
}

variable "project_roles" {
  description = "Project-level roles of the function's service account."
  type        = list(string)
  default     = []
}

variable "publish_topic_ids" {
  description = "Topics the function publishes to (label => topic ID); publisher is granted per topic."
  type        = map(string)
  default     = {}
}

variable "bucket_roles" {
  description = "Bucket-level roles of the function's service account (label => bucket and role)."
  type = map(object({
    bucket = string
    role   = string
  }))
  default = {}
}

variable "sign_blobs" {
  description = "The function signs (V4 URLs) as its own service account through the IAM Credentials signBlob API: grant it Service Account Token Creator on itself, and nothing wider."
  type        = bool
  default     = false
}

variable "ingress_settings" {
  description = "ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  type        = string

  validation {
    condition     = contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], var.ingress_settings)
    error_message = "ingress_settings must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }
}

variable "settings" {
  description = "Memory, CPU, requests served at once, timeout and instance counts."
  type = object({
    available_memory                 = string
    available_cpu                    = optional(string)
    max_instance_request_concurrency = optional(number, 1)
    timeout_seconds                  = number
    min_instance_count               = number
    max_instance_count               = number
  })

  # Cloud Run serves one request at a time below 1 vCPU (docs/contracts/google-cloud.md §12):
  # refused here, at plan time, rather than by the API half-way through an apply.
  validation {
    condition     = var.settings.max_instance_request_concurrency >= 1 && var.settings.max_instance_request_concurrency <= 1000 && (var.settings.max_instance_request_concurrency == 1 || (var.settings.available_cpu != null && try(tonumber(var.settings.available_cpu), 0) >= 1))
    error_message = "max_instance_request_concurrency must be 1 to 1000, and above 1 only with available_cpu of at least 1."
  }

  validation {
    condition     = var.settings.min_instance_count >= 0 && var.settings.max_instance_count >= max(1, var.settings.min_instance_count)
    error_message = "Instance counts must satisfy 0 <= min_instance_count <= max_instance_count and max_instance_count >= 1."
  }

  validation {
    condition     = var.settings.timeout_seconds >= 1 && var.settings.timeout_seconds <= 3600
    error_message = "timeout_seconds must be between 1 and 3600."
  }
}

variable "firestore_database" {
  description = "Firestore database ID the function uses: its roles/datastore.* grants are conditioned on this database (IAM conditions on resource.name), so no function can touch another database of the project."
  type        = string
}
