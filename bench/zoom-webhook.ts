/**
 * `npm run bench -- zoom-webhook [--connections 200] [--duration 8] [--warmup 2] [--rate N] [--paced-only] [--no-pin]
 *   [--stock-server] [--sizing deployed|platform-default|none] [--profile DIR] [--only TEXT]`
 *
 * Issue 4's benchmark: distinct, signed Zoom events (recording_completed, each with its own
 * recording id, signed with a fresh timestamp just before each run) at 200 keep-alive
 * connections against zoom-webhook (signature, envelope, business key recorded in Firestore
 * with create(), publish to Pub/Sub, marked published), and the same events against a bare
 * Functions Framework function in the same process, measured the same way in the same run.
 * Three processes (see bench/_http-bench.ts): the functions, the Google stand-ins, the load
 * generator.
 *
 * Rows:
 *  - "stand-ins": Firestore and Pub/Sub are the local stand-ins' process;
 *  - "Firestore in memory": the same function with its document store in memory (Pub/Sub
 *    still the stand-in) — the function's own cost, without the Firestore client's calls and
 *    the stand-in's (local/firestore/; `npm run bench -- firestore-standin` measures it);
 *  - "durable calls alone": create, publish, mark published per event through the same adapters
 *    and stand-ins, and nothing else (./_floor-function.ts) — the most any implementation making
 *    those three calls can reach;
 *  - saturation (wrk, each connection sends its next event as soon as the last is
 *    answered: throughput, and latency that is mostly queueing) and paced (a fixed rate,
 *    below every target's saturation; latency from each event's scheduled arrival: the ack
 *    latency Zoom would see).
 * `--paced-only` skips saturation (the paced rows at `--rate`, 100/s by default, each after
 * `--warmup` seconds of the same pace, on fresh processes: after a saturation run the
 * stand-ins hold every event it sent, and how many depends on the throughput being measured).
 * Targets (issue 4): ack p99 ≤ 50 ms and throughput ≥ 50 % of the bare function.
 */
import { createHmac } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fmt, formatTable, GC_NOTE, gcCells, type HttpBench, machineNote, type Measured, requireWrk, ROW_HEADER, startHttpBench } from './_http-bench';
import { throughputVerdict } from './_verdict';
import type { HttpRequestSpec } from './_load';

export default async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      connections: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      'no-pin': { type: 'boolean' },
      'stock-server': { type: 'boolean' },
      sizing: { type: 'string' },
      profile: { type: 'string' },
      only: { type: 'string' },
      'paced-only': { type: 'boolean' },
    },
    strict: true,
  });
  const connections = Number(values.connections ?? 200);
  const seconds = Number(values.duration ?? 8);
  const warmupSeconds = Number(values.warmup ?? 2);
  if (!requireWrk()) return;
  const note = machineNote();

  const bench = await startHttpBench('zoom-webhook', {
    pin: !values['no-pin'],
    profileDir: values.profile,
    stockServer: values['stock-server'],
    sizing: values.sizing,
  });
  try {
    const { fn } = bench;
    let batch = 0;
    // `count` distinct events, signed now, for `url`.
    const events = (url: string, count: number): HttpRequestSpec[] => {
      const run = batch++;
      const ts = String(Math.floor(Date.now() / 1000));
      return Array.from({ length: count }, (_, n) => {
        const id = `bench-${process.pid}-${run}-${n}`;
        const body = JSON.stringify({
          event: 'contact_center.recording_completed',
          event_ts: Date.now(),
          payload: {
            account_id: fn.credentials.zoomAccountId,
            object: {
              recording_id: `rec-${id}`,
              engagement_id: `eng-${run}-${n % 997}`,
              download_url: `${fn.zoomUrl}/v2/contact_center/recording/download/rec-${id}?type=voice`,
            },
          },
        });
        const signature = `v0=${createHmac('sha256', fn.credentials.zoomWebhookSecret).update(`v0:${ts}:${body}`).digest('hex')}`;
        return {
          method: 'POST',
          url: `${url}/`,
          headers: { 'content-type': 'application/json', 'x-zm-request-timestamp': ts, 'x-zm-signature': signature },
          body,
        };
      });
    };

    const targets = [
      { scenario: 'bare function', url: fn.bareUrl },
      { scenario: STOCK_BARE, url: fn.stockBareUrl },
      { scenario: 'zoom-webhook, stand-ins', url: fn.functionUrl },
      { scenario: 'zoom-webhook, Firestore in memory', url: fn.memoryUrl },
      // Not right after the stock bare function's row: measured there, it came out below the function itself in
      // two runs of four (functions/zoom-webhook/README.md, "The bound").
      { scenario: FLOOR, url: fn.floorUrl },
    ].filter((t) => values.only === undefined || t.scenario.includes(values.only));

    const saturation: Measured[] = [];
    let recorded = 0;
    const standInDocs: string[] = [];
    // Every row's server, the stand-ins and their clients warmed before any row is measured, whatever the row's place.
    for (const t of values['paced-only'] ? [] : targets) {
      const warm = await bench.saturate({ scenario: t.scenario, requests: () => events(t.url, 20_000), connections, seconds: warmupSeconds, warmupSeconds: 0 });
      if (t.url === fn.functionUrl) recorded += warm.requests;
    }
    for (const t of values['paced-only'] ? [] : targets) {
      // Enough distinct events for the run: what the warm-up managed, with room to spare. The
      // warm-up starts on unoptimised code, and a row has gone 2.4 times as fast as it; were the
      // events to run out, the repeats would be refused as replays and counted as errors.
      const warm = await bench.saturate({ scenario: t.scenario, requests: () => events(t.url, 20_000), connections, seconds: warmupSeconds, warmupSeconds: 0 });
      const needed = Math.ceil((warm.requests / warm.seconds) * seconds * 4) + 5_000;
      if (t.url === fn.functionUrl) standInDocs.push(`${recorded + warm.requests} before saturation`);
      const row = await bench.saturate({ scenario: t.scenario, requests: () => events(t.url, needed), connections, seconds, warmupSeconds: 0 });
      saturation.push(row);
      if (t.url === fn.functionUrl) recorded += warm.requests + row.requests;
    }

    const webhookRates = saturation.filter((r) => !r.scenario.startsWith('bare')).map((r) => r.requests / r.seconds);
    const rate = Number(values.rate ?? (values['paced-only'] ? 100 : Math.max(20, Math.round((Math.min(...webhookRates) * 0.5) / 10) * 10)));
    const paced: Measured[] = [];
    for (const t of targets) {
      if (values['paced-only'] && warmupSeconds > 0) {
        // No saturation run has warmed the code up: the same pace for the warm-up time first, not measured.
        const count = Math.round(rate * warmupSeconds);
        await bench.pace({ scenario: t.scenario, requests: () => events(t.url, count), connections, rate, count });
        if (t.url === fn.functionUrl) recorded += count;
      }
      if (t.url === fn.functionUrl) standInDocs.push(`${recorded} before paced`);
      paced.push(
        await bench.pace({
          scenario: t.scenario,
          requests: () => events(t.url, Math.round(rate * seconds)),
          connections,
          rate,
          count: Math.round(rate * seconds),
        }),
      );
    }

    print(bench, { connections, seconds, warmupSeconds, rate, note, standInDocs: standInDocs.join(', ') }, saturation, paced);
  } finally {
    await bench.stop();
  }
}

/** The bare function on the Framework's stock server: the ratio against the Framework as it ships. */
const STOCK_BARE = 'bare function, stock server';
/** The webhook's three durable calls and nothing else (./_floor-function.ts). */
const FLOOR = 'durable calls alone, stand-ins';

function print(
  bench: HttpBench,
  run: { connections: number; seconds: number; warmupSeconds: number; rate: number; note: string; standInDocs: string },
  saturation: Measured[],
  paced: Measured[],
): void {
  const rps = (r: Measured) => r.requests / r.seconds;
  const bare = saturation.find((r) => r.scenario === 'bare function');
  const stockBare = saturation.find((r) => r.scenario === STOCK_BARE);
  const floor = saturation.find((r) => r.scenario === FLOOR);
  const row = (r: Measured, ratio: boolean) => [
    r.scenario,
    r.load,
    fmt(rps(r), 0),
    fmt(r.p50Ms, 2),
    fmt(r.p99Ms, 2),
    ratio && bare ? fmt(rps(r) / rps(bare), 2) : '-',
    fmt(r.fnCpuUs, 0),
    ratio && bare ? fmt(bare.fnCpuUs / r.fnCpuUs, 2) : '-',
    fmt(r.servicesCpuUs, 0),
    ...gcCells(r),
    String(r.errors),
  ];
  const header = ROW_HEADER;
  process.stdout.write(
    `zoom-webhook: distinct signed events, ${run.connections} keep-alive connections; saturation ${run.seconds} s ` +
      `per row after ${run.warmupSeconds} s warm-up (and a first pass of ${run.warmupSeconds} s over every row); ` +
      `paced ${run.rate}/s for ${run.seconds} s; Node ` +
      `${process.version}\n` +
      `where: ${bench.placement}\n` +
      `${bench.sizing()}\n` +
      `note: "stand-ins" = Firestore (local/firestore/) and Pub/Sub stand-ins in their own process (event-key ` +
      `documents already in the stand-in: ${run.standInDocs}); ` +
      `"Firestore in memory" = same function, document store in memory, Pub/Sub still the stand-in (the function's ` +
      `own cost); "${FLOOR}" = create, publish and mark published per event through the same adapters, nothing else ` +
      `(no implementation making those calls exceeds its ratio); ` +
      `"vs bare" = throughput / bare function (on the same kind of server as the row), same process, same events, same load; ` +
      `"fn CPU vs bare" = bare's CPU per request / this row's in the functions' process (the throughput ratio the ` +
      `function's own CPU allows on a core of its own; req/s falls below it when the stand-ins or other work limit); ` +
      `${GC_NOTE}; paced latency counts from each event's scheduled arrival; errors = non-2xx and socket errors; logs at info ` +
      `level to a discarded stdout; ${run.note}\n\n` +
      `${formatTable(header, [...saturation.map((r) => row(r, true)), ...paced.map((r) => row(r, false))])}\n\n`,
  );
  const verdicts = paced
    .filter((p) => !p.scenario.startsWith('bare'))
    .map((p) => {
      const r = saturation.find((x) => x.scenario === p.scenario);
      const throughput = r
        ? throughputVerdict(r, { bare, stockBare, floor: r.scenario.includes('stand-ins') ? floor : undefined })
        : 'not measured (--paced-only)';
      const atSaturation = r ? `, ${fmt(r.p99Ms, 1)} ms at saturation` : '';
      if (p.scenario === FLOOR) return `${p.scenario}: throughput ${throughput}; p99 ${fmt(p.p99Ms, 1)} ms at ${run.rate}/s`;
      return (
        `${p.scenario}: throughput ${throughput}; ack p99 ${fmt(p.p99Ms, 1)} ms at ${run.rate}/s (target ≤ 50 ` +
        `ms: ${p.p99Ms <= 50 ? 'met' : 'NOT met'})${atSaturation}`
      );
    });
  process.stdout.write(`${verdicts.join('\n')}\n`);
}
