/**
 * `npm run reconcile` against the local stack, through .ccbridge/local.json as `npm start`
 * writes it: a dry run counts and queues nothing; a run interrupted after its first page
 * (Ctrl-C) exits 130 and the same command resumes it; the report is printed as a table and
 * what was missing ends up in the bucket, once each.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local/manifest';
import { type Stack, startStack } from '../../local/stack';
import { runReconcileCli } from '../../scripts/reconcile/main';

const DATE = '2026-11-06';
let stack: Stack;
let stateDir: string;

beforeAll(async () => {
  stack = await startStack({
    functions: ['crm', 'interaction-worker'],
    pushBackoff: { min: 0.05, max: 0.5 },
    envOverrides: { LOG_LEVEL: 'error', ZOOM_ITEM_SETTLE_MS: '0' },
  });
  stateDir = mkdtempSync(join(tmpdir(), 'ccbridge-reconcile-cli-'));
  writeFileSync(join(stateDir, 'local.json'), JSON.stringify({ functions: stack.functions, credentials: stack.credentials, emulators: stack.emulators }));
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

function sink(onWrite: (text: string) => void = () => undefined) {
  let text = '';
  return {
    get text() {
      return text;
    },
    write(chunk: string) {
      text += chunk;
      onWrite(text);
      return true;
    },
  };
}

const env = () => ({ CCBRIDGE_STATE_DIR: stateDir, RECONCILE_LEASE_SECONDS: '0.3', RECONCILE_ZOOM_RATE_MEDIUM: '50' });
const workerDeliveries = () => Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-push'))![1].delivered;

describe('npm run reconcile on the local stack', () => {
  it('dry run, then a run interrupted after one page and resumed: the table, and everything missing stored once', async () => {
    const day = stack.zoom.generateDay({ seed: 'reconcile-cli', date: DATE, engagements: 25, recordingBytes: { min: 1000, max: 4000 } });
    // What Zoom lists for the day, one entry per artifact or CRM item (docs/contracts/zoom.md): a
    // voicemail's transcript only where one was made; a note is known by its text and a
    // disposition by its id, since those are all both the webhook and the listing carry.
    const entries = day.reduce(
      (n, e) =>
        n +
        e.recordings.length +
        e.recordings.filter((r) => r.transcript).length +
        e.voicemails.length +
        e.voicemails.filter((v) => v.transcript).length +
        (e.messagingTranscript ? 1 : 0) +
        new Set(e.notes.map((x) => x.note)).size +
        new Set(e.dispositions.map((x) => x.dispositionId)).size,
      0,
    );

    const dryOut = sink();
    const dry = await runReconcileCli(['--from', DATE, '--to', DATE, '--dry-run'], env(), repoRoot, { stdout: dryOut, stderr: sink() });
    expect(dry.code).toBe(0);
    expect(dryOut.text).toMatch(/would backfill/);
    expect(dryOut.text).toMatch(new RegExp(`^total\\s+${entries}\\s+0\\s+${entries}\\s+0$`, 'm'));
    await stack.pubsub.drain(10_000);
    expect(workerDeliveries()).toBe(0);

    // Ctrl-C once the first page is done (the plain progress lines count pages).
    const controller = new AbortController();
    const interruptedErr = sink((text) => {
      if (/pages [1-9]/.test(text)) controller.abort(new Error('interrupted'));
    });
    const interrupted = await runReconcileCli(['--from', DATE, '--to', DATE], env(), repoRoot, {
      stdout: sink(),
      stderr: interruptedErr,
      signal: controller.signal,
    });
    expect(interrupted.code).toBe(130);
    expect(interruptedErr.text).toMatch(/run the same command again to resume/);

    const out = sink();
    const err = sink();
    const resumed = await runReconcileCli(['--from', DATE, '--to', DATE], env(), repoRoot, { stdout: out, stderr: err });
    expect(resumed.code).toBe(0);
    expect(err.text).toMatch(/^resuming run /m);
    expect(resumed.report?.totals).toEqual({ seen: entries, present: 0, backfilled: entries, failed: 0 });
    expect(out.text).toMatch(/^recordings\s+\d+/m);

    await stack.pubsub.drain(60_000);
    const files = day.flatMap((e) => stack.zoom.filesOf(e.engagementId));
    const stored = stack.storage.listAll().filter((o) => o.name.includes(`/${DATE.replaceAll('-', '/')}/`));
    expect(stored).toHaveLength(files.length);
  }, 90_000);

  it('refuses bad arguments with the usage (exit 2)', async () => {
    const err = sink();
    expect((await runReconcileCli(['--from', '2026-11-01'], env(), repoRoot, { stdout: sink(), stderr: err })).code).toBe(2);
    expect(err.text).toMatch(/give both --from and --to/);
    expect((await runReconcileCli(['--from', 'yesterday', '--to', '2026-11-02'], env(), repoRoot, { stdout: sink(), stderr: sink() })).code).toBe(2);
  });
});
