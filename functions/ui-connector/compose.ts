/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import { hkdfSync } from 'node:crypto';
import type { Env } from '../../shared/config';
import { lazyFirestoreDocStore, lazyPubSubEventBus } from '../../shared/google-lazy';
import type { HttpFunction } from '../../shared/http/app';
import { bodyLimitsOf, withBodyLimits } from '../../shared/http/body-guard';
import { lazyAsync } from '../../shared/lazy';
import type { DocStore } from '../../shared/ports/docstore';
import type { EventBus } from '../../shared/ports/eventbus';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { type AgentAssistParts, type AgentAssistPorts, composeAgentAssist } from './agent-assist-compose';
import { twilioSigningOf, uiConnectorConfigShape } from './config';
import { createConversationEvents } from './conversation-events';
import { createKeyResolver } from './conversation-keys';
import { createConversationStore } from './conversation-store';
import { createUiConnectorApp } from './routes';
import { createTokenService } from './tokens';
import { type AccountVerifier, createCachedAccountVerifier, createTwilioAccountVerifier, createTwilioHttp } from './twilio-accounts';
import { createTwilioRequestGate } from './twilio-request';
import { createKeyedTokenBuckets } from '../../shared/rate-limit';
import { withoutTrailingSlash } from '../../shared/http/url';

export interface UiConnectorPorts extends AgentAssistPorts {
  docs?: DocStore;
  bus?: EventBus;
  /** Replaces the Twilio Accounts API check (the allow-list and cache still apply). */
  accounts?: AccountVerifier;
}

/** The HTTP handler; `attachSocket` serves the Agent Assist socket.io server on the HTTP server that runs it. */
export type UiConnectorHandler = HttpFunction & Pick<AgentAssistParts, 'attachSocket'>;

export function composeUiConnector(env: Env, ports: UiConnectorPorts = {}, options: ComposeOptions = {}): UiConnectorHandler {
  const { config, log } = createFunctionRuntime('ui-connector', env, uiConnectorConfigShape, options);
  const { authTokens, publicUrl, publicUrls } = twilioSigningOf(config);
  if (authTokens.length === 0) log.warn('twilio signatures are not verified: TWILIO_AUTH_TOKEN is not set');

  const nowMs = options.now ?? Date.now;
  const now = () => new Date(nowMs());
  const project = config.AGENT_ASSIST_PROJECT || config.GCP_PROJECT;
  const jwtKey = config.UI_CONNECTOR_JWT_SECRET;
  // Without a key of its own, the key hash key is derived from the signing key (rotating that key then orphans live mappings for up to their TTL).
  const hashKey = config.UI_CONNECTOR_KEY_HASH_SECRET
    ? Buffer.from(config.UI_CONNECTOR_KEY_HASH_SECRET.reveal(), 'utf8')
    : Buffer.from(hkdfSync('sha256', jwtKey.reveal(), 'ccbridge', 'ui-connector conversation key hash', 32));
  const perMinute = (n: number) => n / 60;

  // The Google clients load on first use: composing stays cheap at instance start.
  const docs = ports.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const bus = ports.bus ?? lazyPubSubEventBus(config.GCP_PROJECT);
  const upstreamAccounts =
    ports.accounts ??
    createTwilioAccountVerifier({
      http: lazyAsync(() => createTwilioHttp({ baseUrl: config.TWILIO_API_BASE_URL, timeoutMs: config.UI_CONNECTOR_TWILIO_TIMEOUT_MS })),
      log,
    });

  const corsOrigins = config.UI_CONNECTOR_CORS_ORIGINS.map((o) => new URL(o).origin);
  const tokens = createTokenService({
    keys: [jwtKey, ...(config.UI_CONNECTOR_JWT_SECRET_PREVIOUS ? [config.UI_CONNECTOR_JWT_SECRET_PREVIOUS] : [])],
    project,
    ttlMinutes: config.UI_CONNECTOR_TOKEN_TTL_MINUTES,
    roleless: config.UI_CONNECTOR_ROLELESS_TOKENS,
    now,
  });
  const agentAssist = composeAgentAssist({ ...config, UI_CONNECTOR_PUBLIC_URL: publicUrl }, { log, project, corsOrigins, tokens, docs, now }, ports);

  const connector = createUiConnectorApp({
    log,
    projectId: config.GCP_PROJECT,
    corsOrigins,
    gate: createTwilioRequestGate({ authTokens, unsigned: config.UI_CONNECTOR_UNSIGNED_REQUESTS, publicUrls }),
    tokens,
    deleteRoles: config.UI_CONNECTOR_AGENT_MAY_DELETE ? ['twilio', 'agent'] : ['twilio'],
    forwardedHops: config.UI_CONNECTOR_FORWARDED_HOPS,
    registerApp: {
      allowedAccountSids: new Set(config.TWILIO_ACCOUNT_SID),
      limits: {
        perSource: createKeyedTokenBuckets({
          burst: config.UI_CONNECTOR_REGISTER_SOURCE_BURST,
          perSecond: perMinute(config.UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE),
          now: nowMs,
        }),
        failuresPerAccount: createKeyedTokenBuckets({
          burst: config.UI_CONNECTOR_REGISTER_ACCOUNT_FAILURE_BURST,
          perSecond: perMinute(config.UI_CONNECTOR_REGISTER_ACCOUNT_FAILURES_PER_MINUTE),
          now: nowMs,
        }),
      },
      accounts: createCachedAccountVerifier({
        upstream: upstreamAccounts,
        allowedAccountSids: config.TWILIO_ACCOUNT_SID,
        cacheSeconds: config.UI_CONNECTOR_TWILIO_CACHE_SECONDS,
        now: nowMs,
      }),
    },
    conversations: {
      store: createConversationStore({
        docs,
        collection: config.UI_CONNECTOR_COLLECTION,
        now,
        onCorrupt: (hash) => log.error('conversation mapping unreadable: treated as absent', { keyHash: hash }),
      }),
      events: createConversationEvents({ bus, topic: config.CONVERSATION_EVENTS_TOPIC, timeoutMs: config.UI_CONNECTOR_EVENT_TIMEOUT_MS }),
      keys: createKeyResolver({ hashKey, defaultCountry: config.UI_CONNECTOR_DEFAULT_COUNTRY }),
      now,
      mappingTtlSeconds: config.UI_CONNECTOR_MAPPING_TTL_SECONDS,
    },
  });
  const appFor = (req: { originalUrl?: string | undefined; url?: string | undefined }) => {
    const path = withoutTrailingSlash((req.originalUrl ?? req.url ?? '/').split('?')[0]!);
    return agentAssist.isAgentAssistPath(path) ? agentAssist.app : connector;
  };
  const handler: HttpFunction = (req, res) => appFor(req)(req, res);
  // Each request is held to the body limits of the app that will serve it, before the Framework parses it.
  return Object.assign(
    withBodyLimits(handler, (req) => bodyLimitsOf(appFor(req), req)),
    { attachSocket: agentAssist.attachSocket },
  );
}
