/**
 * V8's background work yields the CPU to the thread that serves requests.
 *
 * Besides the main thread, a Node process starts V8's platform workers (4 unless
 * `--v8-pool-size` says otherwise), on which V8 runs its background jobs: optimising
 * compilation (TurboFan) and the concurrent and parallel parts of garbage collection. On an
 * instance with one CPU they share it with the main thread at the same priority, and the
 * scheduler gives every runnable thread an equal share: while four compile jobs run, the main
 * thread gets a fifth of the CPU and every request in flight waits. Measured on the webhook at
 * 100 events/s with its process on one CPU (issue #15, `npm run bench -- zoom-webhook`): the
 * slow answers came in bursts in which the workers ran TurboFan jobs for tens of milliseconds
 * while the main thread, runnable, waited. None of that work is urgent — the code being
 * optimised already runs, and the main thread does GC work itself when it needs it done — so:
 *  - V8's workers get nice 5: against a runnable main thread a worker gets about a quarter of
 *    the CPU (weights 335 and 1024), and when the main thread waits they have it to themselves;
 *  - at most as many TurboFan jobs run at once as there are CPUs beside the main thread's, and
 *    at least one (V8's `--concurrent-turbofan-max-threads`, which V8 12 reads each time it
 *    sizes its compile job; unbounded by default): a compile job then costs the requests in
 *    flight ≈ 25 % of a CPU instead of ≈ 80 % for four;
 *  - except while the main thread is saturated (event-loop utilization ≥ 0.8 over half a
 *    second, until it falls to 0.5): then latency is queueing, what the requests need is
 *    optimised code soon, and TurboFan gets every worker again (four jobs at nice 5: ≈ 57 % of
 *    the CPU). The nice value itself cannot go back — raising a thread's priority needs
 *    privilege — but the number of compile jobs can.
 * Measured (functions/zoom-webhook/README.md, "Background threads"): nice 19 alone starved
 * optimisation under saturation and nice 5 with the bound alone made warm-up slow (8-second
 * saturation rows 15–40 % lower); with the governor the saturation rows are as before.
 *
 * Linux keeps a nice value per thread and lets a process lower the priority of its own threads
 * without privilege (docs/contracts/google-cloud.md §11). Only the threads Node leaves named
 * `node` other than the main one are changed: V8's workers and one idle thread of Node's own
 * (a `worker_threads` Worker started before the call would be too; this bundle starts none).
 * libuv's thread pool (`libuv-worker`: file system, DNS, crypto jobs the main thread waits for)
 * and Node's `DelayedTaskScheduler` keep their priority, and threads started later inherit the
 * main thread's. A libuv older than 1.50 leaves its pool's threads named `node` too, so there
 * the priorities stay as they are. Elsewhere — no /proc, a sandbox that refuses or ignores
 * `setpriority` (gVisor, Cloud Run's first-generation environment, stores it and schedules
 * without it) — nothing fails: the report says what happened.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, setPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

/** The nice value given to V8's workers: about a quarter of the CPU each against a busy serving thread. */
export const BACKGROUND_NICE = 5;

/** The name Node leaves on its own helper threads (a thread's `comm`). */
const NODE_THREAD_NAME = 'node';

/** The first libuv that names its thread pool's threads (`libuv-worker`); before it they are `node` too. */
const LIBUV_NAMING_POOL_THREADS = [1, 50, 0] as const;

/** The process's threads as Linux lists them, by thread id. */
export interface ThreadTable {
  /** Thread ids of this process (throws where there is no /proc). */
  ids(): number[];
  /** The thread's name, or undefined once it has exited. */
  name(tid: number): string | undefined;
}

export interface YieldReport {
  /** The most TurboFan jobs V8 runs at once while the event loop is not saturated (undefined: V8 refused the bound). */
  turbofanThreads?: number;
  /** Threads given BACKGROUND_NICE by this call. */
  lowered: number;
  /** Background threads that could not be changed (exited meanwhile, or refused). */
  failed: number;
  /** Why nothing or not everything changed, when something did not. */
  reason?: string;
}

export interface YieldOptions {
  threads?: ThreadTable;
  setThreadPriority?: (tid: number, nice: number) => void;
  /** The main thread's id (Linux: the process id). */
  mainThread?: number;
  /** libuv's version (`process.versions.uv`). */
  libuvVersion?: string;
  /** CPUs the process may use (`os.availableParallelism()`). */
  cpus?: number;
  setV8Flags?: (flags: string) => void;
}

const procThreads: ThreadTable = {
  ids: () => readdirSync('/proc/self/task').map(Number),
  name: (tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'latin1').trim();
    } catch {
      return undefined;
    }
  },
};

const DONE = Symbol.for('ccbridge.backgroundThreads.yielded');

/**
 * Bounds V8's concurrent optimisation and lowers its workers' priority, once per process (a
 * second call changes nothing). Never throws.
 */
export function yieldBackgroundThreads(options: YieldOptions = {}): YieldReport {
  const holder = process as unknown as Record<symbol, YieldReport | undefined>;
  const injected = options.threads !== undefined || options.setThreadPriority !== undefined || options.setV8Flags !== undefined;
  if (!injected && holder[DONE]) return { lowered: 0, failed: 0, reason: 'already done in this process' };
  const turbofanThreads = Math.max(1, (options.cpus ?? availableParallelism()) - 1);
  let bounded: string | undefined;
  try {
    (options.setV8Flags ?? setFlagsFromString)(`--concurrent-turbofan-max-threads=${turbofanThreads}`);
  } catch (err) {
    bounded = `V8 refused the TurboFan thread bound (${codeOf(err)})`;
  }
  const lowered = lowerIfNamed(options);
  if (!injected && bounded === undefined) startLoadGovernor(turbofanThreads);
  const reason = [bounded, lowered.reason].filter((r) => r !== undefined).join('; ');
  const report: YieldReport = {
    ...(bounded === undefined ? { turbofanThreads } : {}),
    lowered: lowered.lowered,
    failed: lowered.failed,
    ...(reason ? { reason } : {}),
  };
  if (!injected) holder[DONE] = report;
  return report;
}

function lowerIfNamed(options: YieldOptions): YieldReport {
  const libuv = options.libuvVersion ?? process.versions.uv;
  if (!namesPoolThreads(libuv)) return { lowered: 0, failed: 0, reason: `libuv ${libuv} leaves its pool's threads unnamed: they cannot be told from V8's` };
  return lowerHelperThreads(options.threads ?? procThreads, options.setThreadPriority ?? setPriority, options.mainThread ?? process.pid);
}

function lowerHelperThreads(threads: ThreadTable, setThreadPriority: (tid: number, nice: number) => void, mainThread: number): YieldReport {
  let ids: number[];
  try {
    ids = threads.ids();
  } catch (err) {
    return { lowered: 0, failed: 0, reason: `cannot list the process's threads (${codeOf(err)})` };
  }
  let lowered = 0;
  let failed = 0;
  let firstError: string | undefined;
  for (const tid of ids) {
    if (tid === mainThread || threads.name(tid) !== NODE_THREAD_NAME) continue;
    try {
      setThreadPriority(tid, BACKGROUND_NICE);
      lowered++;
    } catch (err) {
      failed++;
      firstError ??= `setpriority refused (${codeOf(err)})`;
    }
  }
  if (firstError !== undefined) return { lowered, failed, reason: firstError };
  return lowered === 0 ? { lowered, failed, reason: 'no helper thread named node' } : { lowered, failed };
}

function namesPoolThreads(version: string | undefined): boolean {
  const parts = (version ?? '').split('.').map(Number);
  for (let i = 0; i < LIBUV_NAMING_POOL_THREADS.length; i++) {
    const have = parts[i] ?? 0;
    if (!Number.isInteger(have)) return false;
    if (have !== LIBUV_NAMING_POOL_THREADS[i]) return have > LIBUV_NAMING_POOL_THREADS[i]!;
  }
  return true;
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : err instanceof Error ? err.message : String(err);
}

/** Event-loop utilization at or above which the process counts as saturated, and at or below which it no longer does. */
export const SATURATED = 0.8;
export const UNSATURATED = 0.5;
/** How often the governor looks at the event loop. */
const GOVERNOR_PERIOD_MS = 500;

/**
 * While the main thread is saturated, latency is queueing and what it needs is optimised code
 * soon: TurboFan may use every worker (V8's own default). Once it is not, back to the bound.
 * The workers' nice value cannot be given back without privilege; the number of compile jobs
 * running at once can: four jobs at nice 5 get ≈ 57 % of the CPU while they run (as shipped,
 * four at nice 0: ≈ 80 %). A flag V8 refuses leaves the state as it was (tried again on the next
 * observation); nothing is thrown from the timer.
 */
export function createLoadGovernor(bound: number, setV8Flags: (flags: string) => void): { observe(utilization: number): void; saturated(): boolean } {
  let saturated = false;
  const set = (flags: string) => {
    try {
      setV8Flags(flags);
      return true;
    } catch {
      return false;
    }
  };
  return {
    observe(utilization) {
      if (!saturated && utilization >= SATURATED) saturated = set('--concurrent-turbofan-max-threads=0');
      else if (saturated && utilization <= UNSATURATED) saturated = !set(`--concurrent-turbofan-max-threads=${bound}`);
    },
    saturated: () => saturated,
  };
}

function startLoadGovernor(bound: number): void {
  const governor = createLoadGovernor(bound, setFlagsFromString);
  let last = performance.eventLoopUtilization();
  setInterval(() => {
    const now = performance.eventLoopUtilization();
    governor.observe(performance.eventLoopUtilization(now, last).utilization);
    last = now;
  }, GOVERNOR_PERIOD_MS).unref();
}
