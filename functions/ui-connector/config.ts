/**
 * Settings of the ui-connector function (documented in README.md and .env.example).
 * Parsed once from the injected env; every bad key is reported at once.
 */
import * as z from 'zod';
import { ConfigError, envBool, envInt, envList, envString, envUrl, optionalSecret, Secret, secret } from '../../shared/config';
import { functionPublicUrl } from '../../shared/http/url';
import { countryCodeSchema } from '../../shared/phone';
import { agentAssistConfigShape } from './agent-assist-config';
import { ROLELESS_TOKEN_POLICIES } from './tokens';

const ACCOUNT_SID = /^AC[0-9a-fA-F]{32}$/;

/** A comma-separated list of secrets (several Twilio accounts, or a token being rotated). */
const secretList = (min: number) =>
  envList()
    .pipe(z.array(z.string().min(min, { error: `each value must be at least ${min} characters` })))
    .transform((values) => values.map((v) => new Secret(v)));

/** A signing key of at least 32 bytes (HS256 wants a key as long as its hash). */
const signingKey = () => secret(32).refine((s) => Buffer.byteLength(s.reveal(), 'utf8') >= 32, { error: 'must be at least 32 bytes' });

export const uiConnectorConfigShape = {
  /** The project named in the tokens' `gcp_agent_assist_project` claim; GCP_PROJECT by default. */
  AGENT_ASSIST_PROJECT: z.string().trim().optional(),
  PUBLIC_BASE_URL: envUrl().optional(),
  TWILIO_API_BASE_URL: envUrl().default('https://api.twilio.com'),
  TWILIO_ACCOUNT_SID: envList().pipe(
    z
      .array(z.string().regex(ACCOUNT_SID, { error: 'each value must be a Twilio account SID (AC + 32 hex digits)' }))
      .min(1, { error: 'at least one Twilio account SID is required' }),
  ),
  TWILIO_AUTH_TOKEN: secretList(16).optional(),
  UI_CONNECTOR_JWT_SECRET: signingKey(),
  UI_CONNECTOR_JWT_SECRET_PREVIOUS: optionalSecret(32),
  UI_CONNECTOR_KEY_HASH_SECRET: optionalSecret(32),
  UI_CONNECTOR_TOKEN_TTL_MINUTES: envInt(1, 24 * 60).default(60),
  UI_CONNECTOR_MAPPING_TTL_SECONDS: envInt(60, 7 * 24 * 3600).default(4 * 3600),
  UI_CONNECTOR_COLLECTION: envString().default('conversations'),
  CONVERSATION_EVENTS_TOPIC: envString().default('conversation-events'),
  UI_CONNECTOR_DEFAULT_COUNTRY: countryCodeSchema().default('US'),
  UI_CONNECTOR_CORS_ORIGINS: envList()
    .pipe(z.array(z.url({ error: 'each origin must be an absolute URL such as https://example.my.salesforce.com' })))
    .default([]),
  /** What unsigned requests may do: see twilio-request.ts. Unsigned mapping writes are refused by default. */
  UI_CONNECTOR_UNSIGNED_REQUESTS: z.enum(['accept', 'reads-only', 'reject'], { error: 'must be accept, reads-only or reject' }).default('reads-only'),
  /** The function's public URL as Twilio calls it (default: PUBLIC_BASE_URL + /ui-connector). */
  UI_CONNECTOR_PUBLIC_URL: envUrl().optional(),
  /** More public URLs of the same function (custom domains, the Cloud Run URL), comma-separated. */
  UI_CONNECTOR_PUBLIC_URLS: envList()
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each value must be an absolute http(s) URL such as https://connector.example.com' })))
    .default([]),
  /** Roles of tokens without ccbridge_role: agent (read-only), any (the old all-powerful tokens) or reject. */
  UI_CONNECTOR_ROLELESS_TOKENS: z.enum(ROLELESS_TOKEN_POLICIES, { error: 'must be agent, any or reject' }).default('agent'),
  /** Whether agent tokens (the Lightning component) may DELETE a mapping, as the reference component does on COMPLETED. */
  UI_CONNECTOR_AGENT_MAY_DELETE: envBool().default(false),
  /** register-app: requests not signed by Twilio, per source address, per instance (burst, then per minute). */
  UI_CONNECTOR_REGISTER_SOURCE_BURST: envInt(1, 100_000).default(30),
  UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE: envInt(1, 1_000_000).default(300),
  /** register-app: failed authentications per account SID, per instance (burst, then per minute). */
  UI_CONNECTOR_REGISTER_ACCOUNT_FAILURE_BURST: envInt(1, 100_000).default(10),
  UI_CONNECTOR_REGISTER_ACCOUNT_FAILURES_PER_MINUTE: envInt(1, 1_000_000).default(6),
  /** X-Forwarded-For entries, counted from the end, added by the platform's proxies after the one that saw the caller. */
  UI_CONNECTOR_FORWARDED_HOPS: envInt(0, 5).default(0),
  UI_CONNECTOR_TWILIO_TIMEOUT_MS: envInt(100, 8000).default(3000),
  UI_CONNECTOR_TWILIO_CACHE_SECONDS: envInt(0, 900).default(60),
  UI_CONNECTOR_EVENT_TIMEOUT_MS: envInt(100, 8000).default(3000),
  ...agentAssistConfigShape,
};

/**
 * How Twilio requests are checked: the auth tokens and the public URLs signatures are
 * verified against (never a URL built from the request's Host / X-Forwarded-Host). No token
 * is a ConfigError unless unsigned requests are accepted; tokens without a public URL too.
 */
export function twilioSigningOf(
  config: Pick<
    z.output<z.ZodObject<typeof uiConnectorConfigShape>>,
    'TWILIO_AUTH_TOKEN' | 'UI_CONNECTOR_UNSIGNED_REQUESTS' | 'UI_CONNECTOR_PUBLIC_URL' | 'UI_CONNECTOR_PUBLIC_URLS' | 'PUBLIC_BASE_URL'
  >,
): { authTokens: Secret[]; publicUrl: string | undefined; publicUrls: string[] } {
  const authTokens = config.TWILIO_AUTH_TOKEN ?? [];
  if (authTokens.length === 0 && config.UI_CONNECTOR_UNSIGNED_REQUESTS !== 'accept') {
    throw new ConfigError('ui-connector', [
      'TWILIO_AUTH_TOKEN: required when UI_CONNECTOR_UNSIGNED_REQUESTS is not "accept" (signatures cannot be verified without it)',
    ]);
  }
  const publicUrl = functionPublicUrl(config.UI_CONNECTOR_PUBLIC_URL, config.PUBLIC_BASE_URL, 'ui-connector');
  const publicUrls = [...(publicUrl ? [publicUrl] : []), ...config.UI_CONNECTOR_PUBLIC_URLS];
  if (authTokens.length > 0 && publicUrls.length === 0) {
    throw new ConfigError('ui-connector', [
      'UI_CONNECTOR_PUBLIC_URL: required with TWILIO_AUTH_TOKEN (set it, UI_CONNECTOR_PUBLIC_URLS or PUBLIC_BASE_URL): Twilio signs the URL it calls',
    ]);
  }
  return { authTokens, publicUrl, publicUrls };
}
