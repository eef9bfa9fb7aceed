/**
 * Times in microseconds since the epoch (Firestore's precision; up to year 2255 they fit a
 * double exactly), and their google.protobuf.Timestamp form.
 */
import { invalidArgument } from './errors';
import type { WireTimestamp } from './wire';

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range Firestore accepts.
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

/** Commit times: every call answers a time strictly after the one before. */
export class Clock {
  private last = 0;

  next(): number {
    this.last = Math.max(this.last + 1, Date.now() * 1000);
    return this.last;
  }

  /** A read time: now, never before the last commit. */
  now(): number {
    return Math.max(this.last, Date.now() * 1000);
  }
}

export function toTimestamp(micros: number): WireTimestamp {
  const seconds = Math.floor(micros / 1e6);
  return { seconds: String(seconds), nanos: (micros - seconds * 1e6) * 1000 };
}

/** A timestamp as microseconds, or undefined if it has sub-microsecond nanos (it can then equal no stored time). */
export function timestampMicros(ts: WireTimestamp): number | undefined {
  if (ts.nanos % 1000 !== 0) return undefined;
  return Number(ts.seconds) * 1e6 + ts.nanos / 1000;
}

export function checkTimestamp(ts: WireTimestamp, where: string): void {
  const seconds = Number(ts.seconds);
  if (!Number.isInteger(ts.nanos) || ts.nanos < 0 || ts.nanos > 999_999_999) {
    throw invalidArgument(`Invalid timestamp in ${where}: nanos must be in [0, 999999999], got ${ts.nanos}.`);
  }
  if (!(seconds >= MIN_SECONDS && seconds <= MAX_SECONDS)) {
    throw invalidArgument(`Invalid timestamp in ${where}: seconds ${ts.seconds} is outside 0001-01-01..9999-12-31.`);
  }
}

export function compareTimestamps(a: WireTimestamp, b: WireTimestamp): number {
  const sa = Number(a.seconds);
  const sb = Number(b.seconds);
  if (sa !== sb) return sa < sb ? -1 : 1;
  return a.nanos < b.nanos ? -1 : a.nanos > b.nanos ? 1 : 0;
}

export function timestampIso(ts: WireTimestamp): string {
  const millis = Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6);
  return new Date(millis).toISOString();
}
