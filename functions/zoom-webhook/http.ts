/** The HTTP surface of zoom-webhook: `POST /` (Zoom events) and `GET /artifacts/...` (durable links). */
import { createHttpApp, type HttpFunction } from '../../shared/http/app';
import { IAP_ASSERTION_HEADER } from '../../shared/http/iap-assertion';
import type { RefusalObserver } from '../../shared/http/refusal-observer';
import type { Logger } from '../../shared/logging';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../shared/zoom/webhook-signature';
import { type ArtifactRedirectDeps, handleArtifactRequest } from './artifact-redirect';
import { handleZoomWebhook, type ZoomWebhookDeps } from './receive';

// Zoom events are a few kB; Pub/Sub-triggered functions take at most 512 kB per event.
const MAX_EVENT_BYTES = 256 * 1024;

export function createZoomWebhookApp(deps: {
  log: Logger;
  projectId: string;
  webhook: ZoomWebhookDeps;
  artifacts: ArtifactRedirectDeps;
  observeRefusal?: RefusalObserver;
}): HttpFunction {
  const header = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  return createHttpApp({
    name: 'zoom-webhook',
    log: deps.log,
    projectId: deps.projectId,
    maxBodyBytes: MAX_EVENT_BYTES,
    // Refused deliveries are recorded for the operators (./refusals).
    ...(deps.observeRefusal ? { observeRefusal: deps.observeRefusal } : {}),
    routes: [
      {
        method: 'POST',
        path: '/',
        handle: async (ctx) => {
          const outcome = await handleZoomWebhook(
            { ...deps.webhook, log: ctx.log },
            { rawBody: ctx.rawBody, signature: header(ctx.req.headers[SIGNATURE_HEADER]), timestamp: header(ctx.req.headers[TIMESTAMP_HEADER]) },
          );
          if (outcome.kind === 'url_validation') return { status: 200, json: outcome.body };
          return { status: 200, json: { status: outcome.kind } };
        },
      },
      {
        method: 'GET',
        path: '/artifacts/:engagementId/:key',
        handle: async (ctx) => {
          const { location } = await handleArtifactRequest(
            { ...deps.artifacts, log: ctx.log },
            {
              engagementId: ctx.params['engagementId']!,
              key: ctx.params['key']!,
              token: ctx.query.get('t') ?? undefined,
              iapAssertion: header(ctx.req.headers[IAP_ASSERTION_HEADER]),
            },
          );
          return { status: 302, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } };
        },
      },
    ],
  });
}
