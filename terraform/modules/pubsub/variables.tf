variable "project_id" {
  description = "Project of the topics and subscriptions."
  type        = string
}

variable "pubsub_service_agent" {
  description = "Email of the project's Pub/Sub service agent (service-<number>@gcp-sa-pubsub.iam.gserviceaccount.com), which forwards undeliverable messages."
  type        = string
}

variable "topics" {
  description = "Names of the topics to create."
  type        = list(string)
}

variable "dead_letter_for" {
  description = "Topics whose consumers get a dead-letter topic <topic>-dead-letter with a pull subscription for inspection."
  type        = list(string)
}

variable "max_delivery_attempts" {
  description = "Deliveries before a message is dead-lettered."
  type        = number
}

variable "message_retention_duration" {
  description = "How long subscriptions keep unacknowledged messages."
  type        = string
  default     = "604800s"
}

variable "push_subscriptions" {
  description = "Push subscriptions with OIDC authentication, keyed by subscription name. Each topic must be in dead_letter_for."
  type = map(object({
    topic                      = string
    push_endpoint              = string
    oidc_service_account_email = string
    oidc_audience              = string
    ack_deadline_seconds       = optional(number, 60)
    minimum_backoff            = optional(string, "10s")
    maximum_backoff            = optional(string, "600s")
  }))
  default = {}
}
