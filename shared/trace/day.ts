/**
 * A day at a glance (UTC): per hour, events received and duplicates suppressed (webhook
 * keys, dated by their first receipt), deliveries refused (zoom-webhook's per-hour counters,
 * by reason), artifacts stored and entries failed (ledger entries, dated by their last
 * transition), entries backfilled (reconciliation slices, dated by the slice's last update)
 * and messages dead-lettered (the worker's dead-letter records, dated by their recording);
 * the last reconciliation report and the engagements that need a person.
 */
import type { DocStore } from '../ports/docstore';
import { COLLECTIONS as RECONCILE_COLLECTIONS, sliceDocSchema } from '../reconcile/store';
import { reportSchema, type RunReport } from '../reconcile/report';
import { ledgerDocSchema } from '../zoom/ledger';
import { deadLetterViewSchema, eventKeyViewSchema, refusalCountViewSchema, TRACE_COLLECTIONS } from './sources';

export interface HourCounts {
  hour: number;
  received: number;
  duplicates: number;
  refused: number;
  stored: number;
  backfilled: number;
  failed: number;
  deadLettered: number;
}

export interface DayView {
  day: string;
  hours: HourCounts[];
  totals: Omit<HourCounts, 'hour'>;
  /** Refused deliveries of the day by reason (bad_signature, stale, replay, bad_body, too_large, bad_encoding, unavailable, other). */
  refusedByReason: Record<string, number>;
  /** Dead-lettered messages of the day, each with its engagement (when the event names one). */
  deadLetters: Array<{ messageId: string; engagementId: string | undefined; deliveryAttempts: number | undefined }>;
  lastReport: RunReport | undefined;
  needsPerson: Array<{ engagementId: string; what: string; reason: string }>;
  unreadable: string[];
}

export interface DayDeps {
  docs: DocStore;
  retryFailedArtifacts: boolean;
}

const MAX_DOCS = 20_000;

/** A calendar day as YYYY-MM-DD that exists (2026-02-30 does not). */
export function isUtcDay(day: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return false;
  const t = Date.parse(`${day}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === day;
}

export async function dayView(deps: DayDeps, day: string): Promise<DayView> {
  if (!isUtcDay(day)) throw new RangeError(`day must be YYYY-MM-DD, got ${JSON.stringify(day)}`);
  const start = new Date(`${day}T00:00:00Z`);
  const end = new Date(start.getTime() + 86_400_000);
  const hourOf = (d: Date | undefined): number | undefined =>
    d && d >= start && d < end ? Math.floor((d.getTime() - start.getTime()) / 3_600_000) : undefined;
  const hours: HourCounts[] = Array.from({ length: 24 }, (_, hour) => ({
    hour,
    received: 0,
    duplicates: 0,
    refused: 0,
    stored: 0,
    backfilled: 0,
    failed: 0,
    deadLettered: 0,
  }));
  const unreadable: string[] = [];
  const range = (field: string) => ({ where: [[field, '>=', start] as [string, '>=', Date], [field, '<', end] as [string, '<', Date]], limit: MAX_DOCS });

  for (const d of await deps.docs.query(TRACE_COLLECTIONS.eventKeys, range('receivedAt'))) {
    const p = eventKeyViewSchema.safeParse(d.data);
    if (!p.success) {
      unreadable.push(`${TRACE_COLLECTIONS.eventKeys}/${d.id}`);
      continue;
    }
    const h = hourOf(p.data.receivedAt);
    if (h === undefined) continue;
    hours[h]!.received += 1 + (p.data.duplicates ?? 0);
    hours[h]!.duplicates += p.data.duplicates ?? 0;
  }

  // Counter documents (only they carry `hour`; the detailed entries are a sample): at most 24 × reasons a day.
  const refusedByReason: Record<string, number> = {};
  for (const d of await deps.docs.query(TRACE_COLLECTIONS.refusals, range('hour'))) {
    if (d.data['kind'] !== 'count') continue;
    const p = refusalCountViewSchema.safeParse(d.data);
    if (!p.success) {
      unreadable.push(`${TRACE_COLLECTIONS.refusals}/${d.id}`);
      continue;
    }
    const h = hourOf(p.data.hour);
    if (h === undefined) continue;
    hours[h]!.refused += p.data.count;
    refusedByReason[p.data.reason] = (refusedByReason[p.data.reason] ?? 0) + p.data.count;
  }

  const deadLetters: DayView['deadLetters'] = [];
  for (const d of await deps.docs.query(TRACE_COLLECTIONS.deadLetters, range('recordedAt'))) {
    const p = deadLetterViewSchema.safeParse(d.data);
    if (!p.success) {
      unreadable.push(`${TRACE_COLLECTIONS.deadLetters}/${d.id}`);
      continue;
    }
    const h = hourOf(p.data.recordedAt);
    if (h === undefined) continue;
    hours[h]!.deadLettered++;
    deadLetters.push({ messageId: p.data.messageId, engagementId: p.data.engagementId, deliveryAttempts: p.data.deliveryAttempts });
  }

  const needsPerson: DayView['needsPerson'] = [];
  for (const d of await deps.docs.query(TRACE_COLLECTIONS.ledger, range('updatedAt'))) {
    const p = ledgerDocSchema.safeParse(d.data);
    if (!p.success) {
      unreadable.push(`${TRACE_COLLECTIONS.ledger}/${d.id}`);
      continue;
    }
    for (const [key, a] of Object.entries(p.data.artifacts)) {
      const h = hourOf(a.updatedAt);
      if (h !== undefined && (a.state === 'stored' || a.state === 'linked')) hours[h]!.stored++;
      if (a.state === 'failed') {
        if (h !== undefined) hours[h]!.failed++;
        if (!(a.gaveUp && deps.retryFailedArtifacts))
          needsPerson.push({ engagementId: p.data.engagementId, what: `${a.kind} ${key}`, reason: a.reason ?? 'failed' });
      }
    }
    for (const [key, it] of Object.entries(p.data.items)) {
      if (it.state !== 'failed') continue;
      const h = hourOf(it.updatedAt);
      if (h !== undefined) hours[h]!.failed++;
      if (!it.gaveUp) needsPerson.push({ engagementId: p.data.engagementId, what: `CRM ${it.kind} ${key}`, reason: it.reason ?? 'failed' });
    }
  }

  for (const d of await deps.docs.query(RECONCILE_COLLECTIONS.slices, range('updatedAt'))) {
    const p = sliceDocSchema.safeParse(d.data);
    if (!p.success) {
      unreadable.push(`${RECONCILE_COLLECTIONS.slices}/${d.id}`);
      continue;
    }
    const h = hourOf(p.data.updatedAt);
    if (h !== undefined) hours[h]!.backfilled += Object.keys(p.data.marks).length;
  }

  let lastReport: RunReport | undefined;
  const reports = await deps.docs.query(RECONCILE_COLLECTIONS.reports, { orderBy: [['startedAt', 'desc']], limit: 1 });
  if (reports[0]) {
    const p = reportSchema.safeParse(reports[0].data);
    if (p.success) lastReport = p.data;
    else unreadable.push(`${RECONCILE_COLLECTIONS.reports}/${reports[0].id}`);
  }

  const totals: DayView['totals'] = { received: 0, duplicates: 0, refused: 0, stored: 0, backfilled: 0, failed: 0, deadLettered: 0 };
  for (const h of hours) {
    totals.received += h.received;
    totals.duplicates += h.duplicates;
    totals.refused += h.refused;
    totals.stored += h.stored;
    totals.backfilled += h.backfilled;
    totals.failed += h.failed;
    totals.deadLettered += h.deadLettered;
  }
  return { day, hours, totals, refusedByReason, deadLetters, lastReport, needsPerson, unreadable };
}
