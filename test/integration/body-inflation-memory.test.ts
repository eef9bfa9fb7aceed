/**
 * Issue #13, High 1 — "a running stack survives 20 concurrent inflating bodies with its memory
 * growing by less than 64 MiB". The zoom-webhook's production entry file runs in the real
 * Functions Framework in a child process (so the RSS read from /proc is the server's alone);
 * 20 gzip/deflate bodies of ~50 kB, each inflating to ~50 MB of `[{},{},…]` (before the fix,
 * one such body took a plain Framework server to 1.7 GB), are sent at once, declared and
 * chunked. All are refused with 415; the server's peak RSS stays within 64 MiB of its RSS
 * before (taken after one small refusal has loaded what every refusal uses), and it still
 * answers afterwards — with Firestore unreachable, as the refusal records must not hold the
 * answers (shared/http/refusal-observer.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { announcedPort } from '../support/announced-server';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MIB = 1024 * 1024;

let child: ChildProcess;
let port = 0;
beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'support', 'serve-entry.ts'), 'zoom-webhook', 'zoomWebhook'], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'ignore'],
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_OPTIONS: '',
      METADATA_SERVER_DETECTION: 'none',
      LOG_LEVEL: 'warn',
      // The function records refusals (functions/zoom-webhook/refusals.ts); the Firestore client
      // that takes (~80 MiB of gRPC and protobuf, once per instance, as the first event would)
      // is loaded before the reading: the bound is on what the bodies cost.
      SERVE_ENTRY_PRELOAD_GOOGLE: '1',
      GCP_PROJECT: 'ccbridge-local',
      ZOOM_WEBHOOK_SECRET: 'memory-test-webhook-secret',
      ZOOM_EVENTS_TOPIC: 'zoom-events',
      ARCHIVE_BUCKET: 'ccbridge-archive',
      ARTIFACT_LINK_SECRET: 'memory-test-artifact-link-secret',
      // Never reached: every request here is refused or a health check.
      FIRESTORE_EMULATOR_HOST: '127.0.0.1:9',
      PUBSUB_EMULATOR_HOST: '127.0.0.1:9',
      STORAGE_EMULATOR_HOST: 'http://127.0.0.1:9',
    },
  });
  port = await announcedPort(child);
}, 60_000);
afterAll(() => {
  child?.stdin?.end();
  child?.kill();
});

/** VmRSS (current) and VmHWM (peak) of the serving process, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

function post(headers: Record<string, string>, body: Buffer, chunked: boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: '/', method: 'POST', headers: chunked ? headers : { ...headers, 'content-length': String(body.length) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    if (chunked) {
      // Several chunks, as a streaming client sends them.
      for (let i = 0; i < body.length; i += 4096) req.write(body.subarray(i, i + 4096));
      req.end();
    } else req.end(body);
  });
}

async function health(): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/`);
  await res.arrayBuffer();
  return res.status;
}

test('20 concurrent inflating bodies are refused and grow the serving process by < 64 MiB', async () => {
  expect(await health()).toBe(200);
  const inflated = Buffer.from(`[${'{},'.repeat(16 * MIB)}{}]`);
  const gzip = zlib.gzipSync(inflated, { level: 9 });
  const deflate = zlib.deflateSync(inflated, { level: 9 });
  expect(gzip.length).toBeLessThan(100 * 1024);
  // One small refused body first, so the refusal record's client exists before the reading.
  expect(await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, zlib.gzipSync(Buffer.from('[]')), false)).toBe(415);
  const before = memoryOf(child.pid!);

  const statuses = await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      post({ 'content-type': 'application/json', 'content-encoding': i % 2 === 0 ? 'gzip' : 'deflate' }, i % 2 === 0 ? gzip : deflate, i % 4 >= 2),
    ),
  );
  const after = memoryOf(child.pid!);

  expect(statuses).toEqual(Array(20).fill(415));
  const growth = after.peak - before.rss;
  process.stdout.write(
    `body-inflation-memory: RSS before ${(before.rss / MIB).toFixed(1)} MiB, peak after ` +
      `${(after.peak / MIB).toFixed(1)} MiB, growth ${(growth / MIB).toFixed(1)} MiB\n`,
  );
  expect(growth).toBeLessThan(64 * MIB);
  expect(await health()).toBe(200);
}, 60_000);
