/**
 * Garbage-collection pauses of a benchmark's server process, per row: the process keeps a
 * running account of its GC pauses (Node's `gc` performance entries, minor and major apart)
 * and answers the bench's IPC question with it; the bench asks before and after a row and
 * reports the difference per request, and the longest pause in between. This is how a paced
 * tail is put down to GC or not (functions/zoom-webhook/README.md).
 */
import type { ChildProcess } from 'node:child_process';
import { constants, PerformanceObserver } from 'node:perf_hooks';

export interface GcAccount {
  /** Total pause of minor (scavenge) and of major (mark-compact, incremental steps) GCs, ms. */
  minorMs: number;
  majorMs: number;
  minorCount: number;
  majorCount: number;
  /** The longest single pause since the previous question, ms. */
  longestMs: number;
}

const QUESTION = 'ccbridge-bench:gc-account?';
const ANSWER = 'ccbridge-bench:gc-account';

/** In a server process started with IPC: keeps the account and answers the bench. */
export function keepGcAccount(): void {
  const account: GcAccount = { minorMs: 0, majorMs: 0, minorCount: 0, majorCount: 0, longestMs: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        account.minorMs += entry.duration;
        account.minorCount++;
      } else {
        account.majorMs += entry.duration;
        account.majorCount++;
      }
      account.longestMs = Math.max(account.longestMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  process.on('message', (message) => {
    if (message !== QUESTION) return;
    process.send?.({ [ANSWER]: { ...account } });
    account.longestMs = 0;
  });
}

/** In the bench: the account of `child` now (undefined if it keeps none or does not answer in 5 s). */
export function askGcAccount(child: ChildProcess): Promise<GcAccount | undefined> {
  if (!child.connected) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      const account = (message as Record<string, GcAccount> | null)?.[ANSWER];
      if (!account) return;
      done(account);
    };
    const timer = setTimeout(() => done(undefined), 5_000);
    const done = (account: GcAccount | undefined) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(account);
    };
    child.on('message', onMessage);
    child.send(QUESTION);
  });
}

/** GC per request of a row: pause ms per 1 000 requests and the longest pause, from two accounts. */
export function gcPerRequest(before: GcAccount | undefined, after: GcAccount | undefined, requests: number): { gcMsPer1k: number; gcLongestMs: number } {
  if (!before || !after) return { gcMsPer1k: Number.NaN, gcLongestMs: Number.NaN };
  const pauseMs = after.minorMs + after.majorMs - (before.minorMs + before.majorMs);
  return { gcMsPer1k: (pauseMs * 1000) / Math.max(1, requests), gcLongestMs: after.longestMs };
}
