/**
 * A per-client request limit (fixed one-minute windows, per instance): a page or app that
 * loops, or someone probing tokens, gets 429 with Retry-After before any key is fetched or
 * anything signed. The client is the LAST address of X-Forwarded-For — the one Google's front
 * end appended; earlier entries are whatever the caller wrote, so trusting them would let a
 * client pick a fresh identity per request — else the socket's address.
 */
import { AppError } from '../../shared/errors';

export interface RateLimiter {
  /** Counts one request of `client`; throws a 429 AppError beyond the limit. */
  take(client: string): void;
}

export function createRateLimiter(options: { perMinute: number; now?: () => number; maxClients?: number }): RateLimiter {
  const now = options.now ?? Date.now;
  const maxClients = options.maxClients ?? 50_000;
  const windows = new Map<string, { start: number; count: number }>();
  return {
    take(client) {
      const t = now();
      let w = windows.get(client);
      if (!w || t - w.start >= 60_000) {
        if (!w && windows.size >= maxClients) evictStale(windows, t, maxClients);
        w = { start: t, count: 0 };
        windows.set(client, w);
      }
      w.count += 1;
      if (w.count > options.perMinute) {
        const retryAfterSeconds = Math.max(1, Math.ceil((w.start + 60_000 - t) / 1000));
        throw new AppError('rate_limited', 429, `too many requests: at most ${options.perMinute} a minute`, { retryable: true, retryAfterSeconds });
      }
    },
  };
}

/** Drops finished windows; if every client is active, the oldest ones (memory stays bounded). */
function evictStale(windows: Map<string, { start: number; count: number }>, t: number, maxClients: number): void {
  for (const [k, w] of windows) if (t - w.start >= 60_000) windows.delete(k);
  for (const k of windows.keys()) {
    if (windows.size < maxClients) break;
    windows.delete(k);
  }
}

export function clientAddress(forwardedFor: string | string[] | undefined, socketAddress: string | undefined): string {
  const header = Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor;
  const last = header?.split(',').pop()?.trim();
  return last || socketAddress || 'unknown';
}
