variable "project_id" {
  description = "Project of the conversation profile."
  type        = string
}

variable "location" {
  description = "Dialogflow location of the profile and its SIPREC number."
  type        = string
}

variable "display_name" {
  description = "Display name of the conversation profile."
  type        = string
}

variable "language_code" {
  description = "Language of the assisted conversations."
  type        = string
}

variable "run_local_provisioners" {
  description = "Run the SIPREC CLI with local-exec during apply."
  type        = bool
}

variable "repo_root" {
  description = "Absolute path of the repository (where `npm run siprec` runs)."
  type        = string
}
