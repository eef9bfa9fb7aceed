/**
 * The environment every function gets in the local stack: the same keys as production
 * (see .env.example), pointing at local servers. Each function parses only what it needs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Env } from '../shared/config';
import type { LocalCredentials } from './credentials';
import { repoRoot } from './manifest';

export const LOCAL_PROJECT = 'ccbridge-local';

export const localResources = {
  archiveBucket: 'ccbridge-archive',
  ccaiStorageBucket: 'ccbridge-ccai-external',
  zoomEventsTopic: 'zoom-events',
  conversationEventsTopic: 'conversation-events',
  reconcileSlicesTopic: 'reconcile-slices',
} as const;

/**
 * Service accounts of the local stack's OIDC tokens: Cloud Scheduler's (starts reconcile runs)
 * and reconcile's own (the identity of the reconcile-slices push subscription).
 */
export const localServiceAccounts = {
  scheduler: `reconcile-scheduler@${LOCAL_PROJECT}.iam.gserviceaccount.com`,
  reconcile: `fn-reconcile@${LOCAL_PROJECT}.iam.gserviceaccount.com`,
  /** The identity of the interaction-worker-push subscription (Terraform: pubsub-push). */
  pubsubPush: `pubsub-push@${LOCAL_PROJECT}.iam.gserviceaccount.com`,
  /** call-log's own account: the identity of the call-log-push subscription (conversation-events). */
  callLog: `fn-call-log@${LOCAL_PROJECT}.iam.gserviceaccount.com`,
  /** The identity of the call-log sweep job (Cloud Scheduler). */
  callLogSweep: `call-log-sweep@${LOCAL_PROJECT}.iam.gserviceaccount.com`,
} as const;

export interface LocalEndpoints {
  gatewayUrl: string;
  firestoreHost: string;
  pubsubHost: string;
  storageUrl: string;
  zoomUrl: string;
  twilioUrl: string;
  dialogflowUrl: string;
  /** Certs of the local OIDC issuer (Google's are at https://www.googleapis.com/oauth2/v1/certs). */
  oidcCertsUrl: string;
  /** The local IAP-like signer's keys (Google's are at https://www.gstatic.com/iap/verify/public_key-jwk). */
  iapKeysUrl?: string;
  /** The same issuer as the end users' identity provider (ccaip-sdk). */
  oidcIssuerUrl: string;
}

/** The client id of the local site's sign-in: the audience of end users' ID tokens. */
export const LOCAL_SDK_AUDIENCE = 'ccbridge-local-web';

export interface LocalSigner {
  clientEmail: string;
  privateKey: string;
}

/** Variables the Google client libraries read from process.env themselves. */
export function emulatorEnv(endpoints: LocalEndpoints): Env {
  return {
    FIRESTORE_EMULATOR_HOST: endpoints.firestoreHost,
    PUBSUB_EMULATOR_HOST: endpoints.pubsubHost,
    STORAGE_EMULATOR_HOST: endpoints.storageUrl,
    GOOGLE_CLOUD_PROJECT: LOCAL_PROJECT,
    METADATA_SERVER_DETECTION: 'none',
  };
}

export function buildLocalEnv(endpoints: LocalEndpoints, creds: LocalCredentials, signer: LocalSigner, overrides: Env = {}): Env {
  return {
    ...emulatorEnv(endpoints),
    GCP_PROJECT: LOCAL_PROJECT,
    LOG_LEVEL: 'info',
    FIRESTORE_DATABASE: '(default)',
    PUBLIC_BASE_URL: endpoints.gatewayUrl,
    ARCHIVE_BUCKET: localResources.archiveBucket,
    CCAI_STORAGE_BUCKET: localResources.ccaiStorageBucket,
    ZOOM_EVENTS_TOPIC: localResources.zoomEventsTopic,
    CONVERSATION_EVENTS_TOPIC: localResources.conversationEventsTopic,
    RECONCILE_SLICES_TOPIC: localResources.reconcileSlicesTopic,
    GCS_SIGNER_CLIENT_EMAIL: signer.clientEmail,
    GCS_SIGNER_PRIVATE_KEY: signer.privateKey,
    // Zoom
    ZOOM_WEBHOOK_SECRET: creds.zoomWebhookSecret,
    ZOOM_API_BASE_URL: `${endpoints.zoomUrl}/v2`,
    ZOOM_OAUTH_TOKEN_URL: `${endpoints.zoomUrl}/oauth/token`,
    ZOOM_ACCOUNT_ID: creds.zoomAccountId,
    ZOOM_CLIENT_ID: creds.zoomClientId,
    ZOOM_CLIENT_SECRET: creds.zoomClientSecret,
    ARTIFACT_LINK_SECRET: creds.artifactLinkSecret,
    // Twilio and Agent Assist
    TWILIO_API_BASE_URL: endpoints.twilioUrl,
    TWILIO_ACCOUNT_SID: creds.twilioAccountSid,
    TWILIO_AUTH_TOKEN: creds.twilioAuthToken,
    UI_CONNECTOR_JWT_SECRET: creds.uiConnectorJwtSecret,
    // Every local client (tests, fuzz, demo) is one source, 127.0.0.1, and fuzz guesses tokens for the one
    // local account by design: register-app's per-instance limits are raised so they do not stand in the way.
    UI_CONNECTOR_REGISTER_SOURCE_BURST: '100000',
    UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE: '1000000',
    UI_CONNECTOR_REGISTER_ACCOUNT_FAILURE_BURST: '100000',
    UI_CONNECTOR_REGISTER_ACCOUNT_FAILURES_PER_MINUTE: '1000000',
    DIALOGFLOW_API_ENDPOINT: endpoints.dialogflowUrl,
    // Verification of Google-signed ID tokens (Cloud Scheduler, Pub/Sub push)
    OIDC_CERTS_URL: endpoints.oidcCertsUrl,
    // IAP's signed assertion on artifact links (checked when ARTIFACT_REQUIRE_IDENTITY=true)
    ...(endpoints.iapKeysUrl ? { ARTIFACT_IAP_KEYS_URL: endpoints.iapKeysUrl } : {}),
    // The gateway plays Cloud Run's invoker check for reconcile (and the worker): tokens arrive stripped.
    OIDC_PLATFORM_VERIFIED: 'true',
    // reconcile: its URL is the audience of its callers' tokens
    RECONCILE_AUDIENCE: `${endpoints.gatewayUrl}/reconcile`,
    RECONCILE_INVOKERS: localServiceAccounts.scheduler,
    RECONCILE_PUSH_INVOKERS: localServiceAccounts.reconcile,
    // CRM: the crm function in mock mode is the local CRM
    // call-log: Twilio's status callbacks to the gateway URL; its push and sweep present local OIDC tokens.
    CALL_LOG_PUBLIC_URL: `${endpoints.gatewayUrl}/call-log`,
    CALL_LOG_PUSH_INVOKERS: localServiceAccounts.callLog,
    CALL_LOG_SWEEP_INVOKERS: localServiceAccounts.callLogSweep,
    // The CRM behind the local crm function, whose field names a CALL_LOG_FIELD_MAP must use (settingsFor follows an exported real CRM).
    CALL_LOG_CRM: 'mock',
    CRM_MODE: 'mock',
    CRM_BASE_URL: `${endpoints.gatewayUrl}/crm`,
    CRM_BASIC_USER: creds.crmBasicUser,
    CRM_BASIC_PASSWORD: creds.crmBasicPassword,
    CRM_API_KEY: creds.crmApiKey,
    CRM_OAUTH_CLIENT_ID: creds.crmOauthClientId,
    CRM_OAUTH_CLIENT_SECRET: creds.crmOauthClientSecret,
    CRM_ADMIN_TOKEN: creds.crmAdminToken,
    // ccaip-sdk: end users sign in at the local OIDC issuer; the demo page is served by the gateway (plain http).
    CCAIP_COMPANY_SECRET: creds.ccaipCompanySecret,
    CCAIP_COMPANY_NAME: 'ccbridge local',
    SDK_OIDC_ISSUER: endpoints.oidcIssuerUrl,
    SDK_OIDC_AUDIENCE: LOCAL_SDK_AUDIENCE,
    SDK_ALLOW_GUESTS: 'true',
    SDK_GUEST_COOKIE_SECURE: 'false',
    SDK_DEMO_PAGE: 'true',
    SDK_CORS_ORIGINS: [endpoints.gatewayUrl, endpoints.gatewayUrl.replace('//127.0.0.1:', '//localhost:')].join(','),
    ...overrides,
  };
}

/** Settings the local stack owns whatever is exported: where the local servers are. */
const STACK_OWNED = new Set([
  'FIRESTORE_EMULATOR_HOST',
  'PUBSUB_EMULATOR_HOST',
  'STORAGE_EMULATOR_HOST',
  'GOOGLE_CLOUD_PROJECT',
  'GCP_PROJECT',
  'PUBLIC_BASE_URL',
  'METADATA_SERVER_DETECTION',
  'FIRESTORE_DATABASE',
]);
/** The CRM the interaction worker and reconcile talk to stays the local crm function (the contract). */
const CONTRACT_CLIENT_KEYS = new Set(['CRM_MODE', 'CRM_ADAPTER', 'CRM_BASE_URL', 'CRM_CLIENT_AUTH']);

/** Every setting .env.example documents (set or commented out). */
export function documentedSettings(example: string = readFileSync(join(repoRoot, '.env.example'), 'utf8')): Set<string> {
  const keys = new Set<string>();
  for (const line of example.split('\n')) {
    const m = /^#?\s*(?:\[secret\]\s*)?([A-Z][A-Z0-9_]*)=/.exec(line.trim());
    if (m) keys.add(m[1]!);
  }
  return keys;
}

/**
 * The function settings a person exported before `npm start` (documented in .env.example,
 * not owned by the stack): they replace the stack's defaults, and each function validates
 * them exactly as in production.
 */
export function exportedSettings(env: Env, documented: Set<string> = documentedSettings()): Env {
  const out: Env = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && documented.has(key) && !STACK_OWNED.has(key)) out[key] = value;
  return out;
}

/** A function's view of the exported settings: the worker and reconcile keep the local crm function as their CRM. */
export function settingsFor(name: string, env: Env, exported: Env, stackDefaults: Env): Env {
  if (name === 'crm') return env;
  const kept: Env = { ...env };
  for (const key of CONTRACT_CLIENT_KEYS) if (key in exported) kept[key] = stackDefaults[key];
  // call-log writes through the crm function: its field map is checked against the CRM that function writes, as Terraform sets it.
  if (name === 'call-log' && !('CALL_LOG_CRM' in exported) && exported['CRM_MODE'] === 'real' && exported['CRM_ADAPTER'] !== undefined)
    kept['CALL_LOG_CRM'] = exported['CRM_ADAPTER'];
  return kept;
}
