variable "project_id" {
  description = "Project of the job and its service account."
  type        = string
}

variable "region" {
  description = "Region of the job."
  type        = string
}

variable "job_name" {
  description = "Name of the scheduler job."
  type        = string
}

variable "schedule" {
  description = "Cron schedule."
  type        = string
}

variable "time_zone" {
  description = "IANA time zone of the schedule."
  type        = string
}

variable "target_url" {
  description = "HTTPS URL of the function to call; also the OIDC token audience."
  type        = string
}

variable "attempt_deadline" {
  description = "How long the job waits for the function (at most 1800s for HTTP targets)."
  type        = string
  default     = "1800s"
}
