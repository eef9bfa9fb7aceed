/** Plain-text rendering of a trace and a day view (the CLI's output). */
import type { DayView } from './day';
import { DEAD_LETTER_ACTION, type Trace } from './trace';

const MARK: Record<string, string> = { ok: '✓', duplicate: '=', pending: '…', failed: '✗', retry: '↻' };

export function formatTrace(t: Trace): string {
  const lines = [
    `${t.identifier.kind} ${t.identifier.shown}` +
      (t.engagementIds.length ? ` · engagement ${t.engagementIds.join(', ')}` : '') +
      (t.crmRecordIds.length ? ` · CRM record ${t.crmRecordIds.join(', ')}` : ''),
  ];
  for (const e of t.entries) lines.push(`${(e.at ?? '(no time)').padEnd(24)} ${MARK[e.outcome ?? ''] ?? ' '} ${e.kind.padEnd(12)} ${e.summary}`);
  lines.push(t.verdict.line);
  return `${lines.join('\n')}\n`;
}

export function formatDay(v: DayView): string {
  const head = ['hour (UTC)', 'received', 'duplicates', 'refused', 'stored', 'backfilled', 'failed', 'dead-lettered'];
  const rows = v.hours.map((h) =>
    [`${String(h.hour).padStart(2, '0')}:00`, h.received, h.duplicates, h.refused, h.stored, h.backfilled, h.failed, h.deadLettered].map(String),
  );
  rows.push(
    ['total', v.totals.received, v.totals.duplicates, v.totals.refused, v.totals.stored, v.totals.backfilled, v.totals.failed, v.totals.deadLettered].map(
      String,
    ),
  );
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => r.map((c, i) => c.padStart(widths[i]!)).join('  ');
  const out = [`day ${v.day}`, fmt(head), ...rows.map(fmt)];
  out.push(
    v.lastReport
      ? `last reconciliation: run ${v.lastReport.runId} (${v.lastReport.window.from} → ${v.lastReport.window.to}) ${v.lastReport.state}: ` +
          `${v.lastReport.totals.backfilled} backfilled, ${v.lastReport.totals.failed} failed`
      : 'last reconciliation: none recorded',
  );
  out.push(v.needsPerson.length ? `needs a person (${v.needsPerson.length}):` : 'needs a person: nothing');
  for (const n of v.needsPerson) out.push(`  ${n.engagementId}  ${n.what}: ${n.reason}`);
  if (v.unreadable.length) out.push(`unreadable documents: ${v.unreadable.join(', ')}`);
  const reasons = Object.entries(v.refusedByReason);
  if (reasons.length) out.push(`refused deliveries by reason: ${reasons.map(([r, n]) => `${r} ${n}`).join(', ')}`);
  if (v.deadLetters.length) {
    out.push(`dead-lettered (${v.deadLetters.length}): ${DEAD_LETTER_ACTION}`);
    for (const d of v.deadLetters)
      out.push(`  message ${d.messageId}${d.engagementId ? ` engagement ${d.engagementId}` : ''} after ${d.deliveryAttempts ?? '?'} attempts`);
  }
  return `${out.join('\n')}\n`;
}
