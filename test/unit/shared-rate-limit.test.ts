/** Keyed token buckets on an injected clock. */
import { createKeyedTokenBuckets } from '../../shared/rate-limit';

describe('keyed token buckets', () => {
  const clock = { now: 0 };
  const buckets = (over: Partial<{ burst: number; perSecond: number; maxKeys: number }> = {}) =>
    createKeyedTokenBuckets({ burst: 3, perSecond: 0.5, now: () => clock.now, ...over });
  beforeEach(() => {
    clock.now = 1_000_000;
  });

  test('a key gets its burst, then a refusal saying when a token is back; other keys are untouched', () => {
    const b = buckets();
    expect([b.take('a'), b.take('a'), b.take('a')]).toEqual([{ allowed: true }, { allowed: true }, { allowed: true }]);
    expect(b.take('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(b.take('b')).toEqual({ allowed: true });
  });

  test('tokens come back at the rate, never above the burst', () => {
    const b = buckets();
    for (let i = 0; i < 3; i++) b.take('a');
    clock.now += 2000;
    expect(b.take('a')).toEqual({ allowed: true });
    expect(b.take('a').allowed).toBe(false);
    clock.now += 3_600_000;
    for (let i = 0; i < 3; i++) expect(b.take('a').allowed).toBe(true);
    expect(b.take('a').allowed).toBe(false);
  });

  test('peek tells without taking', () => {
    const b = buckets({ burst: 1 });
    expect(b.peek('a')).toEqual({ allowed: true });
    expect(b.peek('a')).toEqual({ allowed: true });
    b.take('a');
    expect(b.peek('a')).toEqual({ allowed: false, retryAfterSeconds: 2 });
  });

  test('a flood of distinct keys keeps at most maxKeys; a dropped key comes back full', () => {
    const b = buckets({ burst: 1, maxKeys: 2 });
    b.take('a');
    b.take('b');
    b.take('c');
    // 'a' was the least recently used: dropped, so full again.
    expect(b.peek('a').allowed).toBe(true);
    expect(b.peek('c').allowed).toBe(false);
  });

  test('a clock going backwards does not mint tokens', () => {
    const b = buckets({ burst: 1 });
    b.take('a');
    clock.now -= 60_000;
    expect(b.take('a').allowed).toBe(false);
    // Back to where it was: still no token (the 60 s it went back are not counted as elapsed).
    clock.now += 60_000;
    expect(b.take('a').allowed).toBe(false);
  });

  test('nonsense limits are refused', () => {
    expect(() => createKeyedTokenBuckets({ burst: 0, perSecond: 1 })).toThrow();
    expect(() => createKeyedTokenBuckets({ burst: 1, perSecond: 0 })).toThrow();
  });
});
