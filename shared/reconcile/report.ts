/**
 * The run report: per artifact type, what Zoom listed for the window (seen), what the ledger
 * already had or had in progress (present), what was queued again (backfilled) and what
 * could not be, or failed for good in the worker (failed). seen = present + backfilled + failed
 * for every type of every completed slice.
 */
import * as z from 'zod';

export const REPORT_TYPES = ['recording', 'recording_transcript', 'voicemail', 'voicemail_transcript', 'messaging_transcript', 'note', 'disposition'] as const;
export type ReportType = (typeof REPORT_TYPES)[number];

const count = z.number().int().nonnegative().default(0);
export const typeCountsSchema = z.object({ seen: count, present: count, backfilled: count, failed: count });
export type TypeCounts = z.output<typeof typeCountsSchema>;

export const tallySchema = z.object(
  Object.fromEntries(REPORT_TYPES.map((t) => [t, typeCountsSchema.default({ seen: 0, present: 0, backfilled: 0, failed: 0 })])) as Record<
    ReportType,
    z.ZodDefault<typeof typeCountsSchema>
  >,
);
export type Tally = Record<ReportType, TypeCounts>;

function emptyCounts(): TypeCounts {
  return { seen: 0, present: 0, backfilled: 0, failed: 0 };
}

export function emptyTally(): Tally {
  return Object.fromEntries(REPORT_TYPES.map((t) => [t, emptyCounts()])) as Tally;
}

export function addTally(into: Tally, more: Tally): Tally {
  for (const t of REPORT_TYPES) {
    into[t].seen += more[t].seen;
    into[t].present += more[t].present;
    into[t].backfilled += more[t].backfilled;
    into[t].failed += more[t].failed;
  }
  return into;
}

export function totalOf(tally: Tally): TypeCounts {
  const total = emptyCounts();
  for (const t of REPORT_TYPES) {
    total.seen += tally[t].seen;
    total.present += tally[t].present;
    total.backfilled += tally[t].backfilled;
    total.failed += tally[t].failed;
  }
  return total;
}

export const runStateSchema = z.enum(['planning', 'running', 'complete', 'complete_with_errors']);

export const reportSchema = z.object({
  runId: z.string(),
  window: z.object({ from: z.string(), to: z.string() }),
  dryRun: z.boolean(),
  state: runStateSchema,
  startedAt: z.string(),
  finishedAt: z.string().optional(),
  seconds: z.number().optional(),
  slices: z.object({ total: z.number().int(), done: z.number().int(), failed: z.number().int() }),
  types: tallySchema,
  totals: typeCountsSchema,
  /** Zoom API requests: planning probes, list pages fetched, and every attempt (retries and 429s included). */
  apiCalls: z.object({ probes: z.number().int(), listPages: z.number().int(), requests: z.number().int(), rateLimited: z.number().int() }),
  failures: z.array(z.object({ slice: z.string(), reason: z.string() })).default([]),
});
export type RunReport = z.output<typeof reportSchema>;

const LABELS: Record<ReportType, string> = {
  recording: 'recordings',
  recording_transcript: 'recording transcripts',
  voicemail: 'voicemails',
  voicemail_transcript: 'voicemail transcripts',
  messaging_transcript: 'messaging transcripts',
  note: 'notes',
  disposition: 'dispositions',
};

/** The report as a plain-text table (the CLI prints it; it reads well in a log viewer too). */
export function formatReportTable(report: RunReport): string {
  const header = ['artifact type', 'seen in Zoom', 'already present', report.dryRun ? 'would backfill' : 'backfilled', 'failed'];
  const rows = REPORT_TYPES.map((t) =>
    [LABELS[t], report.types[t].seen, report.types[t].present, report.types[t].backfilled, report.types[t].failed].map(String),
  );
  rows.push(['total', report.totals.seen, report.totals.present, report.totals.backfilled, report.totals.failed].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const lines = [
    `reconcile ${report.runId}: ${report.window.from} → ${report.window.to}${report.dryRun ? ' (dry run)' : ''} — ${report.state}`,
    line(header),
    rule,
    ...rows.slice(0, -1).map(line),
    rule,
    line(rows[rows.length - 1]!),
    `slices: ${report.slices.done}/${report.slices.total} ` +
      `done${report.slices.failed ? `, ${report.slices.failed} failed` : ''}; Zoom API: ${report.apiCalls.listPages} list ` +
      `pages + ${report.apiCalls.probes} planning probes, ${report.apiCalls.requests} requests ` +
      `(${report.apiCalls.rateLimited} answered ` +
      `429)${report.seconds !== undefined ? `; ${report.seconds.toFixed(1)} s` : ''}`,
    ...report.failures.map((f) => `failed slice ${f.slice}: ${f.reason}`),
  ];
  return lines.join('\n');
}
