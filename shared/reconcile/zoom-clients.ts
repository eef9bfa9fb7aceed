/**
 * The Zoom side of the reconciliation: one got instance and one token provider for the
 * process, and a client per lane whose requests wait for that lane's limiter.
 */
import type { Got } from 'got';
import type { Secret } from '../config';
import { createZoomApiClient, createZoomHttp, type RetryPolicy, type ZoomApiClient } from '../zoom/api-client';
import { createZoomTokenProvider } from '../zoom/oauth';
import type { Sleep } from '../sleep';
import type { ZoomRateLimiter } from '../zoom/rate-limiter';

export interface ReconcileZoomOptions {
  apiBaseUrl: string;
  tokenUrl: string;
  accountId: string;
  clientId: string;
  clientSecret: Secret;
  retry: RetryPolicy;
  /** How the client's retries wait (shared/sleep by default). */
  sleep?: Sleep;
}

export function createReconcileZoom(options: ReconcileZoomOptions, http: Got = createZoomHttp()): (limiter: ZoomRateLimiter) => ZoomApiClient {
  const tokens = createZoomTokenProvider({
    http,
    credentials: { tokenUrl: options.tokenUrl, accountId: options.accountId, clientId: options.clientId, clientSecret: options.clientSecret },
  });
  // Downloads are the worker's business: no download host is trusted here.
  return (limiter) =>
    createZoomApiClient(
      { apiBaseUrl: options.apiBaseUrl, tokens, downloadHosts: [], retry: options.retry, limiter, ...(options.sleep ? { sleep: options.sleep } : {}) },
      http,
    );
}
