/**
 * A client-side limiter for the Zoom API, per rate category ("Rate Limit Label" in Zoom's
 * reference: light, medium, heavy). Zoom's limits are per account and shared by every app
 * on it, so a bulk reader must pace itself rather than discover the limit through 429s:
 *
 * - requests of a category start at least 1/rate apart (no burst credit is saved up while
 *   idle), so over any interval the count never exceeds the configured rate (plus the one
 *   request that opens the interval);
 * - a 429 pauses the whole category (every caller sharing the limiter's pause board) for
 *   the back-off the caller computed, Retry-After included, before anyone tries again.
 *
 * Time and sleeping are injectable so tests can run on a virtual clock.
 */

export const ZOOM_RATE_CATEGORIES = ['light', 'medium', 'heavy'] as const;
export type ZoomRateCategory = (typeof ZOOM_RATE_CATEGORIES)[number];
export type ZoomRates = Record<ZoomRateCategory, number>;

/** Pauses shared by limiters in one process (e.g. several reconciliation lanes on one instance). */
export interface PauseBoard {
  until: Record<ZoomRateCategory, number>;
}

export function createPauseBoard(): PauseBoard {
  return { until: { light: 0, medium: 0, heavy: 0 } };
}

export interface ZoomRateLimiter {
  /** Resolves when a request of `category` may start. Rejects if `signal` aborts first. */
  acquire(category: ZoomRateCategory, signal?: AbortSignal): Promise<void>;
  /** After a 429: nothing of `category` starts within `ms` from now. */
  pause(category: ZoomRateCategory, ms: number): void;
  /** Changes a category's rate (requests per second) for requests not yet admitted. */
  setRate(category: ZoomRateCategory, perSecond: number): void;
  rate(category: ZoomRateCategory): number;
  /** Requests admitted and pauses taken, per category. */
  readonly counts: { admitted: Record<ZoomRateCategory, number>; pauses: Record<ZoomRateCategory, number> };
}

export interface RateLimiterOptions {
  rates: ZoomRates;
  pauses?: PauseBoard;
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function createZoomRateLimiter(options: RateLimiterOptions): ZoomRateLimiter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? abortableSleep;
  const board = options.pauses ?? createPauseBoard();
  const rates: ZoomRates = { ...options.rates };
  // The earliest start of the next request, per category (a reservation, not a count).
  const next: Record<ZoomRateCategory, number> = { light: 0, medium: 0, heavy: 0 };
  const counts = { admitted: { light: 0, medium: 0, heavy: 0 }, pauses: { light: 0, medium: 0, heavy: 0 } };

  return {
    async acquire(category, signal) {
      for (;;) {
        const rate = rates[category];
        if (!(rate > 0)) throw new RangeError(`no rate configured for Zoom ${category} requests`);
        const t = now();
        const at = Math.max(t, next[category], board.until[category]);
        next[category] = at + 1000 / rate;
        if (at > t) await sleep(at - t, signal);
        // A 429 seen while this request waited moves it behind the pause.
        if (board.until[category] <= now()) break;
      }
      counts.admitted[category]++;
    },
    pause(category, ms) {
      counts.pauses[category]++;
      board.until[category] = Math.max(board.until[category], now() + Math.max(0, ms));
    },
    setRate(category, perSecond) {
      rates[category] = perSecond;
    },
    rate: (category) => rates[category],
    counts,
  };
}
