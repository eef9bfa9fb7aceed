/**
 * A fixed-window visit counter for the public Be Aware 360 `open` links: each link and each
 * client address may be visited `perMinute` times a minute on an instance. Every visit logs
 * in upstream at most once per token period, but an unthrottled public URL would still let
 * anyone drive that login and our instance: past the limit the visit answers 429.
 */
export interface VisitLimiter {
  /** Seconds to wait when over the limit; undefined when the visit may go ahead. */
  admit(keys: string[]): number | undefined;
}

export function createVisitLimiter(perMinute: number, now: () => number, maxKeys = 10_000): VisitLimiter {
  const windows = new Map<string, { start: number; count: number }>();
  return {
    admit(keys) {
      const t = now();
      const minute = Math.floor(t / 60_000) * 60_000;
      // Old windows go first; a flood of distinct keys cannot grow the map without bound.
      if (windows.size > maxKeys) for (const [k, w] of windows) if (w.start < minute) windows.delete(k);
      let wait: number | undefined;
      for (const key of keys) {
        const w = windows.get(key);
        const current = w && w.start === minute ? w : { start: minute, count: 0 };
        current.count++;
        windows.set(key, current);
        if (current.count > perMinute) wait = Math.max(wait ?? 0, Math.ceil((minute + 60_000 - t) / 1000));
      }
      return wait;
    },
  };
}
