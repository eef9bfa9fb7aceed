/**
 * Composition of the Agent Assist half of ui-connector (register, proxy, notification
 * consumer, socket server) from the function's parsed config and the ports it shares with
 * register-app / conversation-name (token service, document store, clock).
 */
import type http from 'node:http';
import type * as z from 'zod';
import { createNotificationLog } from '../../shared/agent-assist/notification-log';
import type { HttpFunction } from '../../shared/http/app';
import { lazyAsync } from '../../shared/lazy';
import { createKeyedTokenBuckets } from '../../shared/rate-limit';
import type { Logger } from '../../shared/logging';
import type { DocStore } from '../../shared/ports/docstore';
import type { agentAssistConfigShape } from './agent-assist-config';
import { createAgentAssistApp, isAgentAssistPath } from './agent-assist-routes';
import { createDialogflowForwarder, createDialogflowHttp, type DialogflowForwarder, type GoogleAuthHeaders, googleAuthHeaders } from './proxy';
import { createCachedSalesforceVerifier, createSalesforceHttp, createSalesforceUserInfoVerifier, type SalesforceTokenVerifier } from './salesforce-userinfo';
import { type AgentAssistSocketServer, attachAgentAssistSocket, socketNamespaces } from './socket';
import type { TokenService } from './tokens';

type AgentAssistConfig = z.output<z.ZodObject<typeof agentAssistConfigShape>>;

export interface AgentAssistPorts {
  /** Replaces the Salesforce userinfo call (the org check and cache still apply to the real one only). */
  salesforce?: SalesforceTokenVerifier;
  dialogflow?: DialogflowForwarder;
  /** Authorization for Dialogflow calls; google-auth-library's ADC by default, none with DIALOGFLOW_API_ENDPOINT. */
  googleAuth?: GoogleAuthHeaders;
}

export interface AgentAssistParts {
  app: HttpFunction;
  isAgentAssistPath: (path: string) => boolean;
  attachSocket(server: http.Server): Promise<AgentAssistSocketServer>;
}

export function composeAgentAssist(
  config: AgentAssistConfig & {
    GCP_PROJECT?: string;
    UI_CONNECTOR_PUBLIC_URL?: string | undefined;
    UI_CONNECTOR_REGISTER_SOURCE_BURST: number;
    UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE: number;
    UI_CONNECTOR_FORWARDED_HOPS: number;
  },
  shared: { log: Logger; project: string; corsOrigins: string[]; tokens: TokenService; docs: DocStore; now: () => Date },
  ports: AgentAssistPorts = {},
): AgentAssistParts {
  const { log, now } = shared;
  if (config.SALESFORCE_DOMAIN && config.SALESFORCE_ORGANIZATION_ID.length === 0)
    log.warn('SALESFORCE_DOMAIN is set without SALESFORCE_ORGANIZATION_ID: /register refuses everyone');
  const salesforceDomain = config.SALESFORCE_DOMAIN;
  const salesforce =
    ports.salesforce ??
    createCachedSalesforceVerifier({
      upstream: salesforceDomain
        ? createSalesforceUserInfoVerifier({
            http: lazyAsync(() => createSalesforceHttp({ domain: salesforceDomain, timeoutMs: config.UI_CONNECTOR_SALESFORCE_TIMEOUT_MS })),
            allowedOrgIds: config.SALESFORCE_ORGANIZATION_ID,
            log,
          })
        : { verify: async () => ({ verdict: 'invalid', reason: 'SALESFORCE_DOMAIN is not configured' }) },
      cacheSeconds: config.UI_CONNECTOR_SALESFORCE_CACHE_SECONDS,
      now: () => now().getTime(),
    });
  const endpointOverride = config.DIALOGFLOW_API_ENDPOINT;
  const dialogflow =
    ports.dialogflow ??
    createDialogflowForwarder({
      http: lazyAsync(() => createDialogflowHttp({ timeoutMs: config.UI_CONNECTOR_DIALOGFLOW_TIMEOUT_MS })),
      ...(endpointOverride ? { endpointOverride } : {}),
      // The local stand-in takes no credentials; Google's endpoints get the service's own.
      authHeaders: ports.googleAuth ?? (endpointOverride ? async () => ({}) : googleAuthHeaders()),
    });
  const notificationLog = createNotificationLog({
    docs: shared.docs,
    collection: config.UI_CONNECTOR_EVENTS_COLLECTION,
    retentionSeconds: config.UI_CONNECTOR_EVENT_RETENTION_SECONDS,
    now,
    onCorrupt: (id) => log.error('notification document unreadable: skipped', { id }),
  });
  const app = createAgentAssistApp({
    log,
    ...(config.GCP_PROJECT ? { projectId: config.GCP_PROJECT } : {}),
    project: shared.project,
    corsOrigins: shared.corsOrigins,
    tokens: shared.tokens,
    salesforce,
    registerRefusals: createKeyedTokenBuckets({
      burst: config.UI_CONNECTOR_REGISTER_SOURCE_BURST,
      perSecond: config.UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE / 60,
      now: () => now().getTime(),
    }),
    forwardedHops: config.UI_CONNECTOR_FORWARDED_HOPS,
    dialogflow,
    ...(config.UI_CONNECTOR_NOTIFICATIONS === 'accept' ? { notifications: { log: notificationLog, now } } : {}),
  });
  return {
    app,
    isAgentAssistPath,
    attachSocket: (server) =>
      attachAgentAssistSocket(server, {
        tokens: shared.tokens,
        log: notificationLog,
        logger: log,
        project: shared.project,
        namespaces: socketNamespaces(config.UI_CONNECTOR_PUBLIC_URL),
        corsOrigins: shared.corsOrigins,
        retentionSeconds: config.UI_CONNECTOR_EVENT_RETENTION_SECONDS,
        pollMs: config.UI_CONNECTOR_EVENT_POLL_MS,
        now,
      }),
  };
}
