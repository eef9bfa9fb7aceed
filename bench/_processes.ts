/**
 * Separate processes for the HTTP benchmarks: a TypeScript entry started in a Node process
 * of its own (optionally pinned to CPUs), its ready line read as JSON, CPU time read from
 * /proc, and a stop that never leaves it behind. Children watch their stdin: when this
 * process dies, the pipe closes and they stop too.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { askGcAccount, type GcAccount } from './_gc-account';
import { inCgroup, type MemoryCgroup } from './_memory-cgroup';

export interface BenchProcess<Ready> {
  readonly pid: number;
  readonly ready: Ready;
  /** User + system CPU time of the process (all its threads) so far, in ms. */
  cpuMs(): number;
  /** Its GC pauses so far (./_gc-account), if it keeps an account (IPC processes that call keepGcAccount). */
  gcAccount(): Promise<GcAccount | undefined>;
  stop(): Promise<void>;
}

/** True when `taskset` can pin processes on this machine. */
export function canPin(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The command to run `args`, pinned to `cpus` (e.g. "0") when given. */
export function pinned(cpus: string | undefined, command: string, args: string[]): { command: string; args: string[] } {
  return cpus === undefined ? { command, args } : { command: 'taskset', args: ['-c', cpus, command, ...args] };
}

export interface TsProcessOptions {
  args?: string[];
  cpus?: string | undefined;
  nodeArgs?: string[];
  /** Started inside this memory cgroup (./_memory-cgroup), removed when the process stops. */
  cgroup?: MemoryCgroup | undefined;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /**
   * 'stdout': the ready JSON is the first stdout line (later lines go to `onOutput`);
   * 'ipc': it is the first IPC message, and stdout is discarded — a function's log lines
   * are written as in production (to a descriptor nobody parses) at no cost to this process.
   */
  readyVia?: 'stdout' | 'ipc';
  /** stderr lines (default: to this process's stderr). */
  onOutput?: (line: string) => void;
}

/** Runs `entry` (a .ts file, resolved from this directory) with tsx in a new Node process and waits for its ready JSON. */
export async function startTsProcess<Ready>(entry: string, options: TsProcessOptions = {}): Promise<BenchProcess<Ready>> {
  const file = fileURLToPath(new URL(entry, import.meta.url));
  const run = pinned(options.cpus, process.execPath, [...(options.nodeArgs ?? []), '--import', 'tsx', file, ...(options.args ?? [])]);
  const { command, args } = inCgroup(options.cgroup, run.command, run.args);
  const viaIpc = options.readyVia === 'ipc';
  const child = spawn(command, args, { stdio: viaIpc ? ['pipe', 'ignore', 'pipe', 'ipc'] : ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env });
  const output = options.onOutput ?? ((line: string) => process.stderr.write(`${line}\n`));
  createInterface({ input: child.stderr! }).on('line', output);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const timeoutMs = options.timeoutMs ?? 60_000;
  const ready = await new Promise<Ready>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${entry}: not ready after ${timeoutMs} ms`)), timeoutMs);
    const accept = (value: Ready) => {
      clearTimeout(timer);
      resolve(value);
    };
    if (viaIpc) child.once('message', (message) => accept(message as Ready));
    else {
      let first = true;
      createInterface({ input: child.stdout! }).on('line', (line) => {
        if (!first) return output(line);
        first = false;
        try {
          accept(JSON.parse(line) as Ready);
        } catch {
          reject(new Error(`${entry}: expected a JSON ready line, got: ${line.slice(0, 200)}`));
        }
      });
    }
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code}) before it was ready`));
    });
  }).catch(async (err: unknown) => {
    await stopChild(child, exited);
    options.cgroup?.remove();
    throw err;
  });

  // taskset and the cgroup's shell exec the command, so the pid is Node's either way.
  const pid = child.pid!;
  const gcAccount = () => (viaIpc ? askGcAccount(child) : Promise.resolve(undefined));
  const stop = async () => {
    await stopChild(child, exited);
    options.cgroup?.remove();
  };
  return { pid, ready, cpuMs: () => processCpuMs(pid), gcAccount, stop };
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000).unref())]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

const CLOCK_TICKS_PER_S = 100;

/** utime + stime of a process from /proc/<pid>/stat, in ms (NaN where /proc is unavailable). */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/**
 * Makes a script entry stop cleanly: on SIGTERM/SIGINT, or when stdin (a pipe from the
 * bench) closes, runs `stop` and exits.
 */
export function stopOnSignalOrParentExit(stop: () => Promise<void>): void {
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 8_000);
    force.unref();
    await stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.stdin.on('end', () => void shutdown());
  process.stdin.on('error', () => void shutdown());
  process.stdin.resume();
}
