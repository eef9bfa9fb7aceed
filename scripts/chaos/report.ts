/** The chaos report as people read it: the run's figures, then the checks as a table, then the first problems of each check. */
import { type ChaosReport, mib } from './run';

export function formatChaosReport(report: ChaosReport, options: { maxProblems?: number } = {}): string {
  const f = report.figures;
  const r = report.options.rates;
  const pct = (n: number) => `${+(n * 100).toFixed(2)} %`;
  const d = f.delivery;
  const crashesMidUpload = f.crashes.filter((c) => (c.uploadedBytes ?? 0) > 0).length;
  const leftBehind = f.crashes.filter((c) => (c.leftBehindBytes ?? 0) > 0).length;
  const uploads = f.artifacts;
  const figures: Array<[string, string]> = [
    ['engagements', `${f.engagements}: ${f.artifacts} files (${mib(f.bytes)}), ${f.notes} notes, ${f.dispositions} dispositions`],
    [
      'webhook events',
      `${d.events} distinct; ${d.dropped} dropped (${pct(r.drop)}), ${d.duplicatesSent} duplicated ` +
        `(${pct(r.duplicate)}), ${d.delayed} late and out of order (${pct(r.delay)})`,
    ],
    [
      'webhook deliveries',
      `${d.requests} HTTP requests (${Object.entries(d.statuses)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ')}); ${d.acknowledged} events acknowledged, ${d.givenUp} given up`,
    ],
    ['faults: Zoom', `${f.faults.zoom429} × 429, ${f.faults.zoomNotReady} × file not ready, ${f.faults.zoomTruncated} × download cut off`],
    ['faults: Cloud Storage', `${f.faults.storage503} × 503 (${pct(r.storage503)} of requests)`],
    [
      'faults: CRM',
      `${report.options.crm ? `${report.options.crm} fake (real mode): ` : ''}${f.faults.crm500} × 500 ` +
        `(${pct(r.crm500)}), ${f.faults.crm429} × 429 ` +
        `(${pct(r.crm429)})${f.faults.crmLost !== undefined ? `, ${f.faults.crmLost} answers lost after the write (${pct(report.options.crmLost ?? 0)})` : ''}`,
    ],
    [
      'worker crashes (SIGKILL)',
      `${f.crashes.length} (${pct(f.crashes.length / Math.max(uploads, 1))} of ${uploads} uploads; ` +
        `${crashesMidUpload} with bytes of the upload at Cloud Storage, ${leftBehind} leaving a partial upload behind; ` +
        `${f.crashTargets} armed, ${f.crashesSkipped} met another crash)`,
    ],
    [
      'Pub/Sub to the worker',
      `${f.redeliveries} failed deliveries redelivered; ${f.givenUp} ledger entries given up on a message's last ` +
        `delivery (queued again by the reconciliation); ${f.deadLettered} dead-lettered${
          Object.keys(f.deadLetterReasons).length
            ? ` (${Object.entries(f.deadLetterReasons)
                .map(([k, n]) => `${n}: ${k}`)
                .join('; ')})`
            : ''
        }`,
    ],
    [
      'before the nightly run',
      f.stuck.entries === 0
        ? 'no ledger entry left unfinished'
        : `${f.stuck.entries} ledger entries unfinished with nothing left to deliver (waited ${f.stuck.waitedSeconds.toFixed(0)} s for them to be stale)`,
    ],
    [
      'CRM order',
      `${f.order.lateNotes} notes written after a later note of their engagement (late), ` +
        `${f.order.supersededDispositions} dispositions superseded by a later one`,
    ],
    [
      'reconciliation',
      f.reconcile
        ? `seen ${f.reconcile.seen}, present ${f.reconcile.present}, backfilled ${f.reconcile.backfilled_total} (${Object.entries(f.reconcile.backfilled)
            .filter(([, n]) => n > 0)
            .map(([t, n]) => `${t} ${n}`)
            .join(', ')}), failed ${f.reconcile.failed}, ${f.reconcile.seconds.toFixed(1)} s`
        : 'did not complete',
    ],
    [
      'wall time',
      `${f.seconds.total.toFixed(1)} s (setup ${f.seconds.setup.toFixed(1)}, webhooks ` +
        `${f.seconds.delivery.toFixed(1)}, drain ${f.seconds.drain.toFixed(1)}, reconciliation ` +
        `${f.seconds.reconcile.toFixed(1)}, checks ${f.seconds.checks.toFixed(1)})`,
    ],
  ];
  const width = Math.max(...figures.map(([k]) => k.length));
  const out = [
    `chaos: seed ${report.options.seed}, ${f.engagements} engagements — ${report.ok ? 'no loss, no duplicate' : 'FAILED'}`,
    '',
    ...figures.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
    '',
    table(
      ['check', 'expected', 'ok', 'problems'],
      report.rows.map((row) => [row.check, String(row.expected), String(row.ok), String(row.problems.length)]),
    ),
  ];
  if (report.incidents.length > 0) out.push('', 'incidents:', ...report.incidents.map((i) => `  - ${i}`));
  const max = options.maxProblems ?? 10;
  for (const row of report.rows.filter((x) => x.problems.length > 0)) {
    out.push('', `${row.check} — ${row.problems.length} problem(s)${row.problems.length > max ? `, first ${max}` : ''}:`);
    out.push(...row.problems.slice(0, max).map((p) => `  - ${p}`));
  }
  if (!report.ok) out.push('', `logs: ${report.logDir}`);
  return out.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
