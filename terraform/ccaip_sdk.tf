# ccaip-sdk: signs CCAI Platform Web/Mobile SDK end-user tokens (functions/ccaip-sdk/README.md).
# The function itself is created with the others from functions/functions.json
# (terraform/functions.tf); this file holds its inputs, its environment, its secret and the
# reason it is public: browsers and mobile apps call it, and it authenticates them itself
# (an ID token of the host application's identity provider, or a signed guest identity).

variable "ccaip_sdk_oidc_issuer" {
  description = "SDK_OIDC_ISSUER: issuer of the host application's ID tokens, exactly as their iss claim. Firebase / Identity Platform: https://securetoken.google.com/<project>; Auth0: https://<tenant>/; Entra ID: https://login.microsoftonline.com/<tenant-id>/v2.0; Okta: https://<org>.okta.com/oauth2/default."
  type        = string

  validation {
    condition     = can(regex("^https://[^\\s]+$", var.ccaip_sdk_oidc_issuer))
    error_message = "ccaip_sdk_oidc_issuer must be an https URL, exactly the iss of the ID tokens."
  }
}

variable "ccaip_sdk_oidc_audiences" {
  description = "SDK_OIDC_AUDIENCE: accepted aud values of the ID tokens (the sign-in client id; Firebase: the project id)."
  type        = list(string)

  validation {
    condition     = length(var.ccaip_sdk_oidc_audiences) > 0 && alltrue([for a in var.ccaip_sdk_oidc_audiences : length(a) > 0 && !strcontains(a, ",")])
    error_message = "ccaip_sdk_oidc_audiences must list at least one audience (no commas)."
  }
}

variable "ccaip_sdk_oidc_jwks_url" {
  description = "SDK_OIDC_JWKS_URL: the issuer's keys, a JWK Set or Google's {kid: PEM} certificates (Firebase: https://www.googleapis.com/robot/v1/metadata/x509/securetoken@system.gserviceaccount.com). Null: jwks_uri from <issuer>/.well-known/openid-configuration."
  type        = string
  default     = null

  validation {
    condition     = var.ccaip_sdk_oidc_jwks_url == null || can(regex("^https://[^\\s]+$", var.ccaip_sdk_oidc_jwks_url))
    error_message = "ccaip_sdk_oidc_jwks_url must be an https URL or null."
  }
}

variable "ccaip_sdk_claims" {
  description = "Which ID-token claim becomes each CCAI Platform field: keys identifier, name, email, phone (SDK_CLAIM_*; defaults sub, name, email, phone_number; \"none\" leaves a field out; a dotted name reads a nested claim)."
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.ccaip_sdk_claims : contains(["identifier", "name", "email", "phone"], k) && can(regex("^[A-Za-z0-9_.:/-]{1,200}$", v))])
    error_message = "ccaip_sdk_claims keys must be identifier, name, email or phone, and values claim names."
  }
  validation {
    condition     = lower(lookup(var.ccaip_sdk_claims, "identifier", "sub")) != "none"
    error_message = "ccaip_sdk_claims.identifier cannot be \"none\": every token needs an identifier."
  }
}

variable "ccaip_sdk_allowed_origins" {
  description = "SDK_CORS_ORIGINS: origins of the host site whose pages may call the function (e.g. https://www.example.com). A browser request from any other origin is refused."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for o in var.ccaip_sdk_allowed_origins : can(regex("^https?://[A-Za-z0-9.-]+(:[0-9]+)?/?$", o))])
    error_message = "ccaip_sdk_allowed_origins must be origins such as https://www.example.com (scheme and host, no path)."
  }
}

variable "ccaip_sdk_company_name" {
  description = "CCAIP_COMPANY_NAME: iss of the end-user tokens (optional in CCAI Platform's documentation)."
  type        = string
  default     = null
}

variable "ccaip_sdk_allow_guests" {
  description = "SDK_ALLOW_GUESTS: visitors without an ID token get a guest identifier issued and signed by the function (kept per browser)."
  type        = bool
  default     = false
}

variable "ccaip_sdk_token_ttl_seconds" {
  description = "SDK_TOKEN_TTL_SECONDS: lifetime of an end-user token (60-3600)."
  type        = number
  default     = 300

  validation {
    condition     = var.ccaip_sdk_token_ttl_seconds >= 60 && var.ccaip_sdk_token_ttl_seconds <= 3600
    error_message = "ccaip_sdk_token_ttl_seconds must be between 60 and 3600."
  }
}

variable "ccaip_sdk_mobile_allowed_fields" {
  description = "SDK_MOBILE_ALLOWED_FIELDS: fields a mobile SDK payload may add to the identity (never identifier, name, email, phone, iss, iat, exp)."
  type        = list(string)
  default     = ["device_token"]

  validation {
    condition     = alltrue([for f in var.ccaip_sdk_mobile_allowed_fields : can(regex("^[A-Za-z][A-Za-z0-9_]{0,63}$", f)) && !contains(["identifier", "name", "email", "phone", "iss", "iat", "exp", "nbf", "sub", "aud", "jti"], f)])
    error_message = "ccaip_sdk_mobile_allowed_fields must be plain keys and no identity key."
  }
}

variable "ccaip_sdk_rate_limit_per_minute" {
  description = "SDK_RATE_LIMIT_PER_MINUTE: requests per client address per minute, per instance."
  type        = number
  default     = 60
}

variable "ccaip_sdk_demo_page" {
  description = "SDK_DEMO_PAGE: serve the sample page <function URL>/demo (guests, or an ID token in its #id_token= fragment), which loads the Web SDK widget from https://<ccaip_sdk_host>/web-sdk/v3/widget.js. Adds the function's own origin to the allowed origins."
  type        = bool
  default     = false
}

variable "ccaip_sdk_company_id" {
  description = "CCAIP_COMPANY_ID: the company id (key) the sample page's widget starts with (public, not a secret). Null: the page shows the callback only."
  type        = string
  default     = null
}

variable "ccaip_sdk_host" {
  description = "CCAIP_HOST: the CCAI Platform instance the sample page's widget talks to, e.g. https://acme.uc1.ccaiplatform.com. Null: the widget is not loaded."
  type        = string
  default     = null

  validation {
    condition     = var.ccaip_sdk_host == null || can(regex("^https://[A-Za-z0-9.-]+/?$", var.ccaip_sdk_host))
    error_message = "ccaip_sdk_host must be https://<instance host>."
  }
}

locals {
  # The sample page calls the function from the function's own origin.
  ccaip_sdk_origins = concat(var.ccaip_sdk_allowed_origins, var.ccaip_sdk_demo_page ? [local.public_base_url] : [])

  ccaip_sdk_function_env = {
    "ccaip-sdk" = merge(
      {
        SDK_OIDC_ISSUER           = var.ccaip_sdk_oidc_issuer
        SDK_OIDC_AUDIENCE         = join(",", var.ccaip_sdk_oidc_audiences)
        SDK_ALLOW_GUESTS          = tostring(var.ccaip_sdk_allow_guests)
        SDK_TOKEN_TTL_SECONDS     = tostring(var.ccaip_sdk_token_ttl_seconds)
        SDK_MOBILE_ALLOWED_FIELDS = join(",", var.ccaip_sdk_mobile_allowed_fields)
        SDK_RATE_LIMIT_PER_MINUTE = tostring(var.ccaip_sdk_rate_limit_per_minute)
        SDK_PHONE_DEFAULT_COUNTRY = var.phone_default_country
      },
      { for field, claim in var.ccaip_sdk_claims : "SDK_CLAIM_${upper(field)}" => claim },
      var.ccaip_sdk_oidc_jwks_url == null ? {} : { SDK_OIDC_JWKS_URL = var.ccaip_sdk_oidc_jwks_url },
      var.ccaip_sdk_company_name == null ? {} : { CCAIP_COMPANY_NAME = var.ccaip_sdk_company_name },
      length(local.ccaip_sdk_origins) > 0 ? { SDK_CORS_ORIGINS = join(",", local.ccaip_sdk_origins) } : {},
      var.ccaip_sdk_demo_page ? { SDK_DEMO_PAGE = "true" } : {},
      var.ccaip_sdk_demo_page && var.ccaip_sdk_company_id != null ? { CCAIP_COMPANY_ID = var.ccaip_sdk_company_id } : {},
      var.ccaip_sdk_demo_page && var.ccaip_sdk_host != null ? { CCAIP_HOST = var.ccaip_sdk_host } : {},
    )
  }
  ccaip_sdk_secret_env = {
    # Signs the end-user JWTs (HS256); also keys the guest identifiers' signatures.
    "ccaip-sdk" = { CCAIP_COMPANY_SECRET = "ccaip-company-secret" }
  }
  ccaip_sdk_secret_descriptions = {
    "ccaip-company-secret" = "CCAI Platform company secret (portal: Settings > Developer Settings): signs the SDK end-user tokens (CCAIP_COMPANY_SECRET)"
  }
}
