/**
 * Keyed token buckets held in one instance's memory: each key (a source address, an account)
 * has `burst` tokens, refilled continuously at `perSecond`; a request takes one or is refused
 * with the time until one is back. Per instance on purpose — Cloud Functions scale out, so the
 * effective limit is this one times the number of instances; it bounds what one source can
 * make one instance do (and an upstream it calls), not a global quota.
 *
 * The map holds at most `maxKeys` keys: the least recently used key is dropped first, and a
 * dropped key comes back full (a flood of distinct keys cannot make the map grow, nor push
 * real callers out faster than it fills their buckets again). The clock is injected.
 */

export interface TokenBucketOptions {
  burst: number;
  perSecond: number;
  maxKeys?: number;
  now?: () => number;
}

export type TakeResult = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export interface KeyedTokenBuckets {
  /** Takes `cost` tokens from `key`'s bucket if it has them. */
  take(key: string, cost?: number): TakeResult;
  /** Whether `take` would allow `cost` now, without taking anything. */
  peek(key: string, cost?: number): TakeResult;
}

export function createKeyedTokenBuckets(options: TokenBucketOptions): KeyedTokenBuckets {
  if (!(options.burst >= 1) || !(options.perSecond > 0)) throw new Error('a token bucket needs burst >= 1 and perSecond > 0');
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 10_000;
  // Map iteration order is insertion order: re-inserting on use keeps it least-recently-used first.
  const buckets = new Map<string, { tokens: number; at: number }>();

  const refreshed = (key: string): { tokens: number; at: number } => {
    const t = now();
    const bucket = buckets.get(key);
    if (!bucket) return { tokens: options.burst, at: t };
    const elapsed = Math.max(0, t - bucket.at) / 1000;
    // A clock stepping back neither mints tokens now nor later.
    return { tokens: Math.min(options.burst, bucket.tokens + elapsed * options.perSecond), at: Math.max(bucket.at, t) };
  };

  const verdict = (tokens: number, cost: number): TakeResult =>
    tokens >= cost ? { allowed: true } : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((cost - tokens) / options.perSecond)) };

  return {
    take(key, cost = 1) {
      const bucket = refreshed(key);
      buckets.delete(key);
      if (bucket.tokens >= cost) {
        bucket.tokens -= cost;
        buckets.set(key, bucket);
        if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
        return { allowed: true };
      }
      buckets.set(key, bucket);
      if (buckets.size > maxKeys) buckets.delete(buckets.keys().next().value!);
      return verdict(bucket.tokens, cost);
    },
    peek(key, cost = 1) {
      return verdict(refreshed(key).tokens, cost);
    },
  };
}
