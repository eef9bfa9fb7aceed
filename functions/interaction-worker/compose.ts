/** Composition root: configuration, clients and the event handler, built once per instance. */
import { withBodyLimits } from '../../shared/http/body-guard';
import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Got } from 'got';
import type { Env } from '../../shared/config';
import { createCrmClient } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { decodePubSubEvent, PUSH_BODY_LIMITS, runEvent } from '../../shared/events/pubsub-event';
import { lazyFirestoreDocStore, lazyGcsBlobStore } from '../../shared/google-lazy';
import type { BlobStore } from '../../shared/ports/blobstore';
import type { DocStore } from '../../shared/ports/docstore';
import { createFunctionRuntime } from '../../shared/runtime';
import { createZoomApiClient, createZoomHttp } from '../../shared/zoom/api-client';
import { artifactLinkUrl } from '../../shared/zoom/artifact-link';
import { createLedger } from '../../shared/zoom/ledger';
import { createZoomTokenProvider } from '../../shared/zoom/oauth';
import { interactionWorkerConfigShape } from './config';
import { realSleep, type WorkerDeps } from './deps';
import { handleZoomEvent } from './handle-event';

export type EventFunction = (event: CloudEvent<unknown>) => Promise<void>;

export interface InteractionWorkerPorts {
  docs: DocStore;
  blobs: BlobStore;
  crm: CrmClient;
  /** The got instance for Zoom (API, downloads and OAuth share the retry policy). */
  zoomHttp: Got;
}

/** `ports` lets tests compose the real worker over in-memory adapters. */
export function composeInteractionWorker(
  env: Env,
  ports?: Partial<InteractionWorkerPorts>,
  options: { now?: () => number; sleep?: (ms: number) => Promise<void>; logSink?: (line: string) => void } = {},
): EventFunction {
  const { config, log } = createFunctionRuntime('interaction-worker', env, interactionWorkerConfigShape, options.logSink ? { sink: options.logSink } : {});
  const docs = ports?.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const blobs = ports?.blobs ?? lazyGcsBlobStore(config.GCP_PROJECT, config.ARCHIVE_BUCKET);
  const crm = ports?.crm ?? createCrmClient(config, { log, publicBaseUrl: config.PUBLIC_BASE_URL });
  const now = options.now ?? Date.now;
  const retry = { limit: config.ZOOM_API_RETRY_LIMIT, baseDelayMs: config.ZOOM_API_RETRY_BASE_MS, maxDelayMs: 20_000 };
  const http = ports?.zoomHttp ?? createZoomHttp({ retry });
  const tokens = createZoomTokenProvider({
    http,
    credentials: { tokenUrl: config.ZOOM_OAUTH_TOKEN_URL, accountId: config.ZOOM_ACCOUNT_ID, clientId: config.ZOOM_CLIENT_ID, clientSecret: config.ZOOM_CLIENT_SECRET },
    now,
  });
  const apiHost = new URL(config.ZOOM_API_BASE_URL).host;
  const zoom = createZoomApiClient({ apiBaseUrl: config.ZOOM_API_BASE_URL, tokens, downloadHosts: [apiHost, ...config.ZOOM_DOWNLOAD_HOSTS], retry }, http);

  const deps: WorkerDeps = {
    zoom,
    blobs,
    crm,
    ledger: createLedger(docs),
    log,
    now,
    sleep: options.sleep ?? realSleep,
    settings: {
      archivePrefix: config.ARCHIVE_PREFIX,
      resumableThresholdBytes: config.TRANSFER_RESUMABLE_THRESHOLD_BYTES,
      notReadyDelaysMs: config.ZOOM_NOT_READY_DELAYS_MS,
      notReadyWindowMs: config.ZOOM_NOT_READY_WINDOW_SECONDS * 1000,
      itemSettleMs: config.ZOOM_ITEM_SETTLE_MS,
      itemOrderWaitMs: config.ZOOM_ITEM_ORDER_WAIT_MS,
      itemOrderStaleMs: config.ZOOM_ITEM_ORDER_STALE_MS,
      maxDeliveryAttempts: config.PUBSUB_MAX_DELIVERY_ATTEMPTS,
      linkFor: (engagementId, key) => artifactLinkUrl(config.PUBLIC_BASE_URL, config.ARTIFACT_LINK_SECRET, engagementId, key),
    },
  };

  const handle: EventFunction = (event) =>
    runEvent(log, event.id, async () => {
      const message = decodePubSubEvent(event);
      const eventLog = log.child({ messageId: message.id, deliveryAttempt: message.deliveryAttempt });
      await handleZoomEvent({ ...deps, log: eventLog }, message.data, { deliveryAttempt: message.deliveryAttempt });
    });
  return withBodyLimits(handle, PUSH_BODY_LIMITS);
}
