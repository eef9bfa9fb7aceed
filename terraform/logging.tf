# Log exclusions (issue #13, Low): Cloud Run request logs (run.googleapis.com/requests) record the
# full URL with its query string. Two kinds of URL carry what must not be kept there:
#  - zoom-webhook's artifact links (GET /artifacts/<engagement>/<key>?t=<token>): the token is a
#    bearer credential to a recording;
#  - phone numbers and emails in query strings (ui-connector GET /conversation-name?
#    conversationIntegrationKey=+1555..., crm GET /accounts?phone=...&email=...): personal data.
# An exclusion drops the whole request-log entry (it cannot redact a part); the functions' own
# structured logs keep what matters, masked (shared/mask.ts). docs/contracts/google-cloud.md §8.

locals {
  request_log = "log_name=\"projects/${var.project_id}/logs/run.googleapis.com%2Frequests\""

  log_exclusions = {
    "ccbridge-artifact-link-tokens" = {
      description = "Request logs of artifact links: the query string carries a bearer token to a recording."
      filter      = "${local.request_log} AND resource.labels.service_name=\"zoom-webhook\" AND httpRequest.requestUrl=~\"/artifacts/.*[?&]t=\""
    }
    "ccbridge-phone-numbers-in-urls" = {
      description = "Request logs whose query string carries a phone number or an email (crm account lookups, ui-connector conversation keys)."
      filter      = "${local.request_log} AND (resource.labels.service_name=\"crm\" OR resource.labels.service_name=\"ui-connector\") AND httpRequest.requestUrl=~\"[?&](phone|email|conversationIntegrationKey)=\""
    }
  }
}

resource "google_logging_project_exclusion" "this" {
  for_each = local.log_exclusions

  project     = var.project_id
  name        = each.key
  description = each.value.description
  filter      = each.value.filter

  depends_on = [google_project_service.this]
}
