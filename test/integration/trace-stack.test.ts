/**
 * `npm run trace` on the local stack, after a small day built deterministically through the
 * real functions (the 200-engagement chaos run is too slow for this suite): an engagement
 * whose webhooks were lost and that the reconciliation backfilled, one whose CRM comment
 * failed with 503 twice before the retry wrote it, one whose recording Zoom kept failing until
 * the worker gave up on the last delivery; and the day view's counts against what was sent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local/manifest';
import { type Stack, startStack } from '../../local/stack';
import type { MockEngagement } from '../../local/mocks/zoom/model';
import { runReconcileCli } from '../../scripts/reconcile/main';
import { runTraceCli } from '../../scripts/trace/main';
import type { DayView } from '../../shared/trace/day';
import type { Trace } from '../../shared/trace/trace';

let stack: Stack;
let stateDir: string;

beforeAll(async () => {
  stack = await startStack({
    functions: ['crm', 'zoom-webhook', 'interaction-worker'],
    pushBackoff: { min: 0.05, max: 0.2 },
    maxDeliveryAttempts: 5,
    envOverrides: { LOG_LEVEL: 'error', ZOOM_NOT_READY_DELAYS_MS: '20,50', ZOOM_API_RETRY_BASE_MS: '5', ZOOM_ITEM_SETTLE_MS: '0', CRM_RETRY_LIMIT: '0' },
  });
  stateDir = mkdtempSync(join(tmpdir(), 'ccbridge-trace-'));
  writeFileSync(join(stateDir, 'local.json'), JSON.stringify({ functions: stack.functions, credentials: stack.credentials, emulators: stack.emulators }));
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

const env = () => ({ CCBRIDGE_STATE_DIR: stateDir, RECONCILE_LEASE_SECONDS: '0.3' });
const sink = () => {
  let text = '';
  return {
    get text() {
      return text;
    },
    write: (s: string) => {
      text += s;
      return true;
    },
  };
};
const adminHeaders = () => ({ authorization: `Bearer ${stack.env['CRM_ADMIN_TOKEN']}`, 'content-type': 'application/json' });
const drain = () => stack.pubsub.drain(30_000);
const eventsOf = (ids: string[]) => {
  const base = Date.now() - 60_000;
  return ids.flatMap((id) => stack.zoom.eventsFor(id)).map((e, i) => ({ ...e, event_ts: base + i * 10 }));
};
async function trace(args: string[]): Promise<{ code: number; json: unknown; text: string }> {
  const out = sink();
  const { code } = await runTraceCli([...args, '--json'], env(), repoRoot, { stdout: out, stderr: sink() });
  const text = sink();
  await runTraceCli(args, env(), repoRoot, { stdout: text, stderr: sink() });
  return { code, json: JSON.parse(out.text), text: text.text };
}
function oneRecording(seed: string, date: string, id: string, notes: MockEngagement['notes'] = []): MockEngagement {
  const base = stack.zoom.generateDay({ seed, date, engagements: 1 })[0]!;
  const e: MockEngagement = { ...base, engagementId: id, voicemails: [], messagingTranscript: false, dispositions: [], notes };
  e.recordings = [
    {
      recordingId: `rec-${id}`,
      bytes: 2000,
      contentType: 'audio/mpeg',
      startTime: base.startTime,
      endTime: base.endTime,
      durationSeconds: 3,
      transcript: false,
    },
  ];
  stack.zoom.addEngagement(e);
  return e;
}

let sent = 0;
let duplicates = 0;

describe('npm run trace after a small day on the local stack', () => {
  it('a failed CRM write shows the 503s the crm journaled and the retry that wrote it; verdict complete', async () => {
    const base = oneRecording('trace-crm', '2026-11-15', 'eng-trace-crm', [
      { noteId: 'n-1', note: 'once', userId: 'u', userName: 'U', createdTime: '2026-11-15T10:00:00Z' },
    ]);
    const res = await fetch(`${stack.functions['crm']}/admin/faults`, {
      method: 'POST',
      headers: adminHeaders(),
      body: JSON.stringify({ operation: 'addComment', status: 503, times: 2 }),
    });
    expect(res.status).toBeLessThan(300);
    const events = eventsOf([base.engagementId]);
    // Zoom sends every event twice (the copy with fresh download tokens): the copies are suppressed as duplicates.
    const report = await stack.zoom.deliver(events, { retryDelaysMs: [], duplicate: 1 });
    expect(report.duplicatesSent).toBe(events.length);
    sent += report.events - report.dropped + report.duplicatesSent;
    duplicates += report.duplicatesSent;
    await drain();

    const { code, json, text } = await trace(['eng-trace-crm']);
    const t = json as Trace;
    expect(code).toBe(0);
    expect(t.verdict.status).toBe('complete');
    const crm = t.entries.filter((e) => e.kind === 'crm' && (e.detail as { operation: string }).operation === 'addComment');
    expect(crm.map((e) => (e.detail as { status: number }).status)).toEqual([503, 503, 201]);
    expect(t.entries.filter((e) => e.kind === 'webhook').every((e) => (e.detail as { duplicates: number }).duplicates === 1)).toBe(true);
    const object = t.entries.find((e) => e.kind === 'object')!;
    expect(object.detail).toMatchObject({ size: 2000, generation: expect.any(String), crc32c: expect.any(String) });
    expect(text).toMatch(/^COMPLETE: /m);
    expect(text).toMatch(/fault injected/);
  });

  it('a recording Zoom keeps failing is given up on the last delivery: failed, retried by the nightly run, and what to do', async () => {
    oneRecording('trace-dead', '2026-11-14', 'eng-trace-dead');
    stack.zoom.faults.failHttp({ pathIncludes: 'rec-eng-trace-dead', status: 500, times: 1000 });
    const events = eventsOf(['eng-trace-dead']);
    const report = await stack.zoom.deliver(events, { retryDelaysMs: [] });
    sent += report.events - report.dropped + report.duplicatesSent;
    await drain();
    stack.zoom.faults.clear();

    const { code, json, text } = await trace(['eng-trace-dead']);
    const t = json as Trace;
    expect(code).toBe(1);
    expect(t.verdict).toMatchObject({ status: 'failed', failures: [{ nightlyRetries: true, reason: expect.stringMatching(/^gave up after 5 deliveries/) }] });
    expect(text).toMatch(/^FAILED: recording .* nightly run retries: yes; to do: nothing yet: the nightly reconciliation queues it again/m);
  });

  it('an engagement whose webhooks were lost shows the reconciliation backfill and ends complete', async () => {
    oneRecording('trace-lost', '2026-11-20', 'eng-trace-lost');
    const rec = await runReconcileCli(['--from', '2026-11-20', '--to', '2026-11-20'], env(), repoRoot, { stdout: sink(), stderr: sink() });
    expect(rec.code).toBe(0);
    await drain();

    const t = (await trace(['eng-trace-lost'])).json as Trace;
    expect(t.entries.filter((e) => e.kind === 'webhook')).toHaveLength(0);
    expect(t.entries.some((e) => e.kind === 'reconcile' && /backfilled recording/.test(e.summary))).toBe(true);
    expect(t.verdict.status).toBe('complete');
  });

  it("the day view's counts equal what was sent: deliveries, duplicates, the given-up failure, the backfill", async () => {
    const today = new Date().toISOString().slice(0, 10);
    const out = sink();
    expect((await runTraceCli(['--day', today, '--json'], env(), repoRoot, { stdout: out, stderr: sink() })).code).toBe(0);
    const v = JSON.parse(out.text) as DayView;
    expect(v.totals.received).toBe(sent);
    expect(v.totals.duplicates).toBe(duplicates);
    expect(v.totals.failed).toBe(1);
    expect(v.totals.backfilled).toBeGreaterThanOrEqual(1);
    // Every object in the archive bucket (the backfilled day includes the generated engagement's own artifacts).
    expect(v.totals.stored).toBe(stack.storage.listAll().filter((o) => o.bucket === stack.env['ARCHIVE_BUCKET']).length);
    expect(v.lastReport?.window.from).toContain('2026-11-20');
    expect(v.needsPerson).toEqual([]);
  });
});
