/**
 * The Zoom side of the reconciliation: one got instance and one token provider for the
 * process, and a client per lane whose requests wait for that lane's limiter.
 */
import type { Got } from 'got';
import type { Secret } from '../config';
import { createZoomApiClient, createZoomHttp, type RetryPolicy, type ZoomApiClient } from '../zoom/api-client';
import { createZoomTokenProvider } from '../zoom/oauth';
import type { ZoomRateLimiter } from '../zoom/rate-limiter';

export interface ReconcileZoomOptions {
  apiBaseUrl: string;
  tokenUrl: string;
  accountId: string;
  clientId: string;
  clientSecret: Secret;
  retry: RetryPolicy;
}

export function createReconcileZoom(options: ReconcileZoomOptions, http: Got = createZoomHttp({ retry: { ...options.retry, limit: 2 } })): (limiter: ZoomRateLimiter) => ZoomApiClient {
  const tokens = createZoomTokenProvider({
    http,
    credentials: { tokenUrl: options.tokenUrl, accountId: options.accountId, clientId: options.clientId, clientSecret: options.clientSecret },
  });
  // Downloads are the worker's business: no download host is trusted here.
  return (limiter) => createZoomApiClient({ apiBaseUrl: options.apiBaseUrl, tokens, downloadHosts: [], retry: options.retry, limiter }, http);
}
