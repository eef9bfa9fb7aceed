terraform {
  # 1.11+: write-only arguments (secret values sent to Secret Manager without landing in state).
  required_version = ">= 1.11.0"

  required_providers {
    google = {
      source = "hashicorp/google"
      # The offline checks (test/terraform) know the attribute names of 6.50.0
      # (terraform/.provider-schema/google.json.gz); re-derive that list when raising this.
      version = ">= 6.50.0, < 7.0.0"
    }
    archive = {
      source  = "hashicorp/archive"
      version = ">= 2.7.0, < 3.0.0"
    }
  }

  # Partial configuration: the bucket comes from `terraform init -backend-config=bucket=...`
  # (see README.md and cloudbuild.yaml); the prefix keeps environments apart in one bucket.
  backend "gcs" {}
}
