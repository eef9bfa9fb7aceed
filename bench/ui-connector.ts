/**
 * `npm run bench -- ui-connector [--clients 50] [--duration 5] [--warmup 1]`
 *
 * 50 concurrent keep-alive clients against the local stack (Functions Framework behind the
 * one-port gateway, Firestore stand-in, local Pub/Sub): POST /conversation-name (the Twilio
 * Function's request: token check, validation, Firestore write, Pub/Sub publish) and
 * GET /conversation-name (the Lightning component's poll: token check, Firestore read).
 * Baseline, same run, same serving path: a bare Functions Framework function answering {}
 * mounted on a gateway of its own. The load generator runs in a worker thread so it does
 * not share the servers' event loop. Targets (issue 3): p99 ≤ 25 ms and throughput ≥ 50 %
 * of the bare function.
 * The local Firestore and Pub/Sub servers run in the same process as the functions, so
 * their CPU is in the stack figures; rows "(in-memory ports)" run the same function with
 * in-memory store and bus on the baseline's gateway, to show the function's own cost.
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { composeUiConnector } from '../functions/ui-connector/compose';
import { startGateway } from '../local/gateway';
import { startStack } from '../local/stack';
import { createMemoryDocStore } from '../shared/adapters/memory-docstore';
import { createMemoryEventBus } from '../shared/adapters/memory-eventbus';

interface LoadSpec {
  origin: string;
  method: 'GET' | 'POST';
  /** Cycled through, one per request. */
  paths: string[];
  bodies: string[] | null;
  headers: Record<string, string>;
  clients: number;
  durationMs: number;
  warmupMs: number;
}

interface LoadResult {
  latenciesMs: number[];
  errors: number;
  statuses: Record<string, number>;
  elapsedMs: number;
}

// Plain JavaScript run by the worker: a closed loop per client, measuring after the warm-up.
const LOAD_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const spec = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.clients });
const url = new URL(spec.origin);
let index = 0;
const latencies = [];
const statuses = {};
let errors = 0;
const start = performance.now();
const measureFrom = start + spec.warmupMs;
const stopAt = measureFrom + spec.durationMs;
function once() {
  return new Promise((resolve) => {
    const i = index++;
    const path = spec.paths[i % spec.paths.length];
    const body = spec.bodies ? spec.bodies[i % spec.bodies.length] : undefined;
    const headers = { ...spec.headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    const t0 = performance.now();
    const req = http.request({ agent, host: url.hostname, port: url.port, method: spec.method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const t1 = performance.now();
        if (t0 >= measureFrom && t1 <= stopAt) {
          latencies.push(t1 - t0);
          statuses[res.statusCode] = (statuses[res.statusCode] || 0) + 1;
          if (res.statusCode >= 400) errors++;
        }
        resolve();
      });
    });
    req.on('error', () => { if (t0 >= measureFrom) errors++; resolve(); });
    if (body !== undefined) req.write(body);
    req.end();
  });
}
async function client() { while (performance.now() < stopAt) await once(); }
Promise.all(Array.from({ length: spec.clients }, client)).then(() => {
  agent.destroy();
  parentPort.postMessage({ latenciesMs: latencies, errors, statuses, elapsedMs: spec.durationMs });
});
`;

function runLoad(spec: LoadSpec): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: spec });
    worker.once('message', (m: LoadResult) => {
      resolve(m);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

interface Row {
  scenario: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

function summarise(scenario: string, r: LoadResult): Row {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  return { scenario, requests: sorted.length, rps: sorted.length / (r.elapsedMs / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), errors: r.errors };
}

export default async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { clients: { type: 'string' }, duration: { type: 'string' }, warmup: { type: 'string' } }, strict: true });
  const clients = Number(values.clients ?? 50);
  const durationMs = Number(values.duration ?? 5) * 1000;
  const warmupMs = Number(values.warmup ?? 1) * 1000;

  // Per-request info logs would measure stdout, not the function: warnings only.
  const stack = await startStack({ functions: ['ui-connector'], envOverrides: { LOG_LEVEL: 'warn' } });
  const bareGateway = await startGateway();
  try {
    bareGateway.mount('bare', 'benchBareUiConnector', { signature: 'http', handler: async (_req, res) => void res.json({}) });
    bareGateway.mount('ui-connector', 'benchUiConnectorInMemory', {
      signature: 'http',
      handler: composeUiConnector({ ...stack.env, LOG_LEVEL: 'warn' }, { docs: createMemoryDocStore(), bus: createMemoryEventBus() }),
    });
    const uiUrl = new URL(stack.functions['ui-connector']!);
    const registered = await fetch(`${uiUrl}/register-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountSid: stack.credentials.twilioAccountSid, authToken: stack.credentials.twilioAuthToken }),
    });
    const { token } = (await registered.json()) as { token: string };

    const phones = Array.from({ length: 1000 }, (_, i) => `+1415555${String(i).padStart(4, '0')}`);
    const bodies = phones.map((p, i) => JSON.stringify({ conversationIntegrationKey: p, conversationName: `projects/ccbridge-local/locations/global/conversations/CA${String(i).padStart(32, '0')}` }));
    const common = { clients, durationMs, warmupMs };
    const jsonHeaders = { 'content-type': 'application/json', authorization: token };
    const basePath = uiUrl.pathname;
    // Register every phone first, on both, so each GET finds its mapping (the Lightning component's happy path).
    for (const origin of [uiUrl.origin, bareGateway.url]) {
      for (let i = 0; i < bodies.length; i += 25) {
        await Promise.all(
          bodies.slice(i, i + 25).map(async (body) => {
            const res = await fetch(`${origin}${basePath}/conversation-name`, { method: 'POST', headers: jsonHeaders, body });
            if (res.status !== 200) throw new Error(`setup registration failed: ${res.status}`);
          }),
        );
      }
    }
    const memoryOrigin = bareGateway.url;

    const bareGet = summarise('bare {} GET', await runLoad({ ...common, origin: bareGateway.url, method: 'GET', paths: ['/bare/'], bodies: null, headers: {} }));
    const barePost = summarise('bare {} POST', await runLoad({ ...common, origin: bareGateway.url, method: 'POST', paths: ['/bare/'], bodies, headers: { 'content-type': 'application/json' } }));
    const post = summarise('POST /conversation-name', await runLoad({ ...common, origin: uiUrl.origin, method: 'POST', paths: [`${basePath}/conversation-name`], bodies, headers: jsonHeaders }));
    const get = summarise(
      'GET /conversation-name',
      await runLoad({ ...common, origin: uiUrl.origin, method: 'GET', paths: phones.map((p) => `${basePath}/conversation-name?conversationIntegrationKey=${encodeURIComponent(p)}`), bodies: null, headers: jsonHeaders }),
    );

    const memPost = summarise('POST (in-memory ports)', await runLoad({ ...common, origin: memoryOrigin, method: 'POST', paths: [`${basePath}/conversation-name`], bodies, headers: jsonHeaders }));
    const memGet = summarise(
      'GET (in-memory ports)',
      await runLoad({ ...common, origin: memoryOrigin, method: 'GET', paths: phones.map((p) => `${basePath}/conversation-name?conversationIntegrationKey=${encodeURIComponent(p)}`), bodies: null, headers: jsonHeaders }),
    );

    const rows: Array<Row & { ratio: string; target: string }> = [
      { ...bareGet, ratio: '1.00', target: '' },
      { ...barePost, ratio: '1.00', target: '' },
      verdict(post, barePost),
      verdict(get, bareGet),
      verdict(memPost, barePost),
      verdict(memGet, bareGet),
    ];
    const header = ['scenario', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'vs bare', 'target (p99≤25ms, ≥50%)'];
    const table = [header, ...rows.map((r) => [r.scenario, String(r.requests), r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), String(r.errors), r.ratio, r.target])];
    const widths = header.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    const line = (row: string[]) => row.map((c, i) => c.padEnd(widths[i]!)).join('  ');
    process.stdout.write(`ui-connector: ${clients} concurrent clients, ${durationMs / 1000} s per scenario after ${warmupMs / 1000} s warm-up, Node ${process.version}\n\n`);
    process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
    for (const row of table.slice(1)) process.stdout.write(`${line(row)}\n`);
  } finally {
    await bareGateway.stop();
    await stack.stop();
  }
}

function verdict(row: Row, bare: Row): Row & { ratio: string; target: string } {
  const ratio = row.rps / bare.rps;
  const ok = row.p99 <= 25 && ratio >= 0.5 && row.errors === 0;
  return { ...row, ratio: ratio.toFixed(2), target: ok ? 'met' : 'NOT met' };
}
