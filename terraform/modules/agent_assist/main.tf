# Agent Assist: the conversation profile, and its SIPREC phone number through the project's
# idempotent CLI (`npm run siprec`). The google provider has no resource for phone numbers,
# phone-number orders or the profile's sipConfig, so the CLI orders/links the number and
# turns on createConversationOnTheFly.
#
# What Terraform can and cannot capture: local-exec returns no values. The provisioner
# therefore writes the CLI's output to terraform/.siprec/<id>.txt (ignored by git) and the
# recording_server_uri output reads that file: on the apply that runs the CLI and on later
# plans/applies from the same checkout. Where the file is absent (another machine, or
# Cloud Build, which runs the CLI in a later step: output post_apply_commands) the output is
# null; running the CLI again is harmless and prints the URI.

locals {
  profile_id = element(split("/", google_dialogflow_conversation_profile.this.name), length(split("/", google_dialogflow_conversation_profile.this.name)) - 1)

  siprec_command = join(" ", [
    "npm run --silent siprec --",
    "--project", var.project_id,
    "--location", var.location,
    "--profile", local.profile_id,
    # The provider has no field for newRecognitionResultNotificationConfig; the CLI sets it.
    var.recognition_notification_topic == null ? "" : "--recognition-topic ${var.recognition_notification_topic}",
  ])

  siprec_dir  = abspath("${path.root}/.siprec")
  siprec_file = length(terraform_data.siprec_number) == 0 ? null : "${local.siprec_dir}/${terraform_data.siprec_number[0].id}.txt"
  # The CLI may print more than the URI; take the first sip: URI in its output.
  recording_server_uri = local.siprec_file == null ? null : (
    fileexists(local.siprec_file) ? try(regex("sips?:[^\\s\"']+", file(local.siprec_file)), null) : null
  )
}

resource "google_dialogflow_conversation_profile" "this" {
  project       = var.project_id
  location      = var.location
  display_name  = var.display_name
  language_code = var.language_code

  logging_config {
    enable_stackdriver_logging = true
  }

  human_agent_assistant_config {
    # Suggestions and lifecycle events as JSON on a topic: what the UI connector's consumer reads.
    dynamic "notification_config" {
      for_each = var.suggestion_notification_topic == null ? [] : [var.suggestion_notification_topic]
      content {
        topic          = notification_config.value
        message_format = "JSON"
      }
    }

    human_agent_suggestion_config {
      dynamic "feature_configs" {
        for_each = var.suggestion_features
        content {
          enable_event_based_suggestion = feature_configs.value.enable_event_based_suggestion

          suggestion_feature {
            type = feature_configs.value.type
          }

          dynamic "query_config" {
            for_each = feature_configs.value.dialogflow_agent == null ? [] : [feature_configs.value]
            content {
              max_results          = query_config.value.max_results
              confidence_threshold = query_config.value.confidence_threshold
              dialogflow_query_source {
                agent = query_config.value.dialogflow_agent
              }
            }
          }

          dynamic "conversation_model_config" {
            for_each = feature_configs.value.conversation_model == null ? [] : [feature_configs.value.conversation_model]
            content {
              model = conversation_model_config.value
            }
          }
        }
      }
    }

    message_analysis_config {
      enable_sentiment_analysis = true
    }
  }

  dynamic "notification_config" {
    for_each = var.lifecycle_notification_topic == null ? [] : [var.lifecycle_notification_topic]
    content {
      topic          = notification_config.value
      message_format = "JSON"
    }
  }

  dynamic "new_message_event_notification_config" {
    for_each = var.new_message_notification_topic == null ? [] : [var.new_message_notification_topic]
    content {
      topic          = new_message_event_notification_config.value
      message_format = "JSON"
    }
  }

  dynamic "stt_config" {
    for_each = var.stt_model == null ? [] : [var.stt_model]
    content {
      model = stt_config.value
    }
  }
}

resource "terraform_data" "siprec_number" {
  count = var.run_local_provisioners ? 1 : 0

  # A new profile gets (or is linked to) a number again.
  # The CLI is idempotent: it runs again when the profile or what it is asked to set changes.
  triggers_replace = [google_dialogflow_conversation_profile.this.name, local.siprec_command]

  provisioner "local-exec" {
    working_dir = var.repo_root
    command     = "mkdir -p '${local.siprec_dir}' && ${local.siprec_command} > '${local.siprec_dir}/${self.id}.txt'"
  }
}
