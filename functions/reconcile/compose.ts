/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import type { Got } from 'got';
import type { Env } from '../../shared/config';
import { lazyFirestoreDocStore, lazyPubSubEventBus } from '../../shared/google-lazy';
import type { HttpFunction } from '../../shared/http/app';
import type { DocStore } from '../../shared/ports/docstore';
import type { EventBus } from '../../shared/ports/eventbus';
import { reconcileSettingsOf } from '../../shared/reconcile/config';
import type { ReconcileDeps } from '../../shared/reconcile/deps';
import { createReconcileStore } from '../../shared/reconcile/store';
import { createReconcileZoom } from '../../shared/reconcile/zoom-clients';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { createLaneLimits } from '../../shared/reconcile/lane-limits';
import { reconcileConfigShape } from './config';
import { createReconcileApp } from './http';
import { createOidcVerifier } from './oidc';
import { sleep } from '../../shared/sleep';

export interface ReconcilePorts {
  docs: DocStore;
  bus: EventBus;
  /** The got instance for Zoom (API and OAuth). */
  zoomHttp: Got;
}

/** `ports` lets tests compose the real function over in-memory adapters. */
export function composeReconcile(env: Env, ports?: Partial<ReconcilePorts>, options: ComposeOptions = {}): HttpFunction {
  const { config, log } = createFunctionRuntime('reconcile', env, reconcileConfigShape, options);
  const docs = ports?.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const bus = ports?.bus ?? lazyPubSubEventBus(config.GCP_PROJECT);
  const now = options.now ?? Date.now;
  const retry = { limit: config.RECONCILE_ZOOM_RETRY_LIMIT, baseDelayMs: config.RECONCILE_ZOOM_RETRY_BASE_MS, maxDelayMs: config.RECONCILE_ZOOM_RETRY_MAX_MS };
  const zoomOptions = {
    apiBaseUrl: config.ZOOM_API_BASE_URL,
    tokenUrl: config.ZOOM_OAUTH_TOKEN_URL,
    accountId: config.ZOOM_ACCOUNT_ID,
    clientId: config.ZOOM_CLIENT_ID,
    clientSecret: config.ZOOM_CLIENT_SECRET,
    retry,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  };
  const core: ReconcileDeps = {
    store: createReconcileStore(docs),
    docs,
    bus,
    zoom: ports?.zoomHttp ? createReconcileZoom(zoomOptions, ports.zoomHttp) : createReconcileZoom(zoomOptions),
    limits: createLaneLimits(),
    // Each lane step is a message on reconcile-slices, pushed back to /slices.
    dispatch: async (message) => {
      await bus.publish(config.RECONCILE_SLICES_TOPIC, {
        data: message,
        attributes: { runId: message.runId, lane: String(message.lane), step: String(message.step) },
      });
    },
    settings: reconcileSettingsOf(config),
    log,
    now,
    sleep: options.sleep ?? sleep,
  };

  return createReconcileApp({
    core,
    oidc: createOidcVerifier({ certsUrl: config.OIDC_CERTS_URL, audience: config.RECONCILE_AUDIENCE, now, platformVerified: config.OIDC_PLATFORM_VERIFIED }),
    invokers: config.RECONCILE_INVOKERS,
    pushInvokers: config.RECONCILE_PUSH_INVOKERS,
    timeZone: config.RECONCILE_TIME_ZONE,
    overlapHours: config.RECONCILE_OVERLAP_HOURS,
    waitMs: config.RECONCILE_WAIT_SECONDS * 1000,
    pollMs: config.RECONCILE_POLL_MS,
    log,
    projectId: config.GCP_PROJECT,
  });
}
