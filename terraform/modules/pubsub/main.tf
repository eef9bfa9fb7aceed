# Pub/Sub: topics, push subscriptions with retry and dead-letter policies, the dead-letter
# topics with pull subscriptions for inspection, and the Pub/Sub service agent's rights to
# move messages into them.

resource "google_pubsub_topic" "this" {
  for_each = toset(var.topics)

  project = var.project_id
  name    = each.value
}

resource "google_pubsub_topic" "dead_letter" {
  for_each = toset(var.dead_letter_for)

  project = var.project_id
  name    = "${each.value}-dead-letter"

  lifecycle {
    precondition {
      condition     = contains(var.topics, each.value)
      error_message = "dead_letter_for names a topic that is not in topics."
    }
  }
}

# Dead-lettered messages wait here (retained 7 days) for someone to look at them.
resource "google_pubsub_subscription" "dead_letter_inspect" {
  for_each = google_pubsub_topic.dead_letter

  project = var.project_id
  name    = "${each.value.name}-inspect"
  topic   = each.value.id

  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"
  retain_acked_messages      = false

  expiration_policy {
    ttl = ""
  }
}

# The service agent publishes dead letters...
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  for_each = google_pubsub_topic.dead_letter

  project = var.project_id
  topic   = each.value.name
  role    = "roles/pubsub.publisher"
  member  = "serviceAccount:${var.pubsub_service_agent}"
}

resource "google_pubsub_subscription" "push" {
  for_each = var.push_subscriptions

  project = var.project_id
  name    = each.key
  topic   = google_pubsub_topic.this[each.value.topic].id

  ack_deadline_seconds       = each.value.ack_deadline_seconds
  message_retention_duration = var.message_retention_duration

  push_config {
    push_endpoint = each.value.push_endpoint
    oidc_token {
      service_account_email = each.value.oidc_service_account_email
      audience              = each.value.oidc_audience
    }
  }

  retry_policy {
    minimum_backoff = each.value.minimum_backoff
    maximum_backoff = each.value.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.value.topic].id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher]
}

# ...and acknowledges the original on the source subscription.
resource "google_pubsub_subscription_iam_member" "push_dead_letter_subscriber" {
  for_each = google_pubsub_subscription.push

  project      = var.project_id
  subscription = each.value.name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${var.pubsub_service_agent}"
}
