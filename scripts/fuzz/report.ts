/** The fuzz report as people read it: a table per endpoint, then the first violations with how to replay each. */
import type { Violation } from './checks';
import type { FuzzReport } from './run';

export function formatReport(report: FuzzReport, options: { maxViolations?: number } = {}): string {
  const header = ['endpoint', 'requests', '2xx', '3xx', '4xx', '5xx', 'no answer', 'violations'];
  const rows = report.rows.map((r) =>
    [r.endpoint, r.requests, r.byClass['2xx'], r.byClass['3xx'], r.byClass['4xx'], r.byClass['5xx'], r.byClass.none, r.violations].map(String),
  );
  const sum = (k: keyof FuzzReport['rows'][number]['byClass']) => report.rows.reduce((s, r) => s + r.byClass[k], 0);
  const unattributed = report.violations.filter((v) => !report.rows.some((r) => r.endpoint === v.endpoint)).length;
  rows.push(['total', report.requests, sum('2xx'), sum('3xx'), sum('4xx'), sum('5xx'), sum('none'), report.violations.length].map(String));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const out = [
    `fuzz: seed ${report.seed}, ${report.requests} requests in ${report.cases} cases, ` +
      `${(report.durationMs / 1000).toFixed(1)} s, ${report.logLines} log lines checked`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.slice(0, -1).map(line),
    line(widths.map((w) => '-'.repeat(w))),
    line(rows[rows.length - 1]!),
    '',
    `by kind of input: ${Object.entries(report.byCategory)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}`,
  ];
  if (unattributed > 0) out.push(`violations not tied to one endpoint (stores, logs, stack): ${unattributed}`);
  if (report.violations.length === 0) {
    out.push('', 'no violations');
    return out.join('\n');
  }
  const max = options.maxViolations ?? 12;
  out.push('', `violations (first ${Math.min(max, report.violations.length)} of ${report.violations.length}):`);
  for (const v of report.violations.slice(0, max)) out.push(formatViolation(v, report.seed));
  return out.join('\n');
}

export function formatViolation(v: Violation, seed: number): string {
  const where = v.caseIndex >= 0 ? `case ${v.caseIndex}${v.step !== undefined ? ` step ${v.step}` : ''} (${v.generator})` : v.generator;
  const replay = v.caseIndex >= 0 ? `\n      replay: npm run fuzz -- --seed ${seed} --case ${v.caseIndex}` : '';
  const proves = v.proves ? `\n      should prove: ${v.proves}` : '';
  return `  - [${v.kind}] ${where} ${v.endpoint}: ${v.detail}${proves}${replay}`;
}
