/**
 * What the two HTTP benchmarks share: three processes (the Google stand-ins, the functions,
 * the load generator), each scenario measured the same way, CPU time per request of each
 * process read from /proc, and one table.
 *
 * Placement: when `taskset` works, the functions' process gets CPU 0 to itself (one vCPU,
 * like a function instance) and the stand-ins and the load generator share CPU 1 — so the
 * bare function and the real one have the same core, and what the stand-ins burn cannot
 * slow the function down except by answering late. The bare function as the Framework ships
 * is a fourth process (./_stock-bare-process.ts), also on CPU 0 and idle while the other rows
 * run: what the entry files install acts on a whole process. `--no-pin` lets the OS schedule.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchedFunction, FunctionsProcessReady } from './_functions-process';
import { type HttpRequestSpec, type LoadResult, runPaced, runWrk, wrkAvailable, writeRequestFile } from './_load';
import { gcPerRequest } from './_gc-account';
import { type BenchProcess, canPin, startTsProcess } from './_processes';
import type { StockBareReady } from './_stock-bare-process';
import type { ExternalServices } from '../local/services';

export interface HttpBenchOptions {
  pin: boolean;
  /** Directory for --cpu-prof of the functions' process (profiles are written when it stops). */
  profileDir?: string | undefined;
  /** Every row on the Framework's stock server, not as deployed (bench/_functions-process.ts). */
  stockServer?: boolean | undefined;
}

export interface Measured extends LoadResult {
  scenario: string;
  load: string;
  /** CPU ms per request of the functions' process and of the stand-ins' process. */
  fnCpuUs: number;
  servicesCpuUs: number;
  /** GC pauses of the process serving the row: ms per 1 000 requests, and the longest one (./_gc-account). */
  fnGcMsPer1k: number;
  fnGcLongestMs: number;
}

export interface HttpBench {
  readonly fn: FunctionsProcessReady & {
    /** The bare function on the Framework's stock server, in a process of its own. */
    stockBareUrl: string;
  };
  readonly placement: string;
  /** Saturation: wrk over `connections` connections for `seconds` after `warmupSeconds` of the same. */
  saturate(s: { scenario: string; requests: () => HttpRequestSpec[]; connections: number; seconds: number; warmupSeconds: number }): Promise<Measured>;
  /** Paced: `count` requests at `rate`/s over `connections` connections. */
  pace(s: { scenario: string; requests: () => HttpRequestSpec[]; connections: number; rate: number; count: number }): Promise<Measured>;
  stop(): Promise<void>;
}

/** Fails with the install hint when wrk is missing (benches install nothing themselves). */
export function requireWrk(): boolean {
  if (wrkAvailable()) return true;
  process.stderr.write('wrk not found: this benchmark drives load with wrk. Install it with: apt-get install wrk\n');
  process.exitCode = 1;
  return false;
}

const STOCK_SERVER = "the Framework's stock server (--stock-server)";
const DEPLOYED_SERVER = "as deployed, requests born with Express's prototypes, no Node domain per request";

export async function startHttpBench(name: BenchedFunction, options: HttpBenchOptions): Promise<HttpBench> {
  const pin = options.pin && canPin();
  const fnCpus = pin ? '0' : undefined;
  const otherCpus = pin ? '1' : undefined;
  const dir = mkdtempSync(join(tmpdir(), `ccbridge-bench-${name}-`));
  const processes: Array<BenchProcess<unknown>> = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    processes.length = 0;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const services = await startTsProcess<ExternalServices>('../local/services.ts', { cpus: otherCpus });
    processes.push(services);
    const functions = await startTsProcess<FunctionsProcessReady>('./_functions-process.ts', {
      args: [name, JSON.stringify(services.ready), ...(options.stockServer ? ['stock'] : [])],
      cpus: fnCpus,
      readyVia: 'ipc',
      nodeArgs: options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [],
    });
    processes.push(functions);
    const stockBare = await startTsProcess<StockBareReady>('./_stock-bare-process.ts', { cpus: fnCpus, readyVia: 'ipc' });
    processes.push(stockBare);

    let files = 0;
    // The CPU of the process serving the row's URL.
    const measure = async (scenario: string, url: string, load: string, run: () => Promise<LoadResult>): Promise<Measured> => {
      const served = url.startsWith(stockBare.ready.url) ? stockBare : functions;
      const gc0 = await served.gcAccount();
      const cpu0 = [served.cpuMs(), services.cpuMs()] as const;
      const result = await run();
      const n = Math.max(1, result.requests);
      const cpu = { fnCpuUs: ((served.cpuMs() - cpu0[0]) * 1000) / n, servicesCpuUs: ((services.cpuMs() - cpu0[1]) * 1000) / n };
      const gc = gcPerRequest(gc0, await served.gcAccount(), result.requests);
      return { scenario, load, ...result, ...cpu, fnGcMsPer1k: gc.gcMsPer1k, fnGcLongestMs: gc.gcLongestMs };
    };
    const fileOf = (requests: HttpRequestSpec[]) => {
      const file = join(dir, `requests-${files++}.bin`);
      writeRequestFile(file, requests);
      return file;
    };

    return {
      fn: { ...functions.ready, stockBareUrl: stockBare.ready.url },
      placement:
        (pin
          ? 'functions: own process on CPU 0 (the stock bare function: another, idle in the other rows); ' +
            'stand-ins (Firestore, Pub/Sub, Storage): own process on CPU 1; load generator: own process on CPU 1'
          : 'functions, stock bare function, stand-ins, load generator: four processes, scheduled by the OS on 2 cores (not pinned)') +
        `; each row on a server of its own: ${options.stockServer ? STOCK_SERVER : DEPLOYED_SERVER}`,
      async saturate(s) {
        if (s.warmupSeconds > 0) {
          const warm = s.requests();
          await runWrk({ dir, url: warm[0]!.url, requestFile: fileOf(warm), connections: s.connections, seconds: s.warmupSeconds, cpus: otherCpus });
        }
        const requests = s.requests();
        const requestFile = fileOf(requests);
        return measure(s.scenario, requests[0]!.url, `wrk ${s.connections} conns`, () =>
          runWrk({ dir, url: requests[0]!.url, requestFile, connections: s.connections, seconds: s.seconds, cpus: otherCpus }),
        );
      },
      async pace(s) {
        const requests = s.requests();
        const requestFile = fileOf(requests);
        return measure(s.scenario, requests[0]!.url, `${s.rate}/s paced`, () =>
          runPaced({ url: requests[0]!.url, requestFile, connections: s.connections, rate: s.rate, count: s.count, cpus: otherCpus }),
        );
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The machine's load before the run: other work on these 2 cores skews every figure. */
export function machineNote(): string {
  const [one] = loadavg();
  const busy =
    one! > 0.5
      ? ' — other work is using these cores: req/s and latency are disturbed by it, CPU per request much less so'
      : ' (the machine was otherwise idle)';
  return `load average before the run ${one!.toFixed(2)}${busy}`;
}

export function formatTable(header: string[], rows: string[][]): string {
  const widths = header.map((_, i) => Math.max(header[i]!.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The columns both HTTP benches print, GC after CPU, and what the GC columns mean. */
export const ROW_HEADER = [
  'scenario',
  'load',
  'req/s',
  'p50 ms',
  'p99 ms',
  'vs bare',
  'fn CPU µs/req',
  'fn CPU vs bare',
  'stand-ins CPU µs/req',
  'fn GC ms/1k req',
  'fn GC max ms',
  'errors',
];
export const GC_NOTE = '"fn GC" = GC pauses of the process serving the row (minor and major) per 1 000 requests, and the longest one';
export function gcCells(r: Measured): string[] {
  return [fmt(r.fnGcMsPer1k, 0), fmt(r.fnGcLongestMs, 1)];
}
