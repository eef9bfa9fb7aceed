/**
 * The mock's read-only pages: a session's call sequence as CCAI Platform made it (with the
 * first failing step marked, since in a cascading sequence that is the one to fix), and an
 * index of recent sessions. Server-rendered HTML without scripts; everything escaped; a CSP
 * that allows nothing but inline styles.
 */
import type { JournalEntry } from './journal';

export const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}
h1{font-size:1.3rem} table{border-collapse:collapse;width:100%} th,td{border:1px solid #ccc;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#f3f3f3} tr.failed td{background:#fff1f0} tr.origin td{background:#ffd6d1} .ok{color:#1a7f37} .err{color:#cf222e}
pre{margin:0;white-space:pre-wrap;word-break:break-all;max-height:20rem;overflow:auto;font-size:12px} .muted{color:#777} .summary{margin:1rem 0}
`;

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;

const idsOf = (entries: JournalEntry[], prefix: string) => [
  ...new Set(entries.flatMap((e) => e.keys.filter((k) => k.startsWith(`${prefix}:`)).map((k) => k.slice(prefix.length + 1)))),
];

export function renderSessionPage(sessionId: string, entries: JournalEntry[]): string {
  if (entries.length === 0) {
    return page(
      `Session ${sessionId}`,
      `<h1>Session <code id="session-id">${escapeHtml(sessionId)}</code></h1><p id="empty">No calls were journaled for this session.</p>`,
    );
  }
  const t0 = entries[0]!.at.getTime();
  const origin = entries.findIndex((e) => e.status >= 400);
  const failed = entries.filter((e) => e.status >= 400).length;
  const rows = entries
    .map((e, i) => {
      const cls = i === origin ? 'failed origin' : e.status >= 400 ? 'failed' : '';
      const headers = Object.entries(e.headers)
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n');
      return (
        `<tr class="call ${cls}" data-operation="${escapeHtml(e.operation)}" data-status="${e.status}">
<td>${i + 1}</td>
<td><time datetime="${e.at.toISOString()}">${e.at.toISOString().slice(11, 23)}</time><br><span class="muted">+${e.at.getTime() - t0} ms</span></td>
<td class="operation">${escapeHtml(e.operation)}</td>
<td class="request"><code>${escapeHtml(e.method)} ${escapeHtml(e.path)}${e.query ? `?${escapeHtml(e.query)}` : ''}</code>
<details><summary>headers</summary><pre>${escapeHtml(headers)}</pre></details>` +
        `${e.requestBody !== undefined ? `<pre class="request-body">${escapeHtml(e.requestBody)}</pre>` : ''}</td>
<td class="status ${e.status >= 400 ? 'err' : 'ok'}">${e.status}</td>
<td class="latency">${e.latencyMs} ms</td>
<td class="auth">${escapeHtml(e.auth)}</td>
<td class="fault">${e.fault !== undefined ? escapeHtml(e.fault) : ''}</td>
<td class="response">${e.responseBody !== undefined ? `<pre>${escapeHtml(e.responseBody)}</pre>` : ''}</td>
</tr>`
      );
    })
    .join('\n');
  const originText =
    origin >= 0
      ? `<p id="first-failure" class="err">First failing step: #${origin + 1} ${escapeHtml(entries[origin]!.operation)} ` +
        `answered ${entries[origin]!.status}. Later steps depend on it; fix this one first.</p>`
      : '<p id="first-failure" class="ok">Every step succeeded.</p>';
  return page(
    `Session ${sessionId}`,
    `<h1>Session <code id="session-id">${escapeHtml(sessionId)}</code></h1>
<div class="summary"><p>${entries.length} calls, ${failed} failed. ` +
      `Records: <span id="records">${escapeHtml(idsOf(entries, 'record').join(', ') || '—')}</span>. ` +
      `Accounts: <span id="accounts">${escapeHtml(idsOf(entries, 'account').join(', ') || '—')}</span>.</p>${originText}</div>
<table id="calls"><thead><tr><th>#</th><th>time</th><th>operation</th><th>request</th><th>status</th>` +
      `<th>latency</th><th>auth</th><th>fault</th><th>response</th></tr></thead>
<tbody>${rows}</tbody></table>
<p class="muted">Read-only view of the crm mock journal (entries expire after the configured TTL).</p>`,
  );
}

export function renderIndexPage(entries: JournalEntry[], sessionLink: (id: string) => string): string {
  const sessions = new Map<string, { last: Date; calls: number; failed: number }>();
  for (const e of entries) {
    for (const id of idsOf([e], 'session')) {
      const s = sessions.get(id) ?? { last: e.at, calls: 0, failed: 0 };
      s.calls++;
      if (e.status >= 400) s.failed++;
      if (e.at > s.last) s.last = e.at;
      sessions.set(id, s);
    }
  }
  const rows = [...sessions.entries()]
    .sort((a, b) => b[1].last.getTime() - a[1].last.getTime())
    .map(
      ([id, s]) =>
        `<tr class="session"><td><a href="${escapeHtml(sessionLink(id))}">${escapeHtml(id)}</a></td>` +
        `<td>${s.last.toISOString()}</td><td>${s.calls}</td><td class="${s.failed ? 'err' : 'ok'}">${s.failed}</td></tr>`,
    )
    .join('\n');
  return page(
    'crm mock — recent sessions',
    `<h1>Recent sessions</h1><p class="muted">From the last ${entries.length} journaled calls. Account lookups ` +
      `made before a record existed appear on the session's page.</p>
<table id="sessions"><thead><tr><th>session</th><th>last call</th><th>calls naming it</th><th>failed</th></tr></thead>` +
      `<tbody>${rows || '<tr><td colspan="4">No sessions yet.</td></tr>'}</tbody></table>`,
  );
}
