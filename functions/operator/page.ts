/**
 * The operator page, rendered on the server: a search form, one interaction's timeline and
 * verdict, and the day view with its chart (an SVG drawn here, no script at all). Every
 * stored value is HTML-escaped: timeline text comes from stored documents.
 */
import type { DayView, HourCounts } from '../../shared/trace/day';
import { looksLikePhone } from '../../shared/phone';
import { DEAD_LETTER_ACTION, type Trace } from '../../shared/trace/trace';

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const SERIES: Array<{ key: Exclude<keyof HourCounts, 'hour'>; label: string; color: string }> = [
  { key: 'received', label: 'events received', color: '#1f77b4' },
  { key: 'duplicates', label: 'duplicates suppressed', color: '#aec7e8' },
  { key: 'refused', label: 'deliveries refused', color: '#9467bd' },
  { key: 'stored', label: 'artifacts stored', color: '#2ca02c' },
  { key: 'backfilled', label: 'backfilled', color: '#ff7f0e' },
  { key: 'failed', label: 'failed', color: '#d62728' },
  { key: 'deadLettered', label: 'dead-lettered', color: '#7f7f7f' },
];

/** Grouped bars per hour; each bar carries data-series/data-hour/data-value so a test (or a person) can read it. */
export function dayChart(view: DayView): string {
  const width = 960;
  const height = 240;
  const left = 40;
  const bottom = 24;
  const plotH = height - bottom - 10;
  const max = Math.max(1, ...view.hours.flatMap((h) => SERIES.map((s) => h[s.key] ?? 0)));
  const slot = (width - left) / 24;
  const barW = (slot - 4) / SERIES.length;
  const bars: string[] = [];
  for (const h of view.hours) {
    SERIES.forEach((s, i) => {
      const v = h[s.key] ?? 0;
      const bh = Math.round((v / max) * plotH * 10) / 10;
      const x = Math.round((left + h.hour * slot + 2 + i * barW) * 10) / 10;
      bars.push(
        `<rect class="bar" data-series="${s.key}" data-hour="${h.hour}" data-value="${v}" x="${x}" y="${10 + plotH - bh}" ` +
          `width="${Math.max(1, barW - 0.5).toFixed(1)}" height="${bh}" fill="${s.color}">` +
          `<title>${String(h.hour).padStart(2, '0')}:00 ${esc(s.label)}: ${v}</title></rect>`,
      );
    });
  }
  const ticks = [0, 6, 12, 18, 23].map(
    (hr) => `<text x="${left + hr * slot + slot / 2}" y="${height - 6}" font-size="11" text-anchor="middle">${String(hr).padStart(2, '0')}:00</text>`,
  );
  const axis =
    `<line x1="${left}" y1="${10 + plotH}" x2="${width}" y2="${10 + plotH}" stroke="#333"/>` +
    `<text x="${left - 4}" y="16" font-size="11" text-anchor="end">${max}</text>` +
    `<text x="${left - 4}" y="${10 + plotH}" font-size="11" text-anchor="end">0</text>`;
  const legend = SERIES.map((s) => `<span class="key"><i style="background:${s.color}"></i>${esc(s.label)}</span>`).join(' ');
  return (
    `<svg id="day-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" ` +
    `aria-label="events per hour on ${esc(view.day)}">${axis}${bars.join('')}${ticks.join('')}</svg><div class="legend">${legend}</div>`
  );
}

function traceSection(t: Trace): string {
  const rows = t.entries
    .map(
      (e) =>
        `<tr class="entry ${esc(e.outcome ?? '')}" data-kind="${esc(e.kind)}">` +
        `<td>${esc(e.at ?? '(no time)')}</td><td>${esc(e.kind)}</td><td>${esc(e.summary)}</td></tr>`,
    )
    .join('');
  return `<section id="trace"><h2>${esc(t.identifier.kind)} ${esc(t.identifier.shown)}</h2>
<p id="verdict" class="verdict ${esc(t.verdict.status)}">${esc(t.verdict.line)}</p>
<table><thead><tr><th>time (UTC)</th><th>what</th><th>detail</th></tr></thead><tbody>${rows}</tbody></table>
${t.identifier.shown.endsWith('(hashed)') ? '' : `<p><a href="api/trace?id=${encodeURIComponent(t.identifier.shown)}">JSON</a></p>`}</section>`;
}

function daySection(v: DayView): string {
  const head = ['hour', ...SERIES.map((s) => s.label)].map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = v.hours
    .map((h) => `<tr><td>${String(h.hour).padStart(2, '0')}:00</td>${SERIES.map((s) => `<td>${h[s.key] ?? '–'}</td>`).join('')}</tr>`)
    .join('');
  const totals = `<tr class="total"><td>total</td>${SERIES.map((s) => `<td>${v.totals[s.key] ?? '–'}</td>`).join('')}</tr>`;
  const report = v.lastReport
    ? `<p id="last-report">Last reconciliation: run ${esc(v.lastReport.runId)} ` +
      `(${esc(v.lastReport.window.from)} → ${esc(v.lastReport.window.to)}), ${esc(v.lastReport.state)}: ` +
      `${v.lastReport.totals.seen} seen, ${v.lastReport.totals.present} present, ` +
      `${v.lastReport.totals.backfilled} backfilled, ${v.lastReport.totals.failed} failed.</p>`
    : '<p id="last-report">No reconciliation report stored.</p>';
  const people = v.needsPerson.length
    ? `<ul id="needs-person">${v.needsPerson.map(needsPersonItem).join('')}</ul>`
    : '<p id="needs-person">Nothing needs a person.</p>';
  const reasons = Object.entries(v.refusedByReason);
  const refused = reasons.length ? `<p id="refused">Refused deliveries: ${reasons.map(([r, n]) => `${esc(r)} ${n}`).join(', ')}.</p>` : '';
  const dead = v.deadLetters.length
    ? `<div id="dead-letters"><p>Dead-lettered messages (${v.deadLetters.length}): ${esc(DEAD_LETTER_ACTION)}.</p>` +
      `<ul>${v.deadLetters.map(deadLetterItem).join('')}</ul></div>`
    : '';
  return `<section id="day"><h2>Day ${esc(v.day)} (UTC)</h2>${dayChart(v)}${refused}${dead}${report}<h3>Needs a person</h3>${people}
<details><summary>Per hour</summary><table>${`<thead><tr>${head}</tr></thead>`}<tbody>${rows}${totals}</tbody></table></details>
<p><a href="api/day?day=${esc(v.day)}">JSON</a></p></section>`;
}

function needsPersonItem(n: DayView['needsPerson'][number]): string {
  return `<li><a href="?id=${encodeURIComponent(n.engagementId)}">${esc(n.engagementId)}</a> ${esc(n.what)}: ${esc(n.reason)}</li>`;
}

function deadLetterItem(d: DayView['deadLetters'][number]): string {
  const link = d.engagementId ? ` — <a href="?id=${encodeURIComponent(d.engagementId)}">${esc(d.engagementId)}</a>` : '';
  return `<li>message ${esc(d.messageId)}${link} after ${d.deliveryAttempts ?? '?'} attempts</li>`;
}

export function renderPage(input: { id?: string | undefined; trace?: Trace | undefined; day: DayView; error?: string | undefined }): string {
  // What was asked for is shown back, unless it is a phone number (never echoed in clear) or a conversation key.
  const shownId = input.id && input.trace?.identifier.kind !== 'conversation_key' && !looksLikePhone(input.id) ? esc(input.id) : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>ccbridge operator</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse}
td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
.verdict{font-weight:bold;padding:6px}.complete{background:#e6f4ea}.in_progress{background:#fff8e1}.failed,.unknown{background:#fce8e6}
tr.failed td{color:#b3261e}
.legend .key{margin-right:1em}.legend i{display:inline-block;width:10px;height:10px;margin-right:4px}.error{color:#b3261e}</style></head><body>
<h1>ccbridge operator</h1>
<form method="post" action=""><label>Engagement id, phone number, CRM record id, CallSid or conversation name
<input name="id" size="40" autocomplete="off" value="${shownId}"></label>
<label>Day <input name="day" type="date" value="${esc(input.day.day)}"></label> <button>Show</button></form>
${input.error ? `<p class="error">${esc(input.error)}</p>` : ''}${input.trace ? traceSection(input.trace) : ''}${daySection(input.day)}</body></html>`;
}
