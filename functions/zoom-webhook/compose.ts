/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import type { Env } from '../../shared/config';
import { lazyFirestoreDocStore, lazyGcsBlobStore, lazyPubSubEventBus } from '../../shared/google-lazy';
import type { HttpFunction } from '../../shared/http/app';
import { createIapVerifier, iapKeysFrom } from '../../shared/http/iap-assertion';
import type { BlobStore } from '../../shared/ports/blobstore';
import type { DocStore } from '../../shared/ports/docstore';
import type { EventBus } from '../../shared/ports/eventbus';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { createLedger } from '../../shared/zoom/ledger';
import { checkZoomWebhookConfig, zoomWebhookConfigShape } from './config';
import { createEventKeyStore } from './event-keys';
import { createZoomWebhookApp } from './http';
import { createRefusalRecorder } from './refusals';

export interface ZoomWebhookPorts {
  docs: DocStore;
  bus: EventBus;
  blobs: BlobStore;
}

/** `ports` lets tests compose the real app over in-memory adapters. */
export function composeZoomWebhook(env: Env, ports?: Partial<ZoomWebhookPorts>, options: ComposeOptions = {}): HttpFunction {
  const { config, log } = createFunctionRuntime('zoom-webhook', env, zoomWebhookConfigShape, options);
  checkZoomWebhookConfig(config);
  const signer =
    config.GCS_SIGNER_CLIENT_EMAIL && config.GCS_SIGNER_PRIVATE_KEY
      ? { clientEmail: config.GCS_SIGNER_CLIENT_EMAIL, privateKey: config.GCS_SIGNER_PRIVATE_KEY }
      : undefined;
  const docs = ports?.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const bus = ports?.bus ?? lazyPubSubEventBus(config.GCP_PROJECT);
  const blobs = ports?.blobs ?? lazyGcsBlobStore(config.GCP_PROJECT, config.ARCHIVE_BUCKET, signer);
  const now = options.now ?? Date.now;
  // Kept as long as the event keys, so a timeline shows a refusal beside the deliveries taken.
  const refusals = createRefusalRecorder(docs, {
    ttlMs: config.ZOOM_EVENT_KEY_TTL_HOURS * 3_600_000,
    now,
    log,
    flushIntervalMs: config.ZOOM_REFUSAL_COUNT_INTERVAL_SECONDS * 1000,
  });

  return createZoomWebhookApp({
    log,
    projectId: config.GCP_PROJECT,
    observeRefusal: (notice) => refusals.observe(notice),
    webhook: {
      secrets: [config.ZOOM_WEBHOOK_SECRET, ...(config.ZOOM_WEBHOOK_SECRET_PREVIOUS ? [config.ZOOM_WEBHOOK_SECRET_PREVIOUS] : [])],
      windowSeconds: config.ZOOM_WEBHOOK_WINDOW_SECONDS,
      // A request older than the keys are remembered could not be told from a new event.
      retryWindowSeconds: Math.min(config.ZOOM_WEBHOOK_RETRY_WINDOW_SECONDS, config.ZOOM_EVENT_KEY_TTL_HOURS * 3600),
      keys: createEventKeyStore(docs, { keyTtlMs: config.ZOOM_EVENT_KEY_TTL_HOURS * 3_600_000 }),
      bus,
      topic: config.ZOOM_EVENTS_TOPIC,
      now,
      log,
    },
    artifacts: {
      linkSecrets: [config.ARTIFACT_LINK_SECRET, ...(config.ARTIFACT_LINK_SECRET_PREVIOUS ? [config.ARTIFACT_LINK_SECRET_PREVIOUS] : [])],
      ledger: createLedger(docs),
      blobs,
      signedUrlTtlSeconds: config.ARTIFACT_SIGNED_URL_TTL_SECONDS,
      ...(config.ARTIFACT_REQUIRE_IDENTITY
        ? {
            requireIdentity: {
              verifier: createIapVerifier({ audiences: config.ARTIFACT_IAP_AUDIENCE ?? [], keys: iapKeysFrom(config.ARTIFACT_IAP_KEYS_URL), now }),
              allowedDomains: config.ARTIFACT_ALLOWED_DOMAINS.split(',')
                .map((d) => d.trim().toLowerCase())
                .filter(Boolean),
            },
          }
        : {}),
      log,
    },
  });
}
