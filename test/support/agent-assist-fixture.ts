/**
 * ui-connector with its Agent Assist half, on the real Functions Framework behind a real
 * HTTP server that also carries the socket.io server (as the Cloud Run service does),
 * against the Salesforce identity stand-in and a Dialogflow upstream given by the test.
 * Document store in memory (or given), clock injected.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createMemoryDocStore } from './doubles/memory-docstore';
import { createMemoryEventBus } from './doubles/memory-eventbus';
import type { Env } from '../../shared/config';
import type { DocStore } from '../../shared/ports/docstore';
import { composeUiConnector } from '../../functions/ui-connector/compose';
import type { AgentAssistSocketServer } from '../../functions/ui-connector/socket';
import { caseSafeId, type SalesforceConnectedApp, type SalesforceIdentityMock, startSalesforceIdentityMock } from '../../local/mocks/salesforce-identity';
import { ACCOUNT_SID, AUTH_TOKEN, baseEnv } from './ui-connector-fixture';

export const ORG_ID_15 = '00D5g000004ABcD';
export const ORG_ID_18 = caseSafeId(ORG_ID_15);
export const OTHER_ORG_ID_18 = caseSafeId('00D5g000009ZZzz');
export const AGENT_APP: SalesforceConnectedApp = {
  consumerKey: '3MVG9local.agent.assist.consumer.key',
  consumerSecret: 'local-agent-assist-consumer-secret-0123',
  organizationId: ORG_ID_18,
  userId: caseSafeId('0055g00000AbCdE'),
  username: 'agent-assist@acme.example',
};
export const FOREIGN_APP: SalesforceConnectedApp = {
  consumerKey: '3MVG9other.org.consumer.key',
  consumerSecret: 'other-org-consumer-secret-0123456789',
  organizationId: OTHER_ORG_ID_18,
  userId: caseSafeId('0055g00000ZzZzZ'),
  username: 'intruder@other.example',
};

export interface AgentAssistUnderTest {
  url: string;
  salesforce: SalesforceIdentityMock;
  docs: DocStore;
  logs: string[];
  clock: { now: Date };
  socket: AgentAssistSocketServer;
  /** A client-credentials token from the stand-in, as the component obtains it. */
  salesforceToken(app?: SalesforceConnectedApp): Promise<string>;
  /** A ui-connector token for the Salesforce agent (through /register). */
  agentToken(): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startAgentAssist(options: { env?: Env; docs?: DocStore; dialogflowUrl?: string } = {}): Promise<AgentAssistUnderTest> {
  const clock = { now: new Date('2026-11-21T10:00:00Z') };
  const salesforce = await startSalesforceIdentityMock({ apps: [AGENT_APP, FOREIGN_APP], now: () => clock.now.getTime() });
  const docs = options.docs ?? createMemoryDocStore(() => clock.now);
  const logs: string[] = [];
  const handler = composeUiConnector(
    baseEnv({
      SALESFORCE_DOMAIN: salesforce.baseUrl,
      SALESFORCE_ORGANIZATION_ID: ORG_ID_15,
      UI_CONNECTOR_NOTIFICATIONS: 'accept',
      UI_CONNECTOR_PUBLIC_URL: 'http://127.0.0.1/',
      ...(options.dialogflowUrl ? { DIALOGFLOW_API_ENDPOINT: options.dialogflowUrl } : {}),
      ...options.env,
    }),
    { docs, bus: createMemoryEventBus(), accounts: { verify: async (sid, token) => (sid === ACCOUNT_SID && token === AUTH_TOKEN ? 'valid' : 'invalid') } },
    { now: () => clock.now.getTime(), log: (l) => logs.push(l) },
  );
  const name = `agentAssistUnderTest${++counter}`;
  registerHttp(name, handler);
  const inner = getTestServer(name);
  const listener = inner.listeners('request')[0] as http.RequestListener;
  const server = http.createServer(listener);
  const socket = await handler.attachSocket(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const salesforceToken = async (app: SalesforceConnectedApp = AGENT_APP) => {
    const query = new URLSearchParams({ grant_type: 'client_credentials', client_id: app.consumerKey, client_secret: app.consumerSecret });
    const res = await fetch(`${salesforce.baseUrl}/services/oauth2/token?${query}`);
    if (res.status !== 200) throw new Error(`salesforce token: ${res.status}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  return {
    url,
    salesforce,
    docs,
    logs,
    clock,
    socket,
    salesforceToken,
    async agentToken() {
      const res = await fetch(`${url}/register`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${await salesforceToken()}` },
      });
      if (res.status !== 200) throw new Error(`register: ${res.status}`);
      return ((await res.json()) as { token: string }).token;
    },
    async stop() {
      await socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await salesforce.stop();
    },
  };
}
