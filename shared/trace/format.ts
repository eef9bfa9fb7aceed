/** Plain-text rendering of a trace and a day view (the CLI's output). */
import type { DayView } from './day';
import type { Trace } from './trace';

const MARK: Record<string, string> = { ok: '✓', duplicate: '=', pending: '…', failed: '✗', retry: '↻' };

export function formatTrace(t: Trace): string {
  const lines = [
    `${t.identifier.kind} ${t.identifier.shown}${t.engagementIds.length ? ` · engagement ${t.engagementIds.join(', ')}` : ''}${t.crmRecordIds.length ? ` · CRM record ${t.crmRecordIds.join(', ')}` : ''}`,
  ];
  for (const e of t.entries) lines.push(`${(e.at ?? '(no time)').padEnd(24)} ${MARK[e.outcome ?? ''] ?? ' '} ${e.kind.padEnd(12)} ${e.summary}`);
  lines.push(t.verdict.line);
  return `${lines.join('\n')}\n`;
}

export function formatDay(v: DayView): string {
  const head = ['hour (UTC)', 'received', 'duplicates', 'stored', 'backfilled', 'failed', 'dead-lettered'];
  const rows = v.hours.map((h) =>
    [`${String(h.hour).padStart(2, '0')}:00`, h.received, h.duplicates, h.stored, h.backfilled, h.failed, h.deadLettered ?? '-'].map(String),
  );
  rows.push(['total', v.totals.received, v.totals.duplicates, v.totals.stored, v.totals.backfilled, v.totals.failed, v.totals.deadLettered ?? '-'].map(String));
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join('  ');
  const out = [`day ${v.day}`, fmt(head), ...rows.map(fmt)];
  out.push(
    v.lastReport
      ? `last reconciliation: run ${v.lastReport.runId} (${v.lastReport.window.from} → ${v.lastReport.window.to}) ${v.lastReport.state}: ${v.lastReport.totals.backfilled} backfilled, ${v.lastReport.totals.failed} failed`
      : 'last reconciliation: none recorded',
  );
  out.push(v.needsPerson.length ? `needs a person (${v.needsPerson.length}):` : 'needs a person: nothing');
  for (const n of v.needsPerson) out.push(`  ${n.engagementId}  ${n.what}: ${n.reason}`);
  if (v.unreadable.length) out.push(`unreadable documents: ${v.unreadable.join(', ')}`);
  if (v.totals.deadLettered === null) out.push('dead-lettered: not stored in Firestore (read the dead-letter subscription)');
  return `${out.join('\n')}\n`;
}
