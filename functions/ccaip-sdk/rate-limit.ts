/**
 * The per-client request limit: a page or app that loops, or someone probing tokens, gets 429
 * with Retry-After before any key is fetched or anything signed. One token bucket per source
 * address (shared/rate-limit.ts; per instance), `perMinute` requests in a burst, refilled at
 * `perMinute` a minute.
 */
import { AppError } from '../../shared/errors';
import { createKeyedTokenBuckets } from '../../shared/rate-limit';

export interface RateLimiter {
  /** Counts one request of `client`; throws a 429 AppError beyond the limit. */
  take(client: string): void;
}

export function createRateLimiter(options: { perMinute: number; now?: () => number }): RateLimiter {
  const buckets = createKeyedTokenBuckets({
    burst: options.perMinute,
    perSecond: options.perMinute / 60,
    maxKeys: 50_000,
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    take(client) {
      const verdict = buckets.take(client);
      if (!verdict.allowed) {
        throw new AppError('rate_limited', 429, `too many requests: at most ${options.perMinute} a minute`, {
          retryable: true,
          retryAfterSeconds: verdict.retryAfterSeconds,
        });
      }
    },
  };
}
