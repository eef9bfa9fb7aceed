/**
 * Settings of the reconciliation core, shared by the `reconcile` function and the CLI
 * (see .env.example, `# --- reconcile ---`, and functions/reconcile/README.md for sizing).
 */
import * as z from 'zod';
import { envBool, envInt, envString, envUrl, secret } from '../config';
import type { ReconcileSettings } from './deps';
import { isValidTimeZone } from './window';

const rate = (fallback: number) => z.coerce.number({ error: 'must be a number' }).positive().max(1000).default(fallback);

export const reconcileCoreConfigShape = {
  ZOOM_API_BASE_URL: envUrl().default('https://api.zoom.us/v2'),
  ZOOM_OAUTH_TOKEN_URL: envUrl().default('https://zoom.us/oauth/token'),
  ZOOM_ACCOUNT_ID: envString(),
  ZOOM_CLIENT_ID: envString(),
  ZOOM_CLIENT_SECRET: secret(8),
  ZOOM_EVENTS_TOPIC: envString(),
  /** The default window is yesterday in this IANA time zone… */
  RECONCILE_TIME_ZONE: z.string().default('Etc/UTC').refine(isValidTimeZone, { error: 'must be an IANA time zone such as Etc/UTC or Europe/Berlin' }),
  /** …widened by this many hours on both sides. */
  RECONCILE_OVERLAP_HOURS: envInt(0, 24).default(3),
  /** Zoom requests per second per rate category, all lanes together (Pro: 20/10/5 — leave room for other apps). */
  RECONCILE_ZOOM_RATE_LIGHT: rate(16),
  RECONCILE_ZOOM_RATE_MEDIUM: rate(8),
  RECONCILE_ZOOM_RATE_HEAVY: rate(4),
  /** Retries of one Zoom request on 429/5xx (Retry-After honoured, else exponential back-off with jitter). */
  RECONCILE_ZOOM_RETRY_LIMIT: envInt(0, 20).default(8),
  RECONCILE_ZOOM_RETRY_BASE_MS: envInt(1, 60_000).default(1000),
  RECONCILE_ZOOM_RETRY_MAX_MS: envInt(10, 600_000).default(60_000),
  /** Slices processed in parallel (lanes). */
  RECONCILE_LANES: envInt(1, 64).default(4),
  /** Pages of 300 per slice (bounds a slice's time and the size of its checkpoint document). */
  RECONCILE_SLICE_PAGES: envInt(1, 20).default(10),
  /** Planning probes cover at most this many hours each (finer: slices of more even size, 4 probes per chunk). */
  RECONCILE_PLAN_CHUNK_HOURS: envInt(1, 744).default(6),
  /** An entry pending (in the ledger) but untouched this long is queued again. */
  RECONCILE_STALE_MINUTES: envInt(1, 7 * 1440).default(60),
  /** Queue artifacts the worker failed for good, and items it gave up on, again (the worker retries them for source "reconcile"). */
  RECONCILE_RETRY_FAILED: envBool().default(true),
  /** A lane with no heartbeat for this long is taken over. */
  RECONCILE_LEASE_SECONDS: z.coerce.number().min(0.1).max(3600).default(60),
  /** How long one lane invocation works before handing on (under the push subscription's 600 s deadline). */
  RECONCILE_LANE_BUDGET_SECONDS: envInt(5, 3000).default(420),
  /** next_page_token older than this is not tried (Zoom's expire after 15 minutes). */
  RECONCILE_TOKEN_MAX_AGE_SECONDS: envInt(1, 3600).default(840),
  RECONCILE_PUBLISH_CONCURRENCY: envInt(1, 256).default(16),
};

export type ReconcileCoreConfig = z.output<z.ZodObject<typeof reconcileCoreConfigShape>>;

export function reconcileSettingsOf(config: ReconcileCoreConfig): ReconcileSettings {
  return {
    accountId: config.ZOOM_ACCOUNT_ID,
    eventsTopic: config.ZOOM_EVENTS_TOPIC,
    rates: { light: config.RECONCILE_ZOOM_RATE_LIGHT, medium: config.RECONCILE_ZOOM_RATE_MEDIUM, heavy: config.RECONCILE_ZOOM_RATE_HEAVY },
    lanes: config.RECONCILE_LANES,
    targetPagesPerSlice: config.RECONCILE_SLICE_PAGES,
    planChunkHours: config.RECONCILE_PLAN_CHUNK_HOURS,
    staleMs: config.RECONCILE_STALE_MINUTES * 60_000,
    retryFailedArtifacts: config.RECONCILE_RETRY_FAILED,
    leaseMs: config.RECONCILE_LEASE_SECONDS * 1000,
    laneBudgetMs: config.RECONCILE_LANE_BUDGET_SECONDS * 1000,
    tokenMaxAgeMs: config.RECONCILE_TOKEN_MAX_AGE_SECONDS * 1000,
    maxRestarts: 5,
    publishConcurrency: config.RECONCILE_PUBLISH_CONCURRENCY,
  };
}
