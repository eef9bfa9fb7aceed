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

variable "suggestion_features" {
  description = "Human-agent suggestion features: type (ARTICLE_SUGGESTION, FAQ, SMART_REPLY, KNOWLEDGE_SEARCH, KNOWLEDGE_ASSIST, CONVERSATION_SUMMARIZATION, ...) with the conversation model or Dialogflow agent it draws on (provider 6.50 has no knowledge-base source for human-agent suggestions)."
  type = list(object({
    type                          = string
    dialogflow_agent              = optional(string)
    conversation_model            = optional(string)
    enable_event_based_suggestion = optional(bool, true)
    max_results                   = optional(number, 3)
    confidence_threshold          = optional(number)
  }))
}

variable "suggestion_notification_topic" {
  description = "Topic (projects/P/topics/T) of human_agent_assistant_config.notification_config: suggestions as they are made; null: none."
  type        = string
}

variable "lifecycle_notification_topic" {
  description = "Topic of the profile's notification_config: conversation lifecycle events (started, ended, ...); null: none."
  type        = string
}

variable "new_message_notification_topic" {
  description = "Topic for every new message of a conversation (transcript lines); null: none."
  type        = string
}

variable "stt_model" {
  description = "Speech-to-text model of the SIPREC audio (e.g. telephony); null: Dialogflow's default."
  type        = string
}

variable "recognition_notification_topic" {
  description = "Topic (projects/P/topics/T) for newRecognitionResultNotificationConfig, set by the siprec CLI (the provider has no field for it). Null: not set."
  type        = string
  default     = null
}
