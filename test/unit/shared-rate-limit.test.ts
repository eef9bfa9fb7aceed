/** Keyed token buckets on an injected clock. */
import { sourceAddress } from '../../shared/http/source-address';
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

describe('the source address register-app limits by', () => {
  const req = (xff?: string, peer = '10.0.0.1') =>
    ({ headers: xff === undefined ? {} : { 'x-forwarded-for': xff }, socket: { remoteAddress: peer } }) as unknown as Parameters<typeof sourceAddress>[0];
  test.each([
    ['the last X-Forwarded-For entry (what the front end appended; earlier ones are the caller’s)', '6.6.6.6, 198.51.100.7', 0, '198.51.100.7'],
    ['with one trusted proxy hop after it, the entry before the last', '6.6.6.6, 198.51.100.7, 35.191.0.1', 1, '198.51.100.7'],
    ['more hops than entries: the first entry', '198.51.100.7', 2, '198.51.100.7'],
    ['no header: the peer', undefined, 0, '10.0.0.1'],
  ])('%s', (_what, xff, hops, expected) => {
    expect(sourceAddress(req(xff), hops)).toBe(expected);
  });
});
