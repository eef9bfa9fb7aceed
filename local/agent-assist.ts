/**
 * The Agent Assist part of the local stack: a Salesforce org (identity stand-in with one
 * connected app running as an integration user), the four notification topics set on the
 * Dialogflow stand-in's default profile, push subscriptions from them to ui-connector's
 * notification consumer, and the settings ui-connector needs for /register and the socket.
 * Locally one ui-connector serves REST, the socket (on the gateway, namespace
 * /ui-connector) and the consumer; in production the consumer is a private deployment.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { installPlainRequestScopes } from '../shared/http/framework-domains';
import { installExpressRequestClasses } from '../shared/http/framework-server';
import { composeUiConnector } from '../functions/ui-connector/compose';
import type { NotificationType } from '../shared/agent-assist/notifications';
import type { Env } from '../shared/config';
import { createPubSub } from '../shared/google';
import { LOCAL_PROJECT } from './env';
import { caseSafeId, type SalesforceConnectedApp, type SalesforceIdentityMock, startSalesforceIdentityMock } from './mocks/salesforce-identity';

export interface LocalAgentAssistCredentials {
  salesforceConsumerKey: string;
  salesforceConsumerSecret: string;
  salesforceOrganizationId: string;
}

export function localAgentAssistCredentials(env: Env = process.env): LocalAgentAssistCredentials {
  return {
    salesforceConsumerKey: env['SALESFORCE_CONSUMER_KEY'] ?? '3MVG9ccbridge.local.agent.assist',
    salesforceConsumerSecret: env['SALESFORCE_CONSUMER_SECRET'] ?? 'local-salesforce-consumer-secret-0123456789',
    salesforceOrganizationId: caseSafeId('00Dccbridge0001'),
  };
}

/** Local topic ids of the profile's notification configs, by the socket event each feeds. */
export const localNotificationTopics: Record<NotificationType, string> = {
  'human-agent-assistant-event': 'agent-assist-suggestions',
  'conversation-lifecycle-event': 'agent-assist-lifecycle',
  'new-message-event': 'agent-assist-new-messages',
  'new-recognition-result-notification-event': 'agent-assist-recognition-results',
};

export const topicName = (id: string) => `projects/${LOCAL_PROJECT}/topics/${id}`;

export async function startLocalSalesforce(credentials: LocalAgentAssistCredentials, port: number): Promise<SalesforceIdentityMock> {
  const app: SalesforceConnectedApp = {
    consumerKey: credentials.salesforceConsumerKey,
    consumerSecret: credentials.salesforceConsumerSecret,
    organizationId: credentials.salesforceOrganizationId,
    userId: caseSafeId('005ccbridge0001'),
    username: 'agent-assist-integration@ccbridge.local',
  };
  return startSalesforceIdentityMock({ apps: [app], port });
}

/** ui-connector settings for the local org and the local consumer. */
export function agentAssistEnv(salesforceUrl: string, credentials: LocalAgentAssistCredentials): Env {
  return {
    SALESFORCE_DOMAIN: salesforceUrl,
    // The 15-character form, as an admin often copies it from Setup: it matches userinfo's 18.
    SALESFORCE_ORGANIZATION_ID: credentials.salesforceOrganizationId.slice(0, 15),
    UI_CONNECTOR_NOTIFICATIONS: 'accept',
    UI_CONNECTOR_EVENT_POLL_MS: '100',
  };
}

/** Publishes the Dialogflow stand-in's notifications to the local Pub/Sub (JSON, as messageFormat JSON). */
export function localNotificationPublisher(): (topic: string, data: Record<string, unknown>, attributes?: Record<string, string>) => Promise<void> {
  let pubsub: ReturnType<typeof createPubSub> | undefined;
  return async (topic, data, attributes) => {
    pubsub ??= createPubSub(LOCAL_PROJECT);
    await pubsub.topic(topic).publishMessage({ data: Buffer.from(JSON.stringify(data)), ...(attributes ? { attributes } : {}) });
  };
}

/** Topics and push subscriptions to ui-connector's consumer (one per notification type). */
export async function provisionAgentAssist(uiConnectorUrl: string, pushBackoff: { min: number; max: number }): Promise<void> {
  const pubsub = createPubSub(LOCAL_PROJECT);
  try {
    for (const [type, topic] of Object.entries(localNotificationTopics)) {
      const [exists] = await pubsub.topic(topic).exists();
      if (!exists) await pubsub.createTopic(topic);
      const name = `${topic}-push`;
      const [subscribed] = await pubsub.subscription(name).exists();
      if (!subscribed) {
        await pubsub.createSubscription(topic, name, {
          pushConfig: { pushEndpoint: `${uiConnectorUrl}/notifications/${type}` },
          ackDeadlineSeconds: 10,
          retryPolicy: { minimumBackoff: { seconds: pushBackoff.min }, maximumBackoff: { seconds: pushBackoff.max } },
        });
      }
    }
  } finally {
    await pubsub.close();
  }
}

export interface SocketInstance {
  /** The base URL a socket.io client uses (namespace "/"). */
  url: string;
  stop(): Promise<void>;
}

let instances = 0;

/**
 * Another ui-connector instance on its own port with the same settings and the same
 * Firestore: what a second Cloud Run instance is. Its sockets get events the first
 * instance's consumer recorded.
 */
export async function startSocketInstance(env: Env): Promise<SocketInstance> {
  const handler = composeUiConnector({ ...env, UI_CONNECTOR_PUBLIC_URL: undefined, UI_CONNECTOR_NOTIFICATIONS: 'off' });
  const name = `uiConnectorInstance${++instances}`;
  registerHttp(name, handler);
  // As functions/ui-connector/serve.ts builds the Cloud Run service's server.
  installExpressRequestClasses();
  installPlainRequestScopes();
  const listener = getTestServer(name).listeners('request')[0] as http.RequestListener;
  const server = http.createServer(listener);
  const socket = await handler.attachSocket(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      await socket.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
