/**
 * The interaction worker as an instance the chaos run can really crash: a Node process of
 * its own (./worker-process) on a port it shares (SO_REUSEPORT) with whatever replaces it.
 * `crash()` starts the replacement, waits until it listens, then SIGKILLs the running
 * instance — no handler runs, no finally block, its sockets are cut by the kernel: uploads
 * and downloads in flight end mid-stream, and Pub/Sub sees its pushes fail and redelivers
 * them (to the replacement), as when Cloud Functions loses an instance. An exit nobody
 * asked for is counted (and the instance replaced so the run can finish and report it).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../shared/config';
import type { WorkerStart } from './worker-process';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerPool {
  /** The push endpoint: the same for every instance. */
  readonly url: string;
  readonly pid: number;
  /** Instances killed by `crash()`. */
  readonly crashes: number;
  /** Instances that ended without being asked to (each is a finding). */
  readonly unexpectedExits: string[];
  /** Starts a replacement, then SIGKILLs the running instance; resolves once it is gone. */
  crash(): Promise<{ killedPid: number; replacementPid: number }>;
  stop(): Promise<void>;
}

/** A free loopback port (the instances bind it with SO_REUSEPORT). */
export async function reservePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface Instance {
  child: ChildProcess;
  exited: Promise<void>;
  killedOnPurpose: boolean;
}

export async function startWorkerPool(options: { env: Env; port: number; logFile: string; startTimeoutMs?: number }): Promise<WorkerPool> {
  const log = openSync(options.logFile, 'a');
  const unexpectedExits: string[] = [];
  let crashes = 0;
  let stopping = false;
  let replacing: Promise<Instance> | undefined;

  const launch = async (): Promise<Instance> => {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', log, log, 'ipc'],
    });
    child.send({ env: options.env, port: options.port } satisfies WorkerStart);
    const instance: Instance = {
      child,
      killedOnPurpose: false,
      exited: new Promise<void>((resolve) => child.once('exit', () => resolve())),
    };
    child.once('exit', (code, signal) => {
      if (instance.killedOnPurpose || stopping) return;
      unexpectedExits.push(`pid ${child.pid}: ${signal ? `signal ${signal}` : `exit code ${code}`}`);
      // Keep a worker running so the run can finish (and report this exit).
      if (current === instance)
        replacing ??= launch().then((next) => {
          current = next;
          replacing = undefined;
          return next;
        });
    });
    const timeoutMs = options.startTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        new Promise<void>((resolve) => child.once('message', () => resolve())),
        instance.exited.then(() => {
          throw new Error(`worker process ended before it was ready:\n${tail(options.logFile)}`);
        }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`worker process not ready within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } catch (err) {
      instance.killedOnPurpose = true;
      child.kill('SIGKILL');
      throw err;
    } finally {
      clearTimeout(timer);
    }
    return instance;
  };
  let current: Instance = await launch();

  return {
    url: `http://127.0.0.1:${options.port}/interaction-worker`,
    get pid() {
      return current.child.pid ?? -1;
    },
    get crashes() {
      return crashes;
    },
    unexpectedExits,
    async crash() {
      if (replacing) await replacing;
      const victim = current;
      const replacement = await launch();
      current = replacement;
      victim.killedOnPurpose = true;
      victim.child.kill('SIGKILL');
      await victim.exited;
      crashes++;
      return { killedPid: victim.child.pid ?? -1, replacementPid: replacement.child.pid ?? -1 };
    },
    async stop() {
      stopping = true;
      if (replacing) await replacing.catch(() => undefined);
      current.child.kill('SIGTERM');
      const killed = await Promise.race([current.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5_000).unref())]);
      if (!killed) {
        current.child.kill('SIGKILL');
        await current.exited;
      }
      closeSync(log);
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '';
  }
}
