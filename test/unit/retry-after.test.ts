import { exponentialBackoffMs, gotRetryAfter, parseRetryAfter, retryAfterAwareDelay } from '../../shared/http/retry-after';

const NOW = Date.parse('2026-11-21T20:00:00.000Z');

describe('parseRetryAfter (RFC 9110 §10.2.3: delay-seconds or HTTP-date)', () => {
  it.each([
    ['0', 0],
    ['7', 7],
    [' 30 ', 30],
    [['12', '99'], 12],
  ] as const)('reads delay-seconds %j as %d', (value, seconds) => {
    expect(parseRetryAfter(value as string | string[], NOW)).toBe(seconds);
  });

  it('reads an HTTP-date as whole seconds from now, rounded up so the caller never comes back early', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 20:00:10 GMT', NOW)).toBe(10);
    expect(parseRetryAfter('Sat, 21 Nov 2026 20:00:10 GMT', NOW + 500)).toBe(10);
    expect(parseRetryAfter('Sat, 21 Nov 2026 20:00:10 GMT', NOW + 9_001)).toBe(1);
  });

  it('reads a date in the past as 0', () => {
    expect(parseRetryAfter('Sat, 21 Nov 2026 19:59:00 GMT', NOW)).toBe(0);
  });

  it.each([undefined, '', '   ', '1.5', '-3', '+4', '0x10', '1e3', 'soon', []])('answers no value for %j (the caller backs off on its own)', (value) => {
    expect(parseRetryAfter(value as string | undefined, NOW)).toBeUndefined();
  });
});

describe('retryAfterAwareDelay (got retry.calculateDelay)', () => {
  const delay = retryAfterAwareDelay({ maxRetryAfterMs: 30_000, backoffMs: (n) => n * 100, now: () => NOW });
  const state = (attemptCount: number, retryAfter?: string, computedValue = 1000) => ({
    attemptCount,
    computedValue,
    error: { response: { headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter } } },
  });

  it('waits what the server said, 1 ms for "0" (got reads 0 as no retry)', () => {
    expect(delay(state(1, '7'))).toBe(7000);
    expect(delay(state(1, '0'))).toBe(1);
  });

  it("refuses a wait longer than the ceiling, and keeps got's refusal", () => {
    expect(delay(state(1, '31'))).toBe(0);
    expect(delay(state(1, '7', 0))).toBe(0);
  });

  it('backs off on its own without a usable header', () => {
    expect(delay(state(3))).toBe(300);
    expect(delay(state(2, '1.5'))).toBe(200);
  });

  it('exponentialBackoffMs doubles from 1 s up to its limit', () => {
    const backoff = exponentialBackoffMs(5_000, () => 0);
    expect([1, 2, 3, 4, 5].map(backoff)).toEqual([1000, 2000, 4000, 5000, 5000]);
  });
});

describe('gotRetryAfter (a got retry option whose Retry-After is read only by parseRetryAfter)', () => {
  it("switches got's own ceiling off so the given one decides", () => {
    const option = gotRetryAfter(30_000);
    expect(option.maxRetryAfter).toBe(Number.POSITIVE_INFINITY);
    const state = (retryAfter: string) => ({ attemptCount: 1, computedValue: 5, error: { response: { headers: { 'retry-after': retryAfter } } } });
    expect(option.calculateDelay(state('30'))).toBe(30_000);
    expect(option.calculateDelay(state('31'))).toBe(0);
  });
});
