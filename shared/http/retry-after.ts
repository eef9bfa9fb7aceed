/**
 * The one reader of a `Retry-After` header (RFC 9110 §10.2.3:
 * https://www.rfc-editor.org/rfc/rfc9110#section-10.2.3): `delay-seconds` (1*DIGIT, a
 * non-negative whole number) or an `HTTP-date`. A date is turned into whole seconds from
 * `now`, rounded up, so a caller never comes back before the moment it was given; a date in
 * the past is 0. Anything else (fractions, signs, garbage, an empty header) is no answer, and
 * the caller falls back to its own back-off.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now: number = Date.now()): number | undefined {
  const v = (Array.isArray(value) ? value[0] : (value as string | undefined))?.trim();
  if (v === undefined || v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  // An HTTP-date always names a weekday and GMT; bare numbers and other text are not dates.
  if (!/[A-Za-z]/.test(v)) return undefined;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

/** What got hands a `retry.calculateDelay` function (the fields read here). */
export interface GotRetryState {
  attemptCount: number;
  /** got's own verdict: 0 when its rules (attempts, methods, statuses) refuse a retry. */
  computedValue: number;
  error: { response?: { headers: Record<string, string | string[] | undefined> } };
}

/**
 * A got `retry.calculateDelay` that reads Retry-After with parseRetryAfter (got's own reader
 * takes fractions and signs and rounds dates differently): the server's wait when it gave
 * one — no retry when that is longer than `maxRetryAfterMs` — else `backoffMs(attempt)`.
 * got's rules still decide whether a retry is allowed at all.
 */
export function retryAfterAwareDelay(options: { maxRetryAfterMs: number; backoffMs: (attempt: number) => number; now?: () => number }) {
  const now = options.now ?? Date.now;
  return ({ attemptCount, computedValue, error }: GotRetryState): number => {
    if (computedValue === 0) return 0;
    const seconds = parseRetryAfter(error.response?.headers['retry-after'], now());
    // got reads 0 as "do not retry", so an immediate retry waits 1 ms.
    if (seconds === undefined) return Math.max(1, options.backoffMs(attemptCount));
    const ms = seconds * 1000;
    return ms > options.maxRetryAfterMs ? 0 : Math.max(1, ms);
  };
}

/**
 * The Retry-After part of a got `retry` option: got's own reading is switched off
 * (`maxRetryAfter: Infinity` — otherwise it refuses a retry by its reading of the header
 * before ours is asked) and retryAfterAwareDelay decides, waiting at most `maxRetryAfterMs`.
 */
export function gotRetryAfter(maxRetryAfterMs: number): { maxRetryAfter: number; calculateDelay: ReturnType<typeof retryAfterAwareDelay> } {
  return {
    maxRetryAfter: Number.POSITIVE_INFINITY,
    calculateDelay: retryAfterAwareDelay({ maxRetryAfterMs, backoffMs: exponentialBackoffMs(maxRetryAfterMs) }),
  };
}

/** got's default back-off (1 s, 2 s, 4 s … up to `limitMs`) with up to 100 ms of noise. */
export const exponentialBackoffMs =
  (limitMs: number, random: () => number = Math.random) =>
  (attempt: number): number =>
    Math.min(2 ** Math.max(attempt - 1, 0) * 1000, limitMs) + random() * 100;
