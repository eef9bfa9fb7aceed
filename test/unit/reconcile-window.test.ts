/**
 * The window of a run: yesterday in the configured time zone plus the overlap (DST days
 * included), explicit days or date-times, the limits, and slices that neither overlap nor
 * leave a second out.
 */
import { defaultWindow, explicitWindow, splitRange, windowKey, zonedStartOfDay } from '../../shared/reconcile/window';
import { AppError } from '../../shared/errors';

const at = (iso: string) => Date.parse(iso);

describe('default window', () => {
  it('is yesterday in UTC widened by the overlap, never reaching past now', () => {
    expect(defaultWindow(at('2026-11-21T03:30:00Z'), 'Etc/UTC', 3)).toEqual({ from: '2026-11-19T21:00:00Z', to: '2026-11-21T02:59:59Z' });
    expect(defaultWindow(at('2026-11-21T01:00:00Z'), 'Etc/UTC', 3)).toEqual({ from: '2026-11-19T21:00:00Z', to: '2026-11-21T01:00:00Z' });
    expect(defaultWindow(at('2026-11-21T03:30:00Z'), 'Etc/UTC', 0)).toEqual({ from: '2026-11-20T00:00:00Z', to: '2026-11-20T23:59:59Z' });
  });

  it('follows the configured zone, across daylight-saving changes', () => {
    // New York, Nov 21 (EST, UTC-5): yesterday is Nov 20 05:00Z → Nov 21 04:59:59Z.
    expect(defaultWindow(at('2026-11-21T12:00:00Z'), 'America/New_York', 0)).toEqual({ from: '2026-11-20T05:00:00Z', to: '2026-11-21T04:59:59Z' });
    // Nov 1 2026 is the fall-back day in New York: 25 hours, starting 04:00Z (EDT).
    expect(defaultWindow(at('2026-11-02T12:00:00Z'), 'America/New_York', 0)).toEqual({ from: '2026-11-01T04:00:00Z', to: '2026-11-02T04:59:59Z' });
    // Berlin, spring forward on Mar 29 2026: 23 hours.
    expect(defaultWindow(at('2026-03-30T10:00:00Z'), 'Europe/Berlin', 0)).toEqual({ from: '2026-03-28T23:00:00Z', to: '2026-03-29T21:59:59Z' });
    expect(zonedStartOfDay('2026-06-15', 'Asia/Kolkata')).toBe(at('2026-06-14T18:30:00Z'));
  });
});

describe('explicit window', () => {
  const now = at('2026-11-21T20:00:00Z');
  it('takes whole days in the zone, both ends included, and date-times as given', () => {
    expect(explicitWindow({ from: '2026-11-01', to: '2026-11-07' }, 'Etc/UTC', now)).toEqual({ from: '2026-11-01T00:00:00Z', to: '2026-11-07T23:59:59Z' });
    expect(explicitWindow({ from: '2026-11-01', to: '2026-11-01' }, 'Europe/Berlin', now)).toEqual({
      from: '2026-10-31T23:00:00Z',
      to: '2026-11-01T22:59:59Z',
    });
    expect(explicitWindow({ from: '2026-11-20T08:00:00+01:00', to: '2026-11-20T10:00:00Z' }, 'Etc/UTC', now)).toEqual({
      from: '2026-11-20T07:00:00Z',
      to: '2026-11-20T10:00:00Z',
    });
    expect(explicitWindow({ from: '2026-11-21', to: '2026-11-21' }, 'Etc/UTC', now).to).toBe('2026-11-21T20:00:00Z');
  });
  it.each([
    [{ from: '2026-11-07', to: '2026-11-01' }, 'to must be after from'],
    [{ from: '2026-09-01', to: '2026-11-01' }, 'at most 31 days'],
    [{ from: '2026-12-01', to: '2026-12-02' }, 'in the future'],
  ])('refuses %j with a 400', (input, message) => {
    let error: unknown;
    try {
      explicitWindow(input, 'Etc/UTC', now);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).status).toBe(400);
    expect((error as AppError).message).toContain(message);
  });
});

describe('slices of a range', () => {
  it('are adjacent whole-second ranges covering it exactly once', () => {
    const from = at('2026-11-01T00:00:00Z');
    const to = at('2026-11-01T23:59:59Z');
    const parts = splitRange(from, to, 7);
    expect(parts).toHaveLength(7);
    expect(parts[0]!.from).toBe('2026-11-01T00:00:00Z');
    expect(parts[6]!.to).toBe('2026-11-01T23:59:59Z');
    for (let i = 1; i < parts.length; i++) expect(at(parts[i]!.from) - at(parts[i - 1]!.to)).toBe(1000);
    expect(splitRange(from, from + 2000, 10)).toHaveLength(3);
  });
  it('gives window keys usable as document ids', () => {
    expect(windowKey({ from: '2026-11-01T00:00:00Z', to: '2026-11-07T23:59:59Z' }, false)).toBe('20261101T000000Z_20261107T235959Z');
    expect(windowKey({ from: '2026-11-01T00:00:00Z', to: '2026-11-07T23:59:59Z' }, true)).toMatch(/_dry$/);
  });
});
