/**
 * Starts scripts/fuzz/stack-process.ts as a child process and talks to it: every line it
 * writes to stdout or stderr is kept whole (the log checks read them), commands go over IPC,
 * and an exit before `stop()` is recorded as a crash.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, CommandResults, ChildMessage, ReadyMessage } from './stack-protocol';

export interface LogLine {
  stream: 'stdout' | 'stderr';
  text: string;
}

export interface StackProcess {
  readonly ready: ReadyMessage;
  readonly pid: number;
  /** Every complete line written so far. */
  readonly logs: LogLine[];
  /** Set when the process ended on its own (a crash): code or signal. */
  exited(): string | undefined;
  call<C extends Command>(command: C): Promise<CommandResults[C['command']]>;
  /** Stops the stack and waits for the process to end (killed after a grace period). */
  stop(): Promise<void>;
}

const STACK_SCRIPT = fileURLToPath(new URL('./stack-process.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export async function startStackProcess(options: { startTimeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<StackProcess> {
  // Node itself runs the script (tsx as a loader), so the IPC channel is the child's own.
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', STACK_SCRIPT], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env, PORT: '0', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logs: LogLine[] = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let pending = '';
    child[stream]!.setEncoding('utf8');
    child[stream]!.on('data', (chunk: string) => {
      pending += chunk;
      let nl = pending.indexOf('\n');
      while (nl >= 0) {
        logs.push({ stream, text: pending.slice(0, nl) });
        pending = pending.slice(nl + 1);
        nl = pending.indexOf('\n');
      }
    });
    child[stream]!.on('end', () => {
      if (pending.length > 0) logs.push({ stream, text: pending });
      pending = '';
    });
  }

  let exitedAs: string | undefined;
  let stopping = false;
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) exitedAs = signal ? `signal ${signal}` : `exit code ${code}`;
      resolve();
    });
  });

  let nextId = 1;
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let readyResolve: (m: ReadyMessage) => void = () => undefined;
  const readyPromise = new Promise<ReadyMessage>((resolve) => {
    readyResolve = resolve;
  });
  child.on('message', (raw: unknown) => {
    const message = raw as ChildMessage;
    if (message.type === 'ready') readyResolve(message);
    else if (message.type === 'reply') {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.ok) w?.resolve(message.value);
      else w?.reject(new Error(message.error));
    }
  });
  void exitPromise.then(() => {
    for (const w of waiting.values()) w.reject(new Error(`stack process ended (${exitedAs ?? 'stopped'})`));
    waiting.clear();
  });

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const ready = await Promise.race([
    readyPromise,
    exitPromise.then(() => {
      throw new Error(
        `stack process ended before it was ready (${exitedAs}):\n${logs
          .map((l) => l.text)
          .slice(-20)
          .join('\n')}`,
      );
    }),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`stack process not ready within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => clearTimeout(timer));

  const call = <C extends Command>(command: C): Promise<CommandResults[C['command']]> =>
    new Promise((resolve, reject) => {
      if (!child.connected) {
        reject(new Error(`stack process is gone (${exitedAs ?? 'disconnected'})`));
        return;
      }
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.send({ type: 'request', id, body: command });
    });

  return {
    ready,
    pid: child.pid!,
    logs,
    exited: () => exitedAs,
    call,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        await call({ command: 'stop' }).catch(() => child.kill('SIGTERM'));
        await exitPromise;
      } finally {
        clearTimeout(kill);
      }
    },
  };
}
