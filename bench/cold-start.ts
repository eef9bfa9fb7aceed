/**
 * `npm run bench -- cold-start [runs]`: for each function bundle, in fresh processes
 * (median of N, default 15), as ratios to a bare Functions Framework function built the
 * same way and measured the same way in the same run (target ≤ 2):
 *   - serve: the cold start as the platform sees it — the real `functions-framework` CLI
 *     started on the bundle, until its first request is answered (a health GET for HTTP
 *     functions, a CloudEvent for event functions); this includes composing the function
 *     (config, routes), but not the Google clients, which load on first use;
 *   - import: just `import()` of the bundle in a bare Node process (diagnostic).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLocalEnv } from '../local/env';
import { localCredentials } from '../local/credentials';
import { readFunctionManifest, repoRoot } from '../local/manifest';
import { buildBundle } from '../scripts/build-bundles';
import { median } from './_http-bench';

const LOADER = `
const [bundle, entryPoint, signature] = process.argv.slice(2);
const t0 = performance.now();
await import(bundle);
const loaded = performance.now();
const { getTestServer } = await import('@google-cloud/functions-framework/testing');
const server = getTestServer(entryPoint);
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = 'http://127.0.0.1:' + server.address().port + '/';
const init = signature === 'http'
  ? { method: 'GET' }
  : { method: 'POST', headers: { 'content-type': 'application/json', 'ce-id': 'bench-1', 'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished', 'ce-source': '//pubsub.googleapis.com/projects/p/topics/t' },
      body: JSON.stringify({ message: { data: Buffer.from('{}').toString('base64'), messageId: 'bench-1' }, subscription: 'projects/p/subscriptions/s' }) };
const res = await fetch(url, init);
await res.arrayBuffer();
const answered = performance.now();
server.close();
process.stdout.write(JSON.stringify({ loadMs: loaded - t0, firstResponseMs: answered, status: res.status }));
process.exit(0);
`;

interface Sample {
  loadMs: number;
  firstResponseMs: number;
  status: number;
}

const FF_CLI = join(repoRoot, 'node_modules', '@google-cloud', 'functions-framework', 'build', 'src', 'main.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

function firstRequest(port: number, signature: string): Promise<Response> {
  const url = `http://127.0.0.1:${port}/`;
  if (signature === 'http') return fetch(url);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-id': 'bench-1',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/p/topics/t',
    },
    body: JSON.stringify({ message: { data: Buffer.from('{}').toString('base64'), messageId: 'bench-1' }, subscription: 'projects/p/subscriptions/s' }),
  });
}

/** Starts the functions-framework CLI on a bundle and times spawn → first answered request. */
async function serveOnce(sourceDir: string, target: string, signature: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; status: number }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(process.execPath, [FF_CLI, `--source=${sourceDir}`, `--target=${target}`, `--signature-type=${signature}`, `--port=${port}`], {
    env,
    stdio: 'ignore',
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${target} exited with ${child.exitCode} before serving`);
      try {
        const res = await firstRequest(port, signature);
        await res.arrayBuffer();
        return { ms: performance.now() - started, status: res.status };
      } catch {
        await new Promise((r) => setTimeout(r, 2));
      }
      if (performance.now() - started > 20_000) throw new Error(`${target} did not serve within 20 s`);
    }
  } finally {
    child.kill('SIGKILL');
  }
}

async function measureServe(
  sourceDir: string,
  target: string,
  signature: string,
  env: NodeJS.ProcessEnv,
  runs: number,
): Promise<{ ms: number; status: number }> {
  await serveOnce(sourceDir, target, signature, env); // warm the OS file cache
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(await serveOnce(sourceDir, target, signature, env));
  return { ms: median(samples.map((s) => s.ms)), status: samples[0]!.status };
}

function measure(loader: string, args: string[], env: NodeJS.ProcessEnv, runs: number): Sample {
  const run = () => JSON.parse(execFileSync(process.execPath, [loader, ...args], { encoding: 'utf8', env })) as Sample;
  run(); // warm the OS file cache equally for every bundle
  const samples = Array.from({ length: runs }, run);
  return { loadMs: median(samples.map((s) => s.loadMs)), firstResponseMs: median(samples.map((s) => s.firstResponseMs)), status: samples[0]!.status };
}

function benchEnv(): NodeJS.ProcessEnv {
  const { privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  // Valid settings pointing at closed ports: nothing here may need an upstream to start.
  const dead = 'http://127.0.0.1:9';
  const env = buildLocalEnv(
    {
      gatewayUrl: dead,
      firestoreHost: '127.0.0.1:9',
      pubsubHost: '127.0.0.1:9',
      storageUrl: dead,
      zoomUrl: dead,
      twilioUrl: dead,
      dialogflowUrl: dead,
      oidcCertsUrl: dead,
      oidcIssuerUrl: dead,
    },
    localCredentials({}),
    { clientEmail: 'bench@example.iam.gserviceaccount.com', privateKey },
  );
  return { PATH: process.env['PATH'], ...env, LOG_LEVEL: 'error', NODE_ENV: 'production' };
}

export default async function coldStart(args: string[]): Promise<void> {
  const runs = Math.max(10, Number(args[0] ?? 15));
  const benchDir = join(repoRoot, 'dist', '.bench');
  mkdirSync(benchDir, { recursive: true });
  const loader = join(benchDir, 'load.mjs');
  writeFileSync(loader, LOADER);
  const env = benchEnv();

  const bare = await buildBundle({ repoRoot, name: 'bare', entry: join(repoRoot, 'bench', '_bare-function.ts'), outDir: join(benchDir, 'bare') });
  const manifest = readFunctionManifest();
  const bundles = [];
  for (const fn of manifest) {
    bundles.push({
      fn,
      bundle: await buildBundle({ repoRoot, name: fn.name, entry: join(repoRoot, 'functions', fn.name, 'index.ts'), outDir: join(repoRoot, 'dist', fn.name) }),
    });
  }

  const baseline = measure(loader, [join(bare.outDir, 'index.js'), 'bare', 'http'], env, runs);
  const baselineServe = await measureServe(bare.outDir, 'bare', 'http', env, runs);
  console.log(`cold start: median of ${runs} fresh processes each, Node ${process.version}`);
  console.log(
    `${'bundle'.padEnd(20)} ${'KiB@start'.padStart(9)} ${'KiB all'.padStart(8)} ${'serve ms'.padStart(9)} ` +
      `${'ratio'.padStart(6)} ${'import ms'.padStart(10)} ${'ratio'.padStart(6)} ${'status'.padStart(6)}`,
  );
  const row = (name: string, kibStart: number, kibAll: number, serve: { ms: number; status: number }, m: Sample) =>
    console.log(
      `${name.padEnd(20)} ${kibStart.toFixed(0).padStart(9)} ${kibAll.toFixed(0).padStart(8)} ` +
        `${serve.ms.toFixed(1).padStart(9)} ${(serve.ms / baselineServe.ms).toFixed(2).padStart(6)} ` +
        `${m.loadMs.toFixed(1).padStart(10)} ${(m.loadMs / baseline.loadMs).toFixed(2).padStart(6)} ` +
        `${String(serve.status).padStart(6)}`,
    );
  row('bare (baseline)', bare.entryBytes / 1024, bare.bytes / 1024, baselineServe, baseline);
  let worstServe = 0;
  for (const { fn, bundle } of bundles) {
    const serve = await measureServe(bundle.outDir, fn.entryPoint, fn.signature, env, runs);
    const m = measure(loader, [join(bundle.outDir, 'index.js'), fn.entryPoint, fn.signature], env, runs);
    worstServe = Math.max(worstServe, serve.ms / baselineServe.ms);
    row(fn.name, bundle.entryBytes / 1024, bundle.bytes / 1024, serve, m);
  }
  console.log(`worst serve ratio ${worstServe.toFixed(2)} (target ≤ 2.00). Google client libraries are not in these figures: they load on first use.`);
}
