variable "project_id" {
  description = "Project of the Firestore database."
  type        = string
}

variable "location" {
  description = "Location of a database created here."
  type        = string
}

variable "database_id" {
  description = "Database ID, (default) for the default database."
  type        = string
}

variable "create_database" {
  description = "Create the database (false: it exists already)."
  type        = bool
}

variable "ttl_field" {
  description = "Timestamp field after which Firestore deletes a document."
  type        = string
}

variable "ttl_collections" {
  description = "Collections with a TTL policy on ttl_field."
  type        = list(string)
}

variable "composite_indexes" {
  description = "Composite indexes: collection, fields (field_path with order ASCENDING/DESCENDING or array_config CONTAINS), optional query_scope."
  type = list(object({
    collection  = string
    query_scope = optional(string, "COLLECTION")
    fields = list(object({
      field_path   = string
      order        = optional(string)
      array_config = optional(string)
    }))
  }))

  validation {
    condition = alltrue(flatten([
      for index in var.composite_indexes : [
        for f in index.fields : (f.order == null) != (f.array_config == null)
      ]
    ]))
    error_message = "Each index field needs exactly one of order or array_config."
  }

  validation {
    condition     = alltrue([for index in var.composite_indexes : length(index.fields) >= 2])
    error_message = "A composite index has at least two fields (single-field indexes are automatic)."
  }
}
