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
 *
 * Sizing (`--sizing`): by default both function processes run as the benched function is
 * deployed (functions/functions.json "instance"): in a memory cgroup of its memory limit, where
 * the machine allows one (./_memory-cgroup), and the functions' process with the Node options
 * Terraform sets. `platform-default`: the 256M limit and Node's defaults, as the function was
 * deployed before it was sized; `none`: this machine's memory and Node's defaults.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryBytesOf, nodeOptionsOf, readFunctionManifest } from '../local/manifest';
import type { ExternalServices } from '../local/services';
import type { BenchedFunction, FunctionsProcessReady } from './_functions-process';
import { gcPerRequest } from './_gc-account';
import { type HttpRequestSpec, type LoadResult, runPaced, runWrk, writeRequestFile, wrkAvailable } from './_load';
import { createMemoryCgroup, type MemoryCgroup } from './_memory-cgroup';
import { type BenchProcess, canPin, startTsProcess } from './_processes';
import type { StockBareReady } from './_stock-bare-process';

export interface HttpBenchOptions {
  pin: boolean;
  /** Directory for --cpu-prof of the functions' process (profiles are written when it stops). */
  profileDir?: string | undefined;
  /** Every row on the Framework's stock server, not as deployed (bench/_functions-process.ts). */
  stockServer?: boolean | undefined;
  /** How the function processes are sized (above): a `--sizing` value, default 'deployed'. */
  sizing?: string | undefined;
}

const SIZINGS = ['deployed', 'platform-default', 'none'] as const;
type Sizing = (typeof SIZINGS)[number];

/** Terraform's default memory for a function without sizing (terraform/functions.tf function_defaults). */
const PLATFORM_DEFAULT_MEMORY = 256e6;

/** `--sizing` as given (default 'deployed'); throws naming the choices. */
function parseSizing(value: string | undefined): Sizing {
  if (value === undefined) return 'deployed';
  if ((SIZINGS as readonly string[]).includes(value)) return value as Sizing;
  throw new Error(`--sizing must be one of ${SIZINGS.join(', ')} (got ${JSON.stringify(value)})`);
}

/** The memory limit and Node options a sizing gives the benched function. */
function sizingOf(name: BenchedFunction, sizing: Sizing): { memoryBytes: number | undefined; nodeOptions: string[] } {
  if (sizing === 'none') return { memoryBytes: undefined, nodeOptions: [] };
  const instance = readFunctionManifest().find((f) => f.name === name)?.instance;
  if (sizing === 'platform-default' || instance === undefined) return { memoryBytes: PLATFORM_DEFAULT_MEMORY, nodeOptions: [] };
  return { memoryBytes: memoryBytesOf(instance), nodeOptions: nodeOptionsOf(instance) };
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
  /** The sizing the function processes got, and the functions' process's peak memory so far. */
  sizing(): string;
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
  const sizing = parseSizing(options.sizing);
  const dir = mkdtempSync(join(tmpdir(), `ccbridge-bench-${name}-`));
  const { memoryBytes, nodeOptions } = sizingOf(name, sizing);
  const cgroups: Record<'functions' | 'stockBare', MemoryCgroup | undefined> = { functions: undefined, stockBare: undefined };
  let notLimited: string | undefined;
  if (memoryBytes !== undefined) {
    for (const key of ['functions', 'stockBare'] as const) {
      const made = createMemoryCgroup(`ccbridge-bench-${process.pid}-${key}`, memoryBytes);
      if ('unavailable' in made) notLimited = made.unavailable;
      else cgroups[key] = made;
    }
  }
  const processes: Array<BenchProcess<unknown>> = [];
  const stop = async () => {
    for (const p of processes.reverse()) await p.stop().catch(() => undefined);
    processes.length = 0;
    for (const c of Object.values(cgroups)) c?.remove();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const services = await startTsProcess<ExternalServices>('../local/services.ts', { cpus: otherCpus });
    processes.push(services);
    const functions = await startTsProcess<FunctionsProcessReady>('./_functions-process.ts', {
      args: [name, JSON.stringify(services.ready), ...(options.stockServer ? ['stock'] : [])],
      cpus: fnCpus,
      readyVia: 'ipc',
      nodeArgs: [...nodeOptions, ...(options.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`] : [])],
      cgroup: cgroups.functions,
    });
    processes.push(functions);
    // As the Framework ships: the instance's memory, no options of ours.
    const stockBare = await startTsProcess<StockBareReady>('./_stock-bare-process.ts', { cpus: fnCpus, readyVia: 'ipc', cgroup: cgroups.stockBare });
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
      sizing: () => {
        const limit =
          memoryBytes === undefined
            ? "this machine's memory (--sizing none)"
            : cgroups.functions
              ? `memory limit ${cgroups.functions.description} (peak of the functions' process so far ${fmtMiB(cgroups.functions.peakBytes())})`
              : `NOT limited to ${fmtMiB(memoryBytes)}: no memory cgroup here (${notLimited}), ` +
                "so V8 sizes its heap from this machine's memory, not the instance's";
        return `sizing ${sizing}: ${limit}; functions' Node options: ${nodeOptions.join(' ') || "Node's defaults"}`;
      },
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
const fmtMiB = (bytes: number | undefined) => (bytes === undefined ? 'not kept by this kernel' : `${Math.round(bytes / 2 ** 20)} MiB`);

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
