/**
 * How lanes share the Zoom rate. Lanes of one run in the same process (the CLI, the local
 * stack, an instance serving several pushes at once) share one limiter, so together they
 * are paced as a single client and never burst; its rate is the run's rates × (lanes of the
 * run here) / (lanes still working anywhere). With one lane per instance (production,
 * concurrency 1) that is rates / working lanes per instance.
 *
 * Each lane sees the shared limiter through its own counter, so a slice's checkpoint records
 * its own requests and 429s, not its neighbours'.
 */
import { createPauseBoard, createZoomRateLimiter, type PauseBoard, ZOOM_RATE_CATEGORIES, type ZoomRateLimiter, type ZoomRates } from '../zoom/rate-limiter';
import type { Sleep } from '../sleep';

export interface LaneLimits {
  /** 429 pauses shared by everything in this process. */
  readonly pauses: PauseBoard;
  /**
   * The limiter lane `lane` of `runId` (which has `lanes` lanes in all) uses until `leave`.
   * The coordinator joins as lane -1 while it plans (before any lane runs).
   */
  join(runId: string, lane: number, rates: ZoomRates, lanes: number): ZoomRateLimiter;
  /** `finished`: the lane has no work left anywhere (the run's working lanes drop by one at once). */
  leave(runId: string, lane: number, finished?: boolean): void;
  /** Tells how many lanes of the run are still working (in every process). */
  setWorking(runId: string, working: number): void;
}

export function createLaneLimits(options: { now?: () => number; sleep?: Sleep } = {}): LaneLimits {
  const pauses = createPauseBoard();
  interface RunShare {
    limiter: ZoomRateLimiter;
    lanes: Set<number>;
    rates: ZoomRates;
    working: number;
    idleSince: number;
  }
  const runs = new Map<string, RunShare>();

  const apply = (entry: RunShare) => {
    const share = entry.lanes.size / Math.max(entry.working, entry.lanes.size, 1);
    for (const c of ZOOM_RATE_CATEGORIES) entry.limiter.setRate(c, entry.rates[c] * share);
  };

  return {
    pauses,
    join(runId, lane, rates, lanes) {
      let entry = runs.get(runId);
      if (!entry) {
        entry = {
          limiter: createZoomRateLimiter({ rates, pauses, ...(options.now ? { now: options.now } : {}), ...(options.sleep ? { sleep: options.sleep } : {}) }),
          lanes: new Set(),
          rates,
          working: lanes,
          idleSince: 0,
        };
        runs.set(runId, entry);
      }
      entry.lanes.add(lane);
      entry.working = Math.max(entry.working, entry.lanes.size);
      apply(entry);
      return countingView(entry.limiter);
    },
    leave(runId, lane, finished = false) {
      const entry = runs.get(runId);
      if (!entry) return;
      if (entry.lanes.delete(lane) && finished) entry.working = Math.max(entry.lanes.size, entry.working - 1);
      // The limiter stays (with when its last request started): the next lane step of the
      // run on this process continues its spacing instead of starting with a burst.
      if (entry.lanes.size > 0) apply(entry);
      entry.idleSince = Date.now();
      for (const [id, other] of runs) if (other.lanes.size === 0 && Date.now() - other.idleSince > 3_600_000) runs.delete(id);
    },
    setWorking(runId, working) {
      const entry = runs.get(runId);
      if (!entry) return;
      entry.working = working;
      apply(entry);
    },
  };
}

/** The shared limiter, with counts of this view's own requests and pauses. */
function countingView(shared: ZoomRateLimiter): ZoomRateLimiter {
  const counts = { admitted: { light: 0, medium: 0, heavy: 0 }, pauses: { light: 0, medium: 0, heavy: 0 } };
  return {
    async acquire(category, signal) {
      await shared.acquire(category, signal);
      counts.admitted[category]++;
    },
    pause(category, ms) {
      counts.pauses[category]++;
      shared.pause(category, ms);
    },
    setRate: (category, perSecond) => shared.setRate(category, perSecond),
    rate: (category) => shared.rate(category),
    counts,
  };
}
