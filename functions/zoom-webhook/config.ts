/** Settings of zoom-webhook (see .env.example, `# --- zoom ---`). */
import * as z from 'zod';
import { ConfigError, envBool, envInt, envList, envString, envUrl, optionalSecret, secret } from '../../shared/config';
import { IAP_PUBLIC_KEYS_URL } from '../../shared/http/iap-assertion';

export const zoomWebhookConfigShape = {
  /** The app's Secret Token in the Zoom Marketplace. */
  ZOOM_WEBHOOK_SECRET: secret(8),
  /** The previous Secret Token, accepted too while a rotation is under way. */
  ZOOM_WEBHOOK_SECRET_PREVIOUS: optionalSecret(8),
  ZOOM_WEBHOOK_WINDOW_SECONDS: envInt(10, 3600).default(300),
  /**
   * How old a correctly signed request may be and still be taken while its event is not yet
   * published: Zoom's retries come 5, 25 and 85 minutes after the first attempt, possibly
   * with that attempt's timestamp (README, "Retries"). Must stay below the key TTL.
   */
  ZOOM_WEBHOOK_RETRY_WINDOW_SECONDS: envInt(300, 86_400).default(7200),
  /** How long an event's business key is remembered (Zoom retries for about 85 minutes). */
  ZOOM_EVENT_KEY_TTL_HOURS: envInt(2, 24 * 90).default(72),
  /**
   * Refused deliveries are counted per hour and reason (./refusals): each instance writes its
   * count at most this often, so a flood of bad requests cannot become a flood of writes. 0:
   * every refusal is written at once.
   */
  ZOOM_REFUSAL_COUNT_INTERVAL_SECONDS: envInt(0, 300).default(10),
  ZOOM_EVENTS_TOPIC: envString(),
  ARCHIVE_BUCKET: envString(),
  ARTIFACT_LINK_SECRET: secret(16),
  ARTIFACT_LINK_SECRET_PREVIOUS: optionalSecret(16),
  /** Lifetime of the signed URL an artifact link redirects to. */
  ARTIFACT_SIGNED_URL_TTL_SECONDS: envInt(30, 3600).default(300),
  /** Require an identity proven by IAP's signed assertion (x-goog-iap-jwt-assertion) to open an artifact link. */
  ARTIFACT_REQUIRE_IDENTITY: envBool().default(false),
  /**
   * The IAP assertion's expected audience(s), comma-separated (required with ARTIFACT_REQUIRE_IDENTITY):
   * `/projects/NUMBER/global/backendServices/ID` behind a load balancer (docs/contracts/google-cloud.md, IAP).
   */
  ARTIFACT_IAP_AUDIENCE: envList().optional(),
  /** IAP's public keys (JWKS); the local stack points at its IAP-like signer. */
  ARTIFACT_IAP_KEYS_URL: envUrl().default(IAP_PUBLIC_KEYS_URL),
  /** Allowed email domains when an identity is required (comma-separated); empty = any. */
  ARTIFACT_ALLOWED_DOMAINS: z.string().default(''),
  PUBLIC_BASE_URL: envUrl().optional(),
  GCS_SIGNER_CLIENT_EMAIL: z.string().optional(),
  GCS_SIGNER_PRIVATE_KEY: optionalSecret(32),
};

export type ZoomWebhookConfig = z.output<z.ZodObject<typeof zoomWebhookConfigShape>>;

/** Cross-key rules; every problem listed at once. */
export function checkZoomWebhookConfig(config: ZoomWebhookConfig): void {
  const problems: string[] = [];
  if (config.ARTIFACT_REQUIRE_IDENTITY && (config.ARTIFACT_IAP_AUDIENCE ?? []).length === 0) {
    problems.push('ARTIFACT_IAP_AUDIENCE: required when ARTIFACT_REQUIRE_IDENTITY is true (the audience of the IAP assertion)');
  }
  if (problems.length > 0) throw new ConfigError('zoom-webhook', problems);
}
