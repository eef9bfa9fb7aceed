/**
 * `npm run bench -- cold-start [runs]`: for each function bundle, in a fresh Node process
 * (median of N, default 15):
 *   - load: time to import the bundle (what the platform waits for before it can route);
 *   - first response: process start → the first request answered (a health GET for HTTP
 *     functions, a CloudEvent for event functions), which includes composing the function;
 * each as a ratio to a bare Functions Framework function built the same way and measured
 * the same way in the same run. Target: load ratio ≤ 2.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildLocalEnv } from '../local/env';
import { localCredentials } from '../local/credentials';
import { readFunctionManifest, repoRoot } from '../local/manifest';
import { buildBundle } from '../scripts/build-bundles';

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

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function measure(loader: string, args: string[], env: NodeJS.ProcessEnv, runs: number): Sample {
  const run = () => JSON.parse(execFileSync(process.execPath, [loader, ...args], { encoding: 'utf8', env })) as Sample;
  run(); // warm the OS file cache equally for every bundle
  const samples = Array.from({ length: runs }, run);
  return { loadMs: median(samples.map((s) => s.loadMs)), firstResponseMs: median(samples.map((s) => s.firstResponseMs)), status: samples[0]!.status };
}

function benchEnv(): NodeJS.ProcessEnv {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  // Valid settings pointing at closed ports: nothing here may need an upstream to start.
  const dead = 'http://127.0.0.1:9';
  const env = buildLocalEnv(
    { gatewayUrl: dead, firestoreHost: '127.0.0.1:9', pubsubHost: '127.0.0.1:9', storageUrl: dead, zoomUrl: dead, twilioUrl: dead, dialogflowUrl: dead, oidcCertsUrl: dead },
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
    bundles.push({ fn, bundle: await buildBundle({ repoRoot, name: fn.name, entry: join(repoRoot, 'functions', fn.name, 'index.ts'), outDir: join(repoRoot, 'dist', fn.name) }) });
  }

  const baseline = measure(loader, [join(bare.outDir, 'index.js'), 'bare', 'http'], env, runs);
  console.log(`cold start: median of ${runs} fresh processes each, Node ${process.version}`);
  const header = `${'bundle'.padEnd(20)} ${'KiB@start'.padStart(9)} ${'KiB all'.padStart(8)} ${'load ms'.padStart(8)} ${'ratio'.padStart(6)} ${'1st resp ms'.padStart(12)} ${'ratio'.padStart(6)} ${'status'.padStart(6)}`;
  console.log(header);
  const row = (name: string, kibStart: number, kibAll: number, m: Sample) =>
    console.log(
      `${name.padEnd(20)} ${kibStart.toFixed(0).padStart(9)} ${kibAll.toFixed(0).padStart(8)} ${m.loadMs.toFixed(1).padStart(8)} ${(m.loadMs / baseline.loadMs).toFixed(2).padStart(6)} ${m.firstResponseMs.toFixed(1).padStart(12)} ${(m.firstResponseMs / baseline.firstResponseMs).toFixed(2).padStart(6)} ${String(m.status).padStart(6)}`,
    );
  row('bare (baseline)', bare.entryBytes / 1024, bare.bytes / 1024, baseline);
  let worstLoad = 0;
  let worstFirst = 0;
  for (const { fn, bundle } of bundles) {
    const m = measure(loader, [join(bundle.outDir, 'index.js'), fn.entryPoint, fn.signature], env, runs);
    worstLoad = Math.max(worstLoad, m.loadMs / baseline.loadMs);
    worstFirst = Math.max(worstFirst, m.firstResponseMs / baseline.firstResponseMs);
    row(fn.name, bundle.entryBytes / 1024, bundle.bytes / 1024, m);
  }
  console.log(`worst load ratio ${worstLoad.toFixed(2)} (target ≤ 2.00); worst first-response ratio ${worstFirst.toFixed(2)}`);
}
