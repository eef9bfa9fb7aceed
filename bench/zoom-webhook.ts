/**
 * `npm run bench -- zoom-webhook [--requests=6000] [--connections=200]`: distinct, signed
 * Zoom events at 200 concurrent keep-alive connections against zoom-webhook (signature,
 * replay and business-key records in the Firestore stand-in, publish to the Pub/Sub
 * emulator, through the real clients), and the same load against a bare function on the
 * same Functions Framework in the same run. Two phases per target:
 *  - saturation: 200 connections, each sending its next event as soon as the last is
 *    answered → throughput (and the ratio to the bare function, target ≥ 50 %);
 *  - paced: events arriving at a fixed rate (default 50 % of the webhook's saturation
 *    throughput) over the same 200 connections → ack latency p50/p99 (target p99 ≤ 50 ms),
 *    measured from each event's scheduled arrival, so queueing counts.
 * (Latency at saturation is not a useful figure: with 200 requests always in flight it is
 * 200 / throughput by Little's law, whatever the code does.) Everything — load generator,
 * functions, Firestore stand-in, Pub/Sub emulator — shares this machine's 2 cores.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { composeZoomWebhook } from '../functions/zoom-webhook/compose';
import { createMemoryDocStore } from '../shared/adapters/memory-docstore';
import { startStack } from '../local/stack';

interface Result {
  name: string;
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

export default async function zoomWebhookBench(args: string[]): Promise<void> {
  const option = (name: string, fallback: number) => Number(args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback);
  const requests = option('requests', 6000);
  const connections = option('connections', 200);
  const stack = await startStack({ functions: ['zoom-webhook'], envOverrides: { LOG_LEVEL: 'warn' } });
  const servers: http.Server[] = [];
  try {
    const secret = stack.credentials.zoomWebhookSecret;
    ff.http('benchZoomWebhook', composeZoomWebhook(stack.env, undefined, { logSink: () => undefined }));
    ff.http('benchBare', (_req, res) => {
      res.status(200).json({ status: 'accepted' });
    });
    // The same function with Firestore in memory: isolates the function's own cost from the
    // Firestore stand-in, whose create() slows down as a collection grows (~300/s at 6k docs).
    ff.http('benchZoomWebhookMemory', composeZoomWebhook(stack.env, { docs: createMemoryDocStore() }, { logSink: () => undefined }));
    const webhookUrl = await listen(getTestServer('benchZoomWebhook'), servers);
    const memoryUrl = await listen(getTestServer('benchZoomWebhookMemory'), servers);
    const bareUrl = await listen(getTestServer('benchBare'), servers);

    let sequence = 0;
    const nextEvent = () => {
      const n = sequence++;
      const body = JSON.stringify({
        event: 'contact_center.recording_completed',
        event_ts: Date.now(),
        payload: { account_id: stack.credentials.zoomAccountId, object: { recording_id: `bench-rec-${n}`, engagement_id: `bench-eng-${n % 997}`, download_url: `${stack.emulators.zoom}/v2/files/recordings/bench-rec-${n}` } },
      });
      const ts = Math.floor(Date.now() / 1000);
      return { body, headers: { 'content-type': 'application/json', 'x-zm-request-timestamp': String(ts), 'x-zm-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}` } };
    };

    const targets = [
      { name: 'bare function (baseline)', url: bareUrl },
      { name: 'zoom-webhook, Firestore stand-in', url: webhookUrl },
      { name: 'zoom-webhook, Firestore in memory', url: memoryUrl },
    ];
    // Warm every target (JIT, connections, the Google clients' channels), then measure.
    for (const t of targets) await load(`warm-up ${t.name}`, t.url, 300, connections, nextEvent);
    const rps = (r: Result) => r.requests / r.seconds;
    const saturation: Result[] = [];
    for (const t of targets) saturation.push(await load(t.name, t.url, requests, connections, nextEvent));
    const webhookRps = Math.min(rps(saturation[1]!), rps(saturation[2]!));
    const rate = option('rate', Math.max(10, Math.round(webhookRps * 0.5)));
    const pacedCount = Math.max(200, Math.min(requests, rate * 10));
    const paced: Result[] = [];
    for (const t of targets) paced.push(await load(t.name, t.url, pacedCount, connections, nextEvent, rate));
    await stack.pubsub.drain(30_000).catch(() => undefined);

    console.log(`zoom-webhook: distinct signed events, ${connections} concurrent connections, node ${process.version}; Pub/Sub is the local emulator throughout`);
    console.log(`saturation: ${requests} events per target`);
    console.table(saturation.map((r) => ({ target: r.name, requests: r.requests, errors: r.errors, 'req/s': rps(r).toFixed(0), 'vs bare': `${((rps(r) / rps(saturation[0]!)) * 100).toFixed(0)} %` })));
    console.log(`paced: ${pacedCount} events per target at ${rate} events/s (latency from each event's scheduled arrival)`);
    console.table(paced.map((r) => ({ target: r.name, requests: r.requests, errors: r.errors, 'p50 ms': r.p50.toFixed(1), 'p99 ms': r.p99.toFixed(1), 'max ms': r.max.toFixed(1) })));
    const errors = [...saturation, ...paced].reduce((n, r) => n + r.errors, 0);
    console.table(
      [1, 2].flatMap((i) => [
        { figure: `${targets[i]!.name}: ack p99 at ${rate}/s`, value: `${paced[i]!.p99.toFixed(1)} ms`, target: '≤ 50 ms', ok: paced[i]!.p99 <= 50 },
        { figure: `${targets[i]!.name}: throughput vs bare`, value: `${((rps(saturation[i]!) / rps(saturation[0]!)) * 100).toFixed(0)} %`, target: '≥ 50 %', ok: rps(saturation[i]!) / rps(saturation[0]!) >= 0.5 },
      ]).concat([{ figure: 'non-2xx answers', value: String(errors), target: '0', ok: errors === 0 }]),
    );
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await stack.stop();
  }
}

async function listen(server: http.Server, servers: http.Server[]): Promise<string> {
  servers.push(server);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

/**
 * `total` requests over `connections` keep-alive connections, each connection one request at
 * a time; with `ratePerSecond`, request i is due at i / rate and its latency counts from then.
 */
async function load(name: string, url: string, total: number, connections: number, next: () => { body: string; headers: Record<string, string> }, ratePerSecond?: number): Promise<Result> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let issued = 0;
  const started = performance.now();
  const worker = async () => {
    while (issued < total) {
      const index = issued++;
      let t0 = performance.now();
      if (ratePerSecond) {
        const due = started + (index * 1000) / ratePerSecond;
        if (due > t0) await new Promise((r) => setTimeout(r, due - t0));
        t0 = due;
      }
      const { body, headers } = next();
      const status = await new Promise<number>((resolve) => {
        const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', () => resolve(0));
        req.end(body);
      });
      latencies.push(performance.now() - t0);
      if (status < 200 || status >= 300) errors++;
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { name, requests: total, seconds, p50: at(0.5), p99: at(0.99), max: latencies[latencies.length - 1] ?? 0, errors };
}
