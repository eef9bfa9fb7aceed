/**
 * Refused webhook deliveries, kept for the operators ("refused and why" in the timeline, per
 * hour in the day view: shared/trace) in collection `zoomWebhookRefusals` (TTL on `expireAt`,
 * as long as the event keys), without letting a flood of bad requests become a flood of writes:
 *
 * - per UTC hour and reason one **counter** document (`count-<hour>-<reason>`), incremented by
 *   what this instance refused since its last write: at most one write per hour, reason and
 *   interval (ZOOM_REFUSAL_COUNT_INTERVAL_SECONDS) per instance however many requests arrive. Counts not yet written are written
 *   by a timer after the interval (an instance stopped before then loses them; the request
 *   logs still have every refusal);
 * - per hour and reason at most DETAIL_CAP **entries** (`entry-<hour>-<reason>-<slot>`, created
 *   only if absent, so the cap holds across instances), each instance trying each slot once.
 *
 * Kept of a request: the reason, the status and our own message, and — only if the body
 * parsed — the event name and the engagement id it claims (unverified unless its signature
 * was checked); never the body, headers, signature or caller address. An engagement id that
 * looks like a phone number is not kept. Memory is bounded: entries of past hours are dropped.
 */
import { DocAlreadyExistsError, type DocStore, fieldOps } from '../../shared/ports/docstore';
import type { Logger } from '../../shared/logging';
import { looksLikePhone } from '../../shared/phone';
import { claimedZoomIds } from '../../shared/zoom/events';
import type { RefusalNotice } from '../../shared/http/refusal-observer';
import { UNAUTHENTICATED_MESSAGES } from './receive';

export const REFUSALS_COLLECTION = 'zoomWebhookRefusals';

export const REFUSAL_REASONS = ['bad_signature', 'stale', 'replay', 'bad_body', 'too_large', 'bad_encoding', 'unavailable', 'other'] as const;
type RefusalReason = (typeof REFUSAL_REASONS)[number];

export const DETAIL_CAP = 20;
const FLUSH_INTERVAL_MS = 10_000;

/** Why a delivery was refused, from what was answered (the 401 messages are receive.ts's own). */
function refusalReasonOf(notice: Pick<RefusalNotice, 'status' | 'code' | 'message'>): RefusalReason {
  if (notice.status === 401) {
    if (notice.message === UNAUTHENTICATED_MESSAGES.stale) return 'stale';
    if (notice.message === UNAUTHENTICATED_MESSAGES.replay) return 'replay';
    return 'bad_signature';
  }
  if (notice.status === 413) return 'too_large';
  if (notice.status === 415) return 'bad_encoding';
  if (notice.status === 400) return 'bad_body';
  if (notice.status === 503) return 'unavailable';
  return 'other';
}

/** A replay matched a known signature, and a 503 came after the signature check: only those are verified. */
const SIGNATURE_CHECKED: ReadonlySet<RefusalReason> = new Set(['replay', 'unavailable']);

function claimedOf(body: unknown): { event?: string; engagementId?: string } {
  const { event, engagementId } = claimedZoomIds(body);
  return { ...(event ? { event } : {}), ...(engagementId && !looksLikePhone(engagementId) ? { engagementId } : {}) };
}

/** 2026-12-04T09 → "2026120409". */
const hourIdOf = (hourStart: Date) => hourStart.toISOString().slice(0, 13).replace(/\D/g, '');

interface HourReason {
  hour: Date;
  reason: RefusalReason;
  /** Refusals counted here and not yet written. */
  pending: number;
  lastWriteAt: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Entry slots this instance has tried (successfully or not). */
  slotsTried: number;
}

export interface RefusalRecorder {
  /** The observer createHttpApp and the Framework guard call (./http.ts). Only POST / (deliveries) is recorded. */
  observe(notice: RefusalNotice): Promise<void>;
  /** Writes every pending count now (tests; an instance shutting down). */
  flush(): Promise<void>;
}

export function createRefusalRecorder(
  docs: DocStore,
  options: { ttlMs: number; now: () => number; log: Logger; detailCap?: number; flushIntervalMs?: number },
): RefusalRecorder {
  const cap = options.detailCap ?? DETAIL_CAP;
  const interval = options.flushIntervalMs ?? FLUSH_INTERVAL_MS;
  const slots = new Map<string, HourReason>();

  const write = async (s: HourReason): Promise<void> => {
    if (s.timer) clearTimeout(s.timer);
    s.timer = undefined;
    const n = s.pending;
    if (n === 0) return;
    s.pending = 0;
    s.lastWriteAt = options.now();
    try {
      await docs.set(
        REFUSALS_COLLECTION,
        `count-${hourIdOf(s.hour)}-${s.reason}`,
        {
          kind: 'count',
          hour: s.hour,
          reason: s.reason,
          count: fieldOps.increment(n),
          updatedAt: new Date(s.lastWriteAt),
          expireAt: new Date(s.hour.getTime() + 3_600_000 + options.ttlMs),
        },
        { merge: true },
      );
    } catch (err) {
      // Kept for the next write, which a timer makes (not sooner than 5 s: the store is failing) if no refusal comes first.
      s.pending += n;
      schedule(s, Math.max(interval, 5_000));
      options.log.warn('zoom webhook: refusal count not recorded', { err, reason: s.reason, count: n });
    }
  };
  function schedule(s: HourReason, delayMs = Math.max(0, (s.lastWriteAt ?? 0) + interval - options.now())): void {
    if (s.timer) return;
    s.timer = setTimeout(() => void write(s), delayMs);
    s.timer.unref?.();
  }

  const addEntry = async (s: HourReason, at: Date, notice: RefusalNotice): Promise<void> => {
    const claimed = claimedOf(notice.parsedBody);
    while (s.slotsTried < cap) {
      const slot = s.slotsTried++;
      try {
        await docs.create(REFUSALS_COLLECTION, `entry-${hourIdOf(s.hour)}-${s.reason}-${slot}`, {
          // No `hour` field: the day view's range query on it reads the counters only.
          kind: 'entry',
          at,
          reason: s.reason,
          status: notice.status,
          code: notice.code,
          message: notice.message.slice(0, 200),
          stage: notice.stage,
          signatureChecked: SIGNATURE_CHECKED.has(s.reason),
          ...claimed,
          expireAt: new Date(at.getTime() + options.ttlMs),
        });
        return;
      } catch (err) {
        // Another instance took this slot: try the next one (each slot at most once here).
        if (err instanceof DocAlreadyExistsError) continue;
        options.log.warn('zoom webhook: refusal entry not recorded', { err, reason: s.reason });
        return;
      }
    }
  };

  return {
    async observe(notice) {
      if (notice.method !== 'POST' || notice.path !== '/') return;
      const nowMs = options.now();
      const at = new Date(nowMs);
      const hour = new Date(Math.floor(nowMs / 3_600_000) * 3_600_000);
      const reason = refusalReasonOf(notice);
      const key = `${hourIdOf(hour)}-${reason}`;
      let s = slots.get(key);
      if (!s) {
        s = { hour, reason, pending: 0, lastWriteAt: undefined, timer: undefined, slotsTried: 0 };
        slots.set(key, s);
        // Past hours: write what they still hold, then forget them.
        for (const [k, old] of slots) {
          if (old.hour.getTime() < hour.getTime()) {
            slots.delete(k);
            await write(old);
          }
        }
      }
      s.pending++;
      await addEntry(s, at, notice);
      if (s.lastWriteAt === undefined || nowMs - s.lastWriteAt >= interval) await write(s);
      else schedule(s);
    },
    async flush() {
      for (const s of slots.values()) await write(s);
    },
  };
}
