/**
 * The CLI's pieces and the function's configuration: arguments, where it runs (local stack
 * file or the environment), progress on a terminal and in a log, and a configuration that
 * lists every bad key at once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import { baseConfigShape, ConfigError, parseConfig } from '../../shared/config';
import { emptyTally } from '../../shared/reconcile/report';
import { reconcileConfigShape } from '../../functions/reconcile/config';
import { parseCliArgs, UsageError } from '../../scripts/reconcile/args';
import { resolveEnvironment } from '../../scripts/reconcile/environment';
import { createProgress } from '../../scripts/reconcile/progress';

describe('npm run reconcile: arguments', () => {
  it('takes a window, a dry run, and where to run', () => {
    expect(parseCliArgs(['--from', '2026-11-01', '--to', '2026-11-07', '--dry-run'])).toEqual({
      from: '2026-11-01',
      to: '2026-11-07',
      dryRun: true,
      restart: false,
      target: 'auto',
      help: false,
    });
    expect(parseCliArgs(['--env', '--restart'])).toMatchObject({ from: undefined, to: undefined, target: 'env', restart: true });
    expect(parseCliArgs(['--from', '2026-11-01T08:00:00Z', '--to', '2026-11-01T12:00:00+01:00', '--local'])).toMatchObject({ target: 'local' });
  });
  it.each([
    [['--from', '2026-11-01'], 'give both'],
    [['--from', 'monday', '--to', '2026-11-02'], 'YYYY-MM-DD'],
    [['--local', '--env'], 'exclude each other'],
    [['--days', '3'], 'Unknown option'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});

describe('npm run reconcile: environment', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reconcile-env-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const writeState = () =>
    writeFileSync(
      join(dir, 'local.json'),
      JSON.stringify({
        functions: { reconcile: 'http://127.0.0.1:9000/reconcile' },
        credentials: { zoomAccountId: 'acct-1', zoomClientId: 'client-1', zoomClientSecret: 'local-secret-1' },
        emulators: {
          firestore: '127.0.0.1:9001',
          pubsub: '127.0.0.1:9002',
          storage: 'http://127.0.0.1:9003',
          zoom: 'http://127.0.0.1:9004',
          twilio: 'http://127.0.0.1:9005',
          dialogflow: 'http://127.0.0.1:9006',
          oidcCerts: 'http://127.0.0.1:9007/oauth2/v1/certs',
        },
      }),
    );

  it('uses the local stack file when there is one and no Zoom credentials in the environment', () => {
    writeState();
    const resolved = resolveEnvironment({ target: 'auto' }, { CCBRIDGE_STATE_DIR: dir, RECONCILE_LANES: '7' }, '/repo');
    expect(resolved.target).toBe('local');
    expect(resolved.env).toMatchObject({
      ZOOM_API_BASE_URL: 'http://127.0.0.1:9004/v2',
      ZOOM_ACCOUNT_ID: 'acct-1',
      ZOOM_CLIENT_ID: 'client-1',
      RECONCILE_LANES: '7',
      ZOOM_EVENTS_TOPIC: 'zoom-events',
    });
    expect(resolved.processEnv).toMatchObject({ FIRESTORE_EMULATOR_HOST: '127.0.0.1:9001', PUBSUB_EMULATOR_HOST: '127.0.0.1:9002' });
  });

  it('uses the environment when it has Zoom credentials or --env is given, and says so when the file is missing', () => {
    writeState();
    expect(resolveEnvironment({ target: 'auto' }, { CCBRIDGE_STATE_DIR: dir, ZOOM_CLIENT_ID: 'real' }, '/repo').target).toBe('env');
    expect(resolveEnvironment({ target: 'env' }, { CCBRIDGE_STATE_DIR: dir }, '/repo').processEnv).toEqual({});
    expect(() => resolveEnvironment({ target: 'local' }, { CCBRIDGE_STATE_DIR: join(dir, 'nowhere') }, '/repo')).toThrow('npm start');
  });
});

describe('npm run reconcile: progress', () => {
  const sink = (isTTY: boolean) => {
    const chunks: string[] = [];
    return {
      isTTY,
      columns: 100,
      write(c: string) {
        chunks.push(c);
        return true;
      },
      get text() {
        return chunks.join('');
      },
    };
  };
  const page = (backfilled: number) => {
    const tally = emptyTally();
    tally.note.seen = 10;
    tally.note.backfilled = backfilled;
    return { kind: 'page' as const, runId: 'r', slice: 0, source: 'engagements' as const, listed: 10, tally };
  };

  it('redraws one line on a terminal', () => {
    let t = 0;
    const out = sink(true);
    const progress = createProgress(out, () => (t += 200));
    progress.onEvent({ kind: 'planned', runId: 'r', slices: 2, estimatedPages: 4, resumed: false });
    progress.onEvent(page(1));
    progress.onEvent(page(0));
    progress.finish();
    expect(out.text).toContain('\r\x1b[2K[');
    expect(out.text).toMatch(/pages 2\/~4 {2}slices 0\/2 {2}seen 20 {2}backfilled 1/);
    expect(out.text.endsWith('\n')).toBe(true);
  });

  it('writes plain lines elsewhere, at most one per tenth of the run, and every failed slice', () => {
    const out = sink(false);
    const progress = createProgress(out);
    progress.onEvent({ kind: 'planned', runId: 'r', slices: 3, estimatedPages: 100, resumed: true });
    for (let i = 0; i < 100; i++) progress.onEvent(page(0));
    progress.onEvent({ kind: 'slice', runId: 'r', slice: 2, state: 'failed', reason: 'Zoom answered HTTP 403' });
    progress.finish();
    const lines = out.text.trim().split('\n');
    expect(lines[0]).toBe('resuming run r: 3 slices, ~100 pages');
    expect(lines.length).toBeLessThanOrEqual(14);
    expect(out.text).not.toContain('\r');
    expect(out.text).toContain('slice 2 failed: Zoom answered HTTP 403');
  });
});

describe('reconcile configuration', () => {
  const schema = z.object({ ...baseConfigShape, ...reconcileConfigShape });
  it('names every missing or bad key at once', () => {
    let error: unknown;
    try {
      parseConfig('reconcile', schema, { RECONCILE_TIME_ZONE: 'Mars/Olympus', RECONCILE_INVOKERS: 'not-an-email', RECONCILE_ZOOM_RATE_MEDIUM: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.split(':')[0] ?? '');
    for (const key of [
      'ZOOM_ACCOUNT_ID',
      'ZOOM_CLIENT_ID',
      'ZOOM_CLIENT_SECRET',
      'ZOOM_EVENTS_TOPIC',
      'RECONCILE_SLICES_TOPIC',
      'RECONCILE_AUDIENCE',
      'RECONCILE_PUSH_INVOKERS',
      'RECONCILE_TIME_ZONE',
      'RECONCILE_ZOOM_RATE_MEDIUM',
    ]) {
      expect(keys).toContain(key);
    }
    expect(keys.some((k) => k.startsWith('RECONCILE_INVOKERS'))).toBe(true);
    expect(String(error)).not.toContain('not-an-email@');
  });
});
