/**
 * The Zoom rate limiter on a virtual clock: requests of a category start on slots 1/rate
 * apart and never more than the rate within any window; a late timer is made up without
 * breaking the bound; a 429 pause holds every waiter of the category (and only it); the rate
 * can change under way; aborted waiters leave the queue. Plus the paced client's retry delay.
 */
import { retryDelay } from '../../shared/zoom/api-client';
import { createPauseBoard, createZoomRateLimiter, type ZoomRateCategory } from '../../shared/zoom/rate-limiter';
import { createLaneLimits } from '../../shared/reconcile/lane-limits';

/** A clock that only moves when every waiter is asleep; sleeps may be made late on purpose. */
function virtualClock() {
  let t = 0;
  const timers: Array<{ at: number; resolve: () => void }> = [];
  let lateness = 0;
  return {
    now: () => t,
    set late(ms: number) {
      lateness = ms;
    },
    sleep: (ms: number) =>
      new Promise<void>((resolve) => {
        timers.push({ at: t + ms + lateness, resolve });
      }),
    /** Runs until no timer is left (or `until`). */
    async run(until = Number.POSITIVE_INFINITY) {
      for (;;) {
        await new Promise((r) => setImmediate(r));
        if (timers.length === 0) return;
        timers.sort((a, b) => a.at - b.at);
        const next = timers.shift()!;
        if (next.at > until) {
          timers.unshift(next);
          return;
        }
        t = Math.max(t, next.at);
        next.resolve();
      }
    },
  };
}

function maxInWindow(times: number[], windowMs: number): number {
  let best = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

describe('Zoom rate limiter', () => {
  it('spaces starts by window/rate and never lets more than the rate into any second', async () => {
    const clock = virtualClock();
    const limiter = createZoomRateLimiter({ rates: { light: 20, medium: 10, heavy: 5 }, now: clock.now, sleep: clock.sleep, windowMs: 1000 });
    const starts: number[] = [];
    const all = Promise.all(Array.from({ length: 40 }, () => limiter.acquire('medium').then(() => starts.push(clock.now()))));
    await clock.run();
    await all;
    expect(starts).toHaveLength(40);
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(10);
    expect(starts[39]! - starts[0]!).toBeGreaterThanOrEqual(3900 - 1);
    expect(limiter.counts.admitted.medium).toBe(40);
  });

  it('makes up for late timers without ever exceeding the rate', async () => {
    const clock = virtualClock();
    clock.late = 30;
    const limiter = createZoomRateLimiter({ rates: { light: 20, medium: 10, heavy: 5 }, now: clock.now, sleep: clock.sleep, windowMs: 1000 });
    const starts: number[] = [];
    const all = Promise.all(Array.from({ length: 50 }, () => limiter.acquire('medium').then(() => starts.push(clock.now()))));
    await clock.run();
    await all;
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(10);
    // 30 ms late every time, yet close to 10/s: slots are made up, not pushed back.
    expect((starts.length - 1) / ((starts[starts.length - 1]! - starts[0]!) / 1000)).toBeGreaterThan(9);
  });

  it('pauses a category after a 429 for every waiter sharing the board, and no other category', async () => {
    const clock = virtualClock();
    const board = createPauseBoard();
    const a = createZoomRateLimiter({ rates: { light: 100, medium: 100, heavy: 100 }, pauses: board, now: clock.now, sleep: clock.sleep });
    const b = createZoomRateLimiter({ rates: { light: 100, medium: 100, heavy: 100 }, pauses: board, now: clock.now, sleep: clock.sleep });
    await Promise.all([a.acquire('medium'), clock.run(0)]);
    a.pause('medium', 2000);
    const times: Record<ZoomRateCategory, number[]> = { light: [], medium: [], heavy: [] };
    const all = Promise.all([
      b.acquire('medium').then(() => times.medium.push(clock.now())),
      a.acquire('medium').then(() => times.medium.push(clock.now())),
      b.acquire('light').then(() => times.light.push(clock.now())),
    ]);
    await clock.run();
    await all;
    expect(Math.min(...times.medium)).toBeGreaterThanOrEqual(2000);
    expect(times.light[0]).toBeLessThan(100);
    expect(a.counts.pauses.medium).toBe(1);
  });

  it('follows rate changes and drops aborted waiters', async () => {
    const clock = virtualClock();
    const limiter = createZoomRateLimiter({ rates: { light: 1, medium: 1, heavy: 1 }, now: clock.now, sleep: clock.sleep, windowMs: 1000 });
    const controller = new AbortController();
    const starts: number[] = [];
    const first = limiter.acquire('heavy').then(() => starts.push(clock.now()));
    const aborted = limiter.acquire('heavy', controller.signal).then(
      () => 'admitted',
      (err: Error) => err.message,
    );
    controller.abort(new Error('stop'));
    const later = limiter.acquire('heavy').then(() => starts.push(clock.now()));
    limiter.setRate('heavy', 10);
    await clock.run();
    await Promise.all([first, later]);
    expect(await aborted).toBe('stop');
    expect(starts[1]! - starts[0]!).toBeLessThanOrEqual(1000);
  });

  it('lanes of one run in one process share one pace; a finished lane hands its share on', async () => {
    const clock = virtualClock();
    const limits = createLaneLimits({ now: clock.now, sleep: clock.sleep });
    const rates = { light: 20, medium: 20, heavy: 20 };
    const one = limits.join('run', 0, rates, 2);
    const two = limits.join('run', 1, rates, 2);
    const starts: number[] = [];
    const all = Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? one : two).acquire('medium').then(() => starts.push(clock.now()))));
    await clock.run();
    await all;
    expect(maxInWindow(starts, 1000)).toBeLessThanOrEqual(20);
    expect(one.counts.admitted.medium + two.counts.admitted.medium).toBe(30);
    // Another process holds a third lane: this process gets two thirds.
    limits.setWorking('run', 3);
    expect(one.rate('medium')).toBeCloseTo((20 * 2) / 3);
    limits.leave('run', 1, true);
    expect(one.rate('medium')).toBeCloseTo(20 / 2);
  });
});

describe('Zoom retry delay', () => {
  const policy = { limit: 5, baseDelayMs: 1000, maxDelayMs: 8000 };
  it('backs off exponentially with jitter', () => {
    expect(retryDelay(policy, 1, undefined, () => 0)).toBe(500);
    expect(retryDelay(policy, 1, undefined, () => 1)).toBe(1000);
    expect(retryDelay(policy, 3, undefined, () => 1)).toBe(4000);
    expect(retryDelay(policy, 9, undefined, () => 1)).toBe(8000);
  });
  it('never waits less than Retry-After, even above the back-off ceiling; beyond 10 minutes it does not retry within the call', () => {
    expect(retryDelay(policy, 1, 3000, () => 0)).toBe(3000);
    expect(retryDelay(policy, 3, 1000, () => 1)).toBe(4000);
    expect(retryDelay(policy, 1, 30_000, () => 0)).toBe(30_000);
    expect(retryDelay(policy, 1, 600_000, () => 0)).toBe(600_000);
    expect(retryDelay(policy, 1, 3_600_000, () => 0)).toBeUndefined();
  });
});
