import { sleep as defaultSleep, type Sleep } from '../sleep';
/**
 * A client-side limiter for the Zoom API, per rate category ("Rate Limit Label" in Zoom's
 * reference: light, medium, heavy). Zoom's limits are per account and shared by every app
 * on it, so a bulk reader must pace itself rather than discover the limit through 429s:
 *
 * - requests of a category start on slots 1/rate apart, and never more of them within any
 *   second than the rate (checked against when they actually started), so bursts are
 *   impossible and a late timer costs no throughput;
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
  /**
   * The window no more than `rate` requests may start in: a second plus a margin for the
   * time between admission and the request reaching Zoom (token lookup, sockets, network),
   * so jitter on the way cannot put rate + 1 into one of Zoom's seconds. Default 1025 ms.
   */
  windowMs?: number;
  pauses?: PauseBoard;
  now?: () => number;
  sleep?: Sleep;
}

/** Milliseconds with sub-millisecond precision (Date.now's whole milliseconds would round spacing down). */
const preciseNow = () => performance.timeOrigin + performance.now();

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  signal: AbortSignal | undefined;
}

export function createZoomRateLimiter(options: RateLimiterOptions): ZoomRateLimiter {
  const now = options.now ?? preciseNow;
  const sleep = options.sleep ?? defaultSleep;
  const board = options.pauses ?? createPauseBoard();
  const rates: ZoomRates = { ...options.rates };
  const windowMs = options.windowMs ?? 1025;
  const counts = { admitted: { light: 0, medium: 0, heavy: 0 }, pauses: { light: 0, medium: 0, heavy: 0 } };
  const lanes = Object.fromEntries(
    ZOOM_RATE_CATEGORIES.map((c) => [c, { queue: [] as Waiter[], pumping: false, slot: Number.NEGATIVE_INFINITY, recent: [] as number[] }]),
  ) as Record<ZoomRateCategory, { queue: Waiter[]; pumping: boolean; slot: number; recent: number[] }>;

  /**
   * One pump per category admits waiters in order. A request starts at its slot (slots are
   * windowMs/rate apart; a start delayed by a late timer is made up by the next, when it was
   * late by less than an interval) and only if the last `rate` starts span at least `windowMs` — so no
   * window of one second ever holds more than the rate, however timers fire.
   */
  const pump = async (category: ZoomRateCategory) => {
    const state = lanes[category];
    if (state.pumping) return;
    state.pumping = true;
    try {
      while (state.queue.length > 0) {
        const head = state.queue[0]!;
        if (head.signal?.aborted) {
          state.queue.shift();
          head.reject(head.signal.reason instanceof Error ? head.signal.reason : new Error('aborted'));
          continue;
        }
        const rate = rates[category];
        if (!(rate > 0)) {
          for (const w of state.queue.splice(0)) w.reject(new RangeError(`no rate configured for Zoom ${category} requests`));
          return;
        }
        const interval = windowMs / rate;
        const cap = Math.max(1, Math.floor(rate));
        const t = now();
        let at = Math.max(t, state.slot, board.until[category]);
        if (state.recent.length >= cap) at = Math.max(at, state.recent[state.recent.length - cap]! + windowMs);
        if (at > t) {
          await sleep(Math.ceil(at - t));
          continue;
        }
        state.queue.shift();
        state.recent.push(t);
        if (state.recent.length > cap) state.recent.splice(0, state.recent.length - cap);
        // Late by less than an interval: keep the schedule (the next one makes it up).
        // Later than that (idle, or a long stall): a new schedule starts now.
        state.slot = (t - state.slot <= interval ? state.slot : t) + interval;
        counts.admitted[category]++;
        head.resolve();
      }
    } finally {
      state.pumping = false;
    }
  };

  return {
    acquire(category, signal) {
      return new Promise<void>((resolve, reject) => {
        const reason = () => (signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        if (signal?.aborted) {
          reject(reason());
          return;
        }
        const queue = lanes[category].queue;
        const onAbort = () => {
          const i = queue.indexOf(waiter);
          if (i >= 0) queue.splice(i, 1);
          reject(reason());
        };
        const waiter: Waiter = {
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
          reject,
          signal,
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        void pump(category);
      });
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
