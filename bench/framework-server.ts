/**
 * `npm run bench -- framework-server [--rounds 6] [--seconds 4] [--connections 50] [--hold-ms 5] [--no-pin]`
 *
 * What the entry files' changes to the Functions Framework's server save per request — requests
 * built with Express's prototypes (shared/http/framework-server.ts), no Node domain per request
 * (framework-domains.ts): the same function on the Framework's stock server (the baseline) and
 * on the server as deployed, each in a process of its own (what is installed acts on a whole
 * process), both pinned to the same CPU and loaded in turn, in alternating slices of `wrk` load
 * (small JSON POSTs, keep-alive connections; wrk on the other CPU), so drift on the machine falls
 * on both alike. Per setup, the median over the
 * rounds of: requests per second, the process's CPU per request (/proc, all threads), and the
 * main thread's garbage-collection pauses (PerformanceObserver): young-generation time per
 * 1 000 requests and the longest scavenge. Ratios are deployed / stock, same run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { FrameworkServerReady, GcSince } from './_framework-server-process';
import { fmt, formatTable, machineNote, median, requireWrk } from './_http-bench';
import { runWrk, writeRequestFile } from './_load';
import { canPin, startTsProcess } from './_processes';

interface Slice {
  rps: number;
  cpuUsPerRequest: number;
  scavengeMsPer1000: number;
  scavengeMaxMs: number;
  majorMsPer1000: number;
  p99Ms: number;
  errors: number;
}

export default async function main(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'hold-ms': { type: 'string' },
      'no-pin': { type: 'boolean' },
    },
    strict: true,
  });
  const rounds = Number(values.rounds ?? 6);
  const seconds = Number(values.seconds ?? 4);
  const connections = Number(values.connections ?? 50);
  const holdMs = Number(values['hold-ms'] ?? 5);
  if (!requireWrk()) return;
  const note = machineNote();
  const pin = !values['no-pin'] && canPin();
  const dir = mkdtempSync(join(tmpdir(), 'ccbridge-bench-framework-server-'));
  const start = (server: 'stock' | 'deployed') =>
    startTsProcess<FrameworkServerReady>('./_framework-server-process.ts', { args: [String(holdMs), server], cpus: pin ? '0' : undefined, readyVia: 'ipc' });
  const servers = [await start('stock')];
  try {
    servers.push(await start('deployed'));
    const setups = [
      { name: "stock (the Framework's http.createServer(app))", server: servers[0]!, url: servers[0]!.ready.url },
      { name: "as deployed (Express's prototypes, no domains)", server: servers[1]!, url: servers[1]!.ready.url },
    ];
    const files = setups.map((s, i) => {
      const file = join(dir, `requests-${i}.bin`);
      const body = JSON.stringify({
        event: 'contact_center.recording_completed',
        event_ts: 1_764_844_800_000,
        payload: { account_id: 'acct', object: { engagement_id: 'eng-1', recording_id: 'rec-1' } },
      });
      writeRequestFile(file, [{ method: 'POST', url: `${s.url}/`, headers: { 'content-type': 'application/json' }, body }]);
      return file;
    });
    const gcSince = async (i: number) => (await (await fetch(setups[i]!.server.ready.gcUrl)).json()) as GcSince;
    const slice = async (i: number): Promise<Slice> => {
      const { server } = setups[i]!;
      await gcSince(i);
      const cpuBefore = server.cpuMs();
      const load = await runWrk({ dir, url: setups[i]!.url, requestFile: files[i]!, connections, seconds, cpus: pin ? '1' : undefined });
      const cpuMs = server.cpuMs() - cpuBefore;
      const gc = await gcSince(i);
      const n = Math.max(1, load.requests);
      return {
        rps: load.requests / load.seconds,
        cpuUsPerRequest: (cpuMs * 1000) / n,
        scavengeMsPer1000: (gc.scavengeMs * 1000) / n,
        scavengeMaxMs: gc.scavengeMaxMs,
        majorMsPer1000: (gc.majorMs * 1000) / n,
        p99Ms: load.p99Ms,
        errors: load.errors,
      };
    };
    // Warm-up: both setups, not measured.
    for (let i = 0; i < setups.length; i++) {
      await runWrk({ dir, url: setups[i]!.url, requestFile: files[i]!, connections, seconds: 2, cpus: pin ? '1' : undefined });
    }
    const measured: Slice[][] = setups.map(() => []);
    for (let r = 0; r < rounds; r++) {
      // Alternate which setup goes first, so neither always follows the other's garbage.
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      for (const i of order) measured[i]!.push(await slice(i));
    }
    print({ rounds, seconds, connections, holdMs, note, pin }, setups, measured);
  } finally {
    for (const server of servers) await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

function print(
  run: { rounds: number; seconds: number; connections: number; holdMs: number; note: string; pin: boolean },
  setups: Array<{ name: string }>,
  measured: Slice[][],
): void {
  const keys: Array<[keyof Slice, string, number]> = [
    ['rps', 'req/s', 0],
    ['cpuUsPerRequest', 'CPU µs/req', 0],
    ['scavengeMsPer1000', 'scavenge ms per 1000 req', 1],
    ['scavengeMaxMs', 'longest scavenge ms', 1],
    ['majorMsPer1000', 'major GC ms per 1000 req', 1],
    ['p99Ms', 'p99 ms', 1],
  ];
  const med = measured.map((slices) => Object.fromEntries(keys.map(([k]) => [k, median(slices.map((s) => s[k]))])) as Record<keyof Slice, number>);
  const rows = setups.map((s, i) => [s.name, ...keys.map(([k, , d]) => fmt(med[i]![k], d)), String(measured[i]!.reduce((a, x) => a + x.errors, 0))]);
  rows.push(['deployed / stock', ...keys.map(([k]) => fmt(med[1]![k] / med[0]![k], 2)), '']);
  const ranges = setups.map(
    (s, i) =>
      `${s.name}: req/s ${fmt(Math.min(...measured[i]!.map((x) => x.rps)), 0)}–${fmt(Math.max(...measured[i]!.map((x) => x.rps)), 0)}, ` +
      `CPU µs/req ${fmt(Math.min(...measured[i]!.map((x) => x.cpuUsPerRequest)), 0)}–${fmt(Math.max(...measured[i]!.map((x) => x.cpuUsPerRequest)), 0)}`,
  );
  process.stdout.write(
    `framework-server: one Functions Framework function (JSON body in, ${run.holdMs} ms hold, JSON out) on two servers, a ` +
      `process each${run.pin ? ', both pinned to CPU 0 (wrk on CPU 1)' : ' (not pinned)'}; ${run.rounds} rounds of ${run.seconds} s ` +
      `wrk slices per server at ${run.connections} keep-alive connections, alternated; medians; Node ${process.version}; ${run.note}\n\n` +
      `${formatTable(['server', ...keys.map(([, h]) => h), 'errors'], rows)}\n\nranges over the rounds — ${ranges.join('; ')}\n`,
  );
}
