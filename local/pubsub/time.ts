import type { WireDuration, WireTimestamp } from './wire';

/** Milliseconds in a protobuf Duration; `undefined` when the field is unset. */
export function durationToMs(duration: WireDuration | null | undefined): number | undefined {
  if (duration === null || duration === undefined) return undefined;
  return Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

export function msToDuration(ms: number): WireDuration {
  const seconds = Math.floor(ms / 1000);
  return { seconds: String(seconds), nanos: Math.round((ms - seconds * 1000) * 1e6) };
}

export function msToTimestamp(ms: number): WireTimestamp {
  return msToDuration(ms);
}

/** RFC 3339 in UTC, as Pub/Sub writes publishTime in JSON and Eventarc in `ce-time`. */
export function toRfc3339(ms: number): string {
  return new Date(ms).toISOString();
}
