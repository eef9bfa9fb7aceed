/**
 * The default of every injectable sleep (tests pass their own, driven by a fake clock): Node's
 * promise timer, which an AbortSignal cancels (it then rejects with an AbortError).
 */
import { setTimeout as delay } from 'node:timers/promises';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) => delay(Math.max(0, ms), undefined, signal ? { signal } : {});
