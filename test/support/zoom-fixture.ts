/**
 * Fixtures for the Zoom tests: signing done here from the documented algorithm (not by the
 * code under test), the zoom-webhook app composed over in-memory ports on the Functions
 * Framework, and the worker composed over in-memory ports against the Zoom mock.
 */
import { createHmac } from 'node:crypto';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createMemoryBlobStore, type MemoryBlobStore } from './doubles/memory-blobstore';
import { createMemoryDocStore, type MemoryDocStore } from './doubles/memory-docstore';
import { createMemoryEventBus, type MemoryEventBus } from './doubles/memory-eventbus';
import type { Env } from '../../shared/config';
import { composeZoomWebhook } from '../../functions/zoom-webhook/compose';
import { listen } from './http';

export const WEBHOOK_SECRET = 'test-zoom-webhook-secret-0001';
export const PREVIOUS_WEBHOOK_SECRET = 'test-zoom-webhook-secret-0000';
export const LINK_SECRET = 'test-artifact-link-secret-0123456789';

/** hex(HMAC-SHA256(secret, "v0:" + ts + ":" + body)), straight from Zoom's documentation. */
export function zoomSignature(secret: string, timestamp: number | string, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);

export function signedPost(url: string, body: string, options: { secret?: string; timestamp?: number; signature?: string; contentType?: string } = {}) {
  const ts = options.timestamp ?? nowSeconds();
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'x-zm-request-timestamp': String(ts),
      'x-zm-signature': options.signature ?? zoomSignature(options.secret ?? WEBHOOK_SECRET, ts, body),
    },
    body,
  });
}

export function webhookEnv(overrides: Env = {}): Env {
  return {
    GCP_PROJECT: 'ccbridge-test',
    LOG_LEVEL: 'error',
    ZOOM_WEBHOOK_SECRET: WEBHOOK_SECRET,
    ZOOM_EVENTS_TOPIC: 'zoom-events',
    ARCHIVE_BUCKET: 'archive',
    ARTIFACT_LINK_SECRET: LINK_SECRET,
    ...overrides,
  };
}

export interface WebhookUnderTest {
  url: string;
  docs: MemoryDocStore;
  bus: MemoryEventBus;
  blobs: MemoryBlobStore;
  /** Every log line the function wrote. */
  logs: string[];
  stop(): Promise<void>;
}

let registered = 0;

export async function startWebhook(overrides: Env = {}, ports: { docs?: MemoryDocStore } = {}): Promise<WebhookUnderTest> {
  const logs: string[] = [];
  const docs = ports.docs ?? createMemoryDocStore();
  const bus = createMemoryEventBus();
  const blobs = createMemoryBlobStore('archive');
  const handler = composeZoomWebhook(webhookEnv(overrides), { docs, bus, blobs }, { log: (line) => logs.push(line) });
  const name = `zoomWebhookTest${++registered}`;
  ff.http(name, handler);
  const server = await listen(getTestServer(name));
  return { url: server.url, docs, bus, blobs, logs, stop: server.close };
}

/** The wrapped body a Pub/Sub push subscription posts (docs/contracts/google-cloud.md §2). */
export function pubSubPush(data: unknown, id = `m-${Math.random().toString(36).slice(2)}`, deliveryAttempt?: number): unknown {
  return {
    message: {
      data: Buffer.from(JSON.stringify(data)).toString('base64'),
      messageId: id,
      message_id: id,
      publishTime: new Date().toISOString(),
      attributes: {},
    },
    subscription: 'projects/ccbridge-test/subscriptions/interaction-worker-push',
    ...(deliveryAttempt ? { deliveryAttempt } : {}),
  };
}

// --- interaction-worker over in-memory ports, against the Zoom mock -------------------------

export const ZOOM_CREDENTIALS = { accountId: 'test-zoom-account', clientId: 'test-zoom-client', clientSecret: 'test-zoom-client-secret' };

export function workerEnv(zoomBaseUrl: string, overrides: Env = {}): Env {
  return {
    GCP_PROJECT: 'ccbridge-test',
    LOG_LEVEL: 'error',
    ZOOM_API_BASE_URL: `${zoomBaseUrl}/v2`,
    ZOOM_OAUTH_TOKEN_URL: `${zoomBaseUrl}/oauth/token`,
    ZOOM_ACCOUNT_ID: ZOOM_CREDENTIALS.accountId,
    ZOOM_CLIENT_ID: ZOOM_CREDENTIALS.clientId,
    ZOOM_CLIENT_SECRET: ZOOM_CREDENTIALS.clientSecret,
    ZOOM_API_RETRY_BASE_MS: '5',
    ZOOM_NOT_READY_DELAYS_MS: '10,20',
    ZOOM_NOT_READY_WINDOW_SECONDS: '600',
    ZOOM_ITEM_SETTLE_MS: '0',
    ZOOM_ITEM_ORDER_WAIT_MS: '3000',
    ARCHIVE_BUCKET: 'archive',
    PUBLIC_BASE_URL: 'https://functions.example.test',
    ARTIFACT_LINK_SECRET: LINK_SECRET,
    ...overrides,
  };
}

export function queuedEvent(envelope: unknown, source: 'webhook' | 'reconcile' = 'webhook') {
  return { v: 1, key: `test|${Math.random()}`, source, receivedAt: new Date().toISOString(), envelope };
}
