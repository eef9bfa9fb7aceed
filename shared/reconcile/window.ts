/**
 * The time window a run reconciles, in whole seconds (Zoom's API takes
 * yyyy-MM-dd'T'HH:mm:ss'Z' and compares at second resolution), both ends inclusive.
 *
 * The default is the previous calendar day in the configured time zone, widened by an
 * overlap on both sides: recordings are listed by their end time and appear minutes after
 * the call, and a call that spans midnight belongs to two days — so consecutive nights
 * look at the seams twice (the second look finds everything present).
 */
import * as z from 'zod';
import { badRequest } from '../errors';

export interface ReconcileWindow {
  /** ISO, whole seconds, UTC ("2026-11-01T00:00:00Z"). */
  from: string;
  to: string;
}

/** Zoom answers at most a month's worth per listing; a run is split below that anyway. */
const MAX_WINDOW_DAYS = 31;

const DAY_MS = 86_400_000;

function isoSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

export function isValidTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Local wall-clock time minus UTC at instant `ms`, in ms. */
function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wall = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return wall - Math.floor(ms / 1000) * 1000;
}

/** The UTC instant at which `date` (YYYY-MM-DD) begins in `timeZone`. */
export function zonedStartOfDay(date: string, timeZone: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  // Two passes settle days whose offset differs from the previous evening's (DST changes).
  const first = wall - zoneOffsetMs(wall, timeZone);
  return wall - zoneOffsetMs(first, timeZone);
}

/** The calendar date (YYYY-MM-DD) in `timeZone` at instant `ms`. */
function zonedDate(ms: number, timeZone: string): string {
  return new Date(ms + zoneOffsetMs(ms, timeZone)).toISOString().slice(0, 10);
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Yesterday in `timeZone`, widened by `overlapHours` on both sides, never reaching past `now`. */
export function defaultWindow(now: number, timeZone: string, overlapHours: number): ReconcileWindow {
  const today = zonedDate(now, timeZone);
  const from = zonedStartOfDay(addDays(today, -1), timeZone) - overlapHours * 3_600_000;
  const to = Math.min(zonedStartOfDay(today, timeZone) - 1000 + overlapHours * 3_600_000, now);
  return { from: isoSeconds(from), to: isoSeconds(to) };
}

const dateOnly = /^\d{4}-\d{2}-\d{2}$/;

export const windowBoundSchema = z.union([
  z.string().regex(dateOnly, { error: 'must be YYYY-MM-DD or an ISO date-time' }),
  z.iso.datetime({ offset: true, error: 'must be YYYY-MM-DD or an ISO date-time' }),
]);

/**
 * A window asked for explicitly. Dates are whole days in `timeZone` (`to` included: 11-01 to
 * 11-07 is seven days); date-times are taken as given. No overlap is added.
 */
export function explicitWindow(input: { from: string; to: string }, timeZone: string, now: number): ReconcileWindow {
  const fromMs = dateOnly.test(input.from) ? zonedStartOfDay(input.from, timeZone) : Date.parse(input.from);
  const toMs = dateOnly.test(input.to) ? zonedStartOfDay(addDays(input.to, 1), timeZone) - 1000 : Date.parse(input.to);
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) throw badRequest('from/to are not valid dates');
  if (toMs <= fromMs) throw badRequest('to must be after from');
  if (toMs - fromMs > MAX_WINDOW_DAYS * DAY_MS) throw badRequest(`the window may span at most ${MAX_WINDOW_DAYS} days`);
  if (fromMs > now) throw badRequest('the window starts in the future');
  return { from: isoSeconds(fromMs), to: isoSeconds(Math.min(toMs, now)) };
}

/**
 * Splits [fromMs, toMs] (inclusive, whole seconds) into `parts` adjacent ranges that do not
 * overlap: each ends one second before the next begins, so nothing is listed twice.
 */
export function splitRange(fromMs: number, toMs: number, parts: number): ReconcileWindow[] {
  const seconds = Math.floor((toMs - fromMs) / 1000) + 1;
  const n = Math.max(1, Math.min(parts, seconds));
  const out: ReconcileWindow[] = [];
  for (let i = 0; i < n; i++) {
    const start = fromMs + Math.floor((seconds * i) / n) * 1000;
    const end = fromMs + (Math.floor((seconds * (i + 1)) / n) - 1) * 1000;
    out.push({ from: isoSeconds(start), to: isoSeconds(end) });
  }
  return out;
}

/** A window key usable as a document id: 20261101T000000Z_20261107T235959Z. */
export function windowKey(window: ReconcileWindow, dryRun: boolean): string {
  const compact = (iso: string) => iso.replace(/[-:]/g, '');
  return `${compact(window.from)}_${compact(window.to)}${dryRun ? '_dry' : ''}`;
}
