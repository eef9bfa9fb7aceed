/** Composition root: configuration, clients and the push endpoint, built once per instance. */
import type { Got } from 'got';
import type { Env } from '../../shared/config';
import { createCrmClient } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { decodePubSubPush, PermanentEventError, runEvent } from '../../shared/events/pubsub-event';
import { badRequest } from '../../shared/errors';
import { createHttpApp, type HttpFunction } from '../../shared/http/app';
import type { Logger } from '../../shared/logging';
import { lazyFirestoreDocStore, lazyGcsBlobStore } from '../../shared/google-lazy';
import type { BlobStore } from '../../shared/ports/blobstore';
import type { DocStore } from '../../shared/ports/docstore';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { createZoomApiClient, createZoomHttp } from '../../shared/zoom/api-client';
import { artifactLinkUrl } from '../../shared/zoom/artifact-link';
import { createLedger } from '../../shared/zoom/ledger';
import { createZoomTokenProvider } from '../../shared/zoom/oauth';
import { interactionWorkerConfigShape } from './config';
import type { WorkerDeps } from './deps';
import { recordDeadLetter } from './dead-letters';
import { handleZoomEvent } from './handle-event';
import { sleep } from '../../shared/sleep';

/**
 * A queued Zoom event is a few kB; a Pub/Sub message is at most 10 MB. A push body past this
 * is refused (413) before it is parsed: nothing of ours publishes one.
 */
const MAX_PUSH_BODY_BYTES = 1024 * 1024;

export interface InteractionWorkerPorts {
  docs: DocStore;
  blobs: BlobStore;
  crm: CrmClient;
  /** The got instance for Zoom (API, downloads and OAuth share the retry policy). */
  zoomHttp: Got;
}

/**
 * Handles one wrapped push body: resolves when the message is to be acknowledged (done, or
 * permanently unprocessable), throws a retryable error when Pub/Sub must deliver it again.
 */
export type PushDelivery = (body: unknown) => Promise<void>;

/** The worker's HTTP entry: the zoom-events push subscription posts here. */
export function composeInteractionWorker(env: Env, ports?: Partial<InteractionWorkerPorts>, options: ComposeOptions = {}): HttpFunction {
  const { delivery, deadLetters, config, log } = composeWorker(env, ports, options);
  // The zoom-events push subscription (docs/contracts/google-cloud.md §2): 2xx acknowledges,
  // anything else is redelivered with back-off, then dead-lettered.
  return createHttpApp({
    name: 'interaction-worker',
    log,
    projectId: config.GCP_PROJECT,
    maxBodyBytes: MAX_PUSH_BODY_BYTES,
    routes: [
      {
        method: 'POST',
        path: '/',
        handle: async (ctx) => {
          await delivery(ctx.req.body, ctx.log);
          return { status: 204 };
        },
      },
      {
        // The dead-letter topic's recording subscription (./dead-letters): 2xx once recorded (or recorded before).
        method: 'POST',
        path: '/dead-letters',
        handle: async (ctx) => {
          await recordDeadLetter({ ...deadLetters, log: ctx.log }, ctx.req.body);
          return { status: 204 };
        },
      },
    ],
  });
}

/** `ports` lets tests compose the real worker over in-memory adapters and hand it push bodies. */
export function composeInteractionWorkerDelivery(env: Env, ports?: Partial<InteractionWorkerPorts>, options: ComposeOptions = {}): PushDelivery {
  const { delivery } = composeWorker(env, ports, options);
  return (body) => delivery(body);
}

function composeWorker(env: Env, ports: Partial<InteractionWorkerPorts> | undefined, options: ComposeOptions) {
  const { config, log } = createFunctionRuntime('interaction-worker', env, interactionWorkerConfigShape, options);
  const docs = ports?.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const blobs = ports?.blobs ?? lazyGcsBlobStore(config.GCP_PROJECT, config.ARCHIVE_BUCKET);
  const crm = ports?.crm ?? createCrmClient(config, { log, publicBaseUrl: config.PUBLIC_BASE_URL });
  const now = options.now ?? Date.now;
  // A Retry-After longer than 20 s is not waited out inside the invocation: the message goes back to Pub/Sub (shared/zoom/README.md).
  const retry = { limit: config.ZOOM_API_RETRY_LIMIT, baseDelayMs: config.ZOOM_API_RETRY_BASE_MS, maxDelayMs: 20_000, maxRetryAfterMs: 20_000 };
  const wait = options.sleep ?? sleep;
  const http = ports?.zoomHttp ?? createZoomHttp();
  const tokens = createZoomTokenProvider({
    http,
    credentials: {
      tokenUrl: config.ZOOM_OAUTH_TOKEN_URL,
      accountId: config.ZOOM_ACCOUNT_ID,
      clientId: config.ZOOM_CLIENT_ID,
      clientSecret: config.ZOOM_CLIENT_SECRET,
    },
    now,
  });
  const apiHost = new URL(config.ZOOM_API_BASE_URL).host;
  const zoom = createZoomApiClient(
    { apiBaseUrl: config.ZOOM_API_BASE_URL, tokens, downloadHosts: [apiHost, ...config.ZOOM_DOWNLOAD_HOSTS], retry, sleep: wait },
    http,
  );

  const deps: WorkerDeps = {
    zoom,
    blobs,
    crm,
    ledger: createLedger(docs),
    log,
    now,
    sleep: wait,
    settings: {
      archivePrefix: config.ARCHIVE_PREFIX,
      resumableThresholdBytes: config.TRANSFER_RESUMABLE_THRESHOLD_BYTES,
      notReadyDelaysMs: config.ZOOM_NOT_READY_DELAYS_MS,
      notReadyWindowMs: config.ZOOM_NOT_READY_WINDOW_SECONDS * 1000,
      itemSettleMs: config.ZOOM_ITEM_SETTLE_MS,
      itemOrderWaitMs: config.ZOOM_ITEM_ORDER_WAIT_MS,
      itemOrderStaleMs: config.ZOOM_ITEM_ORDER_STALE_MS,
      itemClaimLeaseMs: config.ZOOM_ITEM_CLAIM_LEASE_MS,
      maxDeliveryAttempts: config.PUBSUB_MAX_DELIVERY_ATTEMPTS,
      linkFor: (engagementId, key) => artifactLinkUrl(config.PUBLIC_BASE_URL, config.ARTIFACT_LINK_SECRET, engagementId, key),
    },
  };

  const delivery = async (body: unknown, requestLog: Logger = log): Promise<void> => {
    let message: ReturnType<typeof decodePubSubPush>;
    try {
      message = decodePubSubPush(body);
    } catch (err) {
      if (err instanceof PermanentEventError && err.reason === 'malformed_event') throw badRequest('the body is not a Pub/Sub push message');
      // Data that is no JSON can never be processed: acknowledged, not redelivered for days.
      requestLog.warn('event dropped: permanent failure', { err });
      return;
    }
    const eventLog = requestLog.child({ messageId: message.id, deliveryAttempt: message.deliveryAttempt });
    if (message.deliveryAttempt === undefined && deps.settings.maxDeliveryAttempts > 0) {
      // Pub/Sub counts deliveries only on a subscription with a dead-letter policy: without the
      // count the last-delivery rule (record, then acknowledge) can never fire.
      eventLog.error('push carries no deliveryAttempt: the subscription has no dead-letter policy, so nothing is given up on the last delivery', {
        subscription: (body as { subscription?: unknown } | undefined)?.subscription,
      });
    }
    await runEvent(eventLog, message.id, async () => {
      await handleZoomEvent({ ...deps, log: eventLog }, message.data, { deliveryAttempt: message.deliveryAttempt });
    });
  };
  const deadLetters = { docs, now, ttlMs: config.DEAD_LETTER_RECORD_TTL_DAYS * 86_400_000, log };
  return { delivery, deadLetters, config, log };
}
