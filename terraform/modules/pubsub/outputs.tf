output "topic_ids" {
  description = "Topic name => topic ID (projects/P/topics/NAME)."
  value       = { for name, t in google_pubsub_topic.this : name => t.id }
}

output "topic_names" {
  description = "Topic name => topic name (depend on this to wait for the topic)."
  value       = { for name, t in google_pubsub_topic.this : name => t.name }
}

output "dead_letter_topic_ids" {
  description = "Source topic name => dead-letter topic ID."
  value       = { for name, t in google_pubsub_topic.dead_letter : name => t.id }
}

output "dead_letter_subscriptions" {
  description = "Source topic name => pull subscription holding its dead letters."
  value       = { for name, s in google_pubsub_subscription.dead_letter_inspect : name => s.name }
}

output "push_subscription_ids" {
  description = "Push subscription name => ID."
  value       = { for name, s in google_pubsub_subscription.push : name => s.id }
}
