/**
 * `npm run bench -- ui-connector [--clients 50] [--duration 8] [--warmup 2] [--rate N] [--no-pin] [--stock-server]
 *   [--sizing deployed|platform-default|none] [--profile DIR] [--only TEXT]`
 *
 * Issue 3's benchmark: POST /conversation-name (the Twilio Function's request: token check,
 * validation, E.164 + HMAC key, Firestore write, Pub/Sub publish) and GET /conversation-name
 * (the Lightning component's poll: token check, Firestore read) against the function on the
 * local stack, and the same requests against a bare Functions Framework function answering
 * {} in the same process, measured the same way in the same run. Three processes (see
 * bench/_http-bench.ts): the functions, the Google stand-ins, the load generator (wrk).
 *
 * Rows:
 *  - "stand-ins": Firestore and Pub/Sub are the local stand-ins' process;
 *  - "Firestore in memory": the same function with its document store in memory (Pub/Sub
 *    still the stand-in) — the function's own cost, without the Firestore client's calls and
 *    the stand-in's (local/firestore/);
 *  - "durable calls alone": the same Firestore and Pub/Sub calls (POST: replace the document and
 *    publish; GET: read it) through the same adapters and stand-ins, nothing else
 *    (./_floor-function.ts) — the most any implementation making those calls can reach;
 *  - saturation rows (wrk, 50 keep-alive clients in a closed loop: the load) and
 *    paced rows (a fixed rate, latency from each request's scheduled send time).
 * Targets (issue 3): p99 ≤ 25 ms and throughput ≥ 50 % of the bare function.
 */
import { parseArgs } from 'node:util';
import { SignJWT } from 'jose';
import { LOCAL_PROJECT } from '../local/env';
import { fmt, formatTable, GC_NOTE, gcCells, type HttpBench, machineNote, type Measured, requireWrk, ROW_HEADER, startHttpBench } from './_http-bench';
import { throughputVerdict } from './_verdict';
import type { HttpRequestSpec } from './_load';

const PHONES = 1000;

export default async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      clients: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      'no-pin': { type: 'boolean' },
      'stock-server': { type: 'boolean' },
      sizing: { type: 'string' },
      profile: { type: 'string' },
      only: { type: 'string' },
    },
    strict: true,
  });
  const clients = Number(values.clients ?? 50);
  const seconds = Number(values.duration ?? 8);
  const warmupSeconds = Number(values.warmup ?? 2);
  if (!requireWrk()) return;
  const note = machineNote();

  const bench = await startHttpBench('ui-connector', {
    pin: !values['no-pin'],
    profileDir: values.profile,
    stockServer: values['stock-server'],
    sizing: values.sizing,
  });
  try {
    const { fn } = bench;
    const registered = await fetch(`${fn.functionUrl}/register-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountSid: fn.credentials.twilioAccountSid, authToken: fn.credentials.twilioAuthToken }),
    });
    if (registered.status !== 200) throw new Error(`register-app answered ${registered.status}`);
    const { token } = (await registered.json()) as { token: string };
    // The Lightning component polls with an agent token (from /register): mint one with the local key.
    const now = Math.floor(Date.now() / 1000);
    const agentToken = await new SignJWT({ gcp_agent_assist_project: LOCAL_PROJECT, gcp_agent_assist_user: 'sf:bench', ccbridge_role: 'agent' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setExpirationTime(now + 3600)
      .sign(new TextEncoder().encode(fn.credentials.uiConnectorJwtSecret));

    const phones = Array.from({ length: PHONES }, (_, i) => `+1415555${String(i).padStart(4, '0')}`);
    const bodies = phones.map((p, i) =>
      JSON.stringify({
        conversationIntegrationKey: p,
        conversationName: `projects/ccbridge-local/locations/global/conversations/CA${String(i).padStart(32, '0')}`,
      }),
    );
    const headers = { 'content-type': 'application/json', authorization: token };
    const posts = (base: string): HttpRequestSpec[] => bodies.map((body) => ({ method: 'POST', url: `${base}/conversation-name`, headers, body }));
    const gets = (base: string): HttpRequestSpec[] =>
      phones.map((p) => ({
        method: 'GET',
        url: `${base}/conversation-name?conversationIntegrationKey=${encodeURIComponent(p)}`,
        headers: { authorization: agentToken },
      }));
    // The bare function gets the same requests (it ignores them).
    const barePosts = (bareUrl: string) => (): HttpRequestSpec[] => bodies.map((body) => ({ method: 'POST', url: `${bareUrl}/`, headers, body }));
    const bareGets = (bareUrl: string) => (): HttpRequestSpec[] =>
      phones.map((p) => ({ method: 'GET', url: `${bareUrl}/?conversationIntegrationKey=${encodeURIComponent(p)}`, headers: { authorization: agentToken } }));

    // Every phone registered on both stores first, so each GET finds its mapping (the poll's happy path).
    for (const base of [fn.functionUrl, fn.memoryUrl, fn.floorUrl]) await registerAll(posts(base));

    const all = [
      { scenario: 'bare {} POST', requests: barePosts(fn.bareUrl) },
      { scenario: 'bare {} GET', requests: bareGets(fn.bareUrl) },
      { scenario: `bare {} POST${STOCK}`, requests: barePosts(fn.stockBareUrl) },
      { scenario: `bare {} GET${STOCK}`, requests: bareGets(fn.stockBareUrl) },
      { scenario: 'POST, stand-ins', requests: () => posts(fn.functionUrl) },
      { scenario: 'GET, stand-ins', requests: () => gets(fn.functionUrl) },
      { scenario: 'POST, Firestore in memory', requests: () => posts(fn.memoryUrl) },
      { scenario: 'GET, Firestore in memory', requests: () => gets(fn.memoryUrl) },
      // Last, as in bench/zoom-webhook.ts.
      { scenario: `POST${FLOOR}`, requests: () => posts(fn.floorUrl) },
      { scenario: `GET${FLOOR}`, requests: () => gets(fn.floorUrl) },
    ];
    // --only: the rows whose name contains TEXT (e.g. to profile one scenario with --profile).
    const scenarios = all.filter((s) => values.only === undefined || s.scenario.includes(values.only));
    const saturation: Measured[] = [];
    // Every row's server, the stand-ins and their clients warmed before any row is measured, whatever the row's place.
    for (const s of scenarios) await bench.saturate({ ...s, connections: clients, seconds: warmupSeconds, warmupSeconds: 0 });
    for (const s of scenarios) saturation.push(await bench.saturate({ ...s, connections: clients, seconds, warmupSeconds }));

    // Paced at one rate for all, below every scenario's saturation: latency without queueing.
    const slowest = Math.min(...saturation.map((r) => r.requests / r.seconds));
    const rate = Number(values.rate ?? Math.max(50, Math.round((slowest * 0.5) / 50) * 50));
    const paced: Measured[] = [];
    for (const s of scenarios) paced.push(await bench.pace({ ...s, connections: clients, rate, count: Math.round(rate * seconds) }));

    print(bench, { clients, seconds, warmupSeconds, rate, note }, saturation, paced);
  } finally {
    await bench.stop();
  }
}

async function registerAll(requests: HttpRequestSpec[]): Promise<void> {
  for (let i = 0; i < requests.length; i += 25) {
    await Promise.all(
      requests.slice(i, i + 25).map(async (r) => {
        const res = await fetch(r.url, { method: r.method, headers: r.headers ?? {}, body: r.body ?? null });
        await res.arrayBuffer();
        if (res.status !== 200) throw new Error(`setup registration failed: ${res.status}`);
      }),
    );
  }
}

/** The bare function on the Framework's stock server: the ratio against the Framework as it ships. */
const STOCK = ', stock server';
/** The route's Firestore and Pub/Sub calls and nothing else (./_floor-function.ts). */
const FLOOR = ', durable calls alone';

function print(
  bench: HttpBench,
  run: { clients: number; seconds: number; warmupSeconds: number; rate: number; note: string },
  saturation: Measured[],
  paced: Measured[],
): void {
  const bareOf = (rows: Measured[], r: Measured, server = '') =>
    rows.find((b) => b.scenario === `${r.scenario.startsWith('POST') || r.scenario.endsWith('POST') ? 'bare {} POST' : 'bare {} GET'}${server}`);
  const rps = (r: Measured) => r.requests / r.seconds;
  const rpsOf = (r: Measured | undefined) => (r ? rps(r) : Number.NaN);
  const cpuOf = (r: Measured | undefined) => (r ? r.fnCpuUs : Number.NaN);
  const row = (rows: Measured[], r: Measured, ratio: boolean) => [
    r.scenario,
    r.load,
    fmt(rps(r), 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    ratio ? fmt(rps(r) / rpsOf(bareOf(rows, r)), 2) : '-',
    fmt(r.fnCpuUs, 0),
    ratio ? fmt(cpuOf(bareOf(rows, r)) / r.fnCpuUs, 2) : '-',
    fmt(r.servicesCpuUs, 0),
    ...gcCells(r),
    String(r.errors),
  ];
  const header = ROW_HEADER;
  process.stdout.write(
    `ui-connector: ${run.clients} keep-alive clients; saturation ${run.seconds} s per row after ` +
      `${run.warmupSeconds} s warm-up (and a first pass of ${run.warmupSeconds} s over every row); ` +
      `paced ${run.rate}/s for ${run.seconds} s; Node ${process.version}\n` +
      `where: ${bench.placement}\n` +
      `${bench.sizing()}\n` +
      `note: "stand-ins" = Firestore (local/firestore/) and Pub/Sub stand-ins in their own process; "Firestore in ` +
      `memory" = same function, document store in memory, Pub/Sub still the stand-in (the function's own cost); ` +
      `"${FLOOR.slice(2)}" = the route's Firestore and Pub/Sub calls through the same adapters, nothing else (no ` +
      `implementation making those calls exceeds its ratio); ` +
      `"vs bare" = throughput / bare {} with the same method on the same kind of server as the row, same process, same load; "fn CPU vs bare" = bare's ` +
      `CPU per request / this row's in the functions' process (the throughput ratio the function's own CPU allows on a ` +
      `core of its own; req/s falls below it when the stand-ins or other work limit); ${GC_NOTE}; paced latency counts from each ` +
      `request's scheduled time; logs at info level to a discarded stdout; ${run.note}\n\n` +
      `${formatTable(header, [...saturation.map((r) => row(saturation, r, true)), ...paced.map((r) => row(paced, r, false))])}\n\n`,
  );
  const verdicts = saturation
    .filter((r) => !r.scenario.startsWith('bare'))
    .map((r) => {
      const p = paced.find((x) => x.scenario === r.scenario)!;
      const method = r.scenario.startsWith('POST') ? 'POST' : 'GET';
      const floor = r.scenario.endsWith('stand-ins') || r.scenario.endsWith(FLOOR) ? saturation.find((x) => x.scenario === `${method}${FLOOR}`) : undefined;
      const throughput = throughputVerdict(r, { bare: bareOf(saturation, r), stockBare: bareOf(saturation, r, STOCK), floor });
      const p99 = r.scenario.endsWith(FLOOR)
        ? `p99 ${fmt(p.p99Ms, 1)} ms at ${run.rate}/s`
        : `p99 ${fmt(r.p99Ms, 1)} ms at ${run.clients} clients, ${fmt(p.p99Ms, 1)} ms at ${run.rate}/s (target ≤ 25 ms: ` +
          `${r.p99Ms <= 25 ? 'met' : 'NOT met'} / ${p.p99Ms <= 25 ? 'met' : 'NOT met'})`;
      return `${r.scenario}: throughput ${throughput}; ${p99}`;
    });
  process.stdout.write(`${verdicts.join('\n')}\n`);
}
