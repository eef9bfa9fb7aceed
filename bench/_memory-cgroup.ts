/**
 * A memory cgroup for a benchmark process, so that it runs with the memory limit its instance
 * is deployed with (functions/functions.json "instance"). The limit matters beyond OOM: Node
 * sizes V8's heap from the memory limit it sees (`process.constrainedMemory()`), and at 512 MiB
 * V8's semi-spaces default to 1 MiB against 16 MiB on an unconstrained 64-bit machine
 * (docs/contracts/google-cloud.md §12) — a bench without the limit measures another GC.
 *
 * cgroup v1 (`/sys/fs/cgroup/memory`) or v2 (a cgroup2 mount whose root delegates the memory
 * controller); needs the right to create a cgroup there (root, usually). Where that is not
 * possible the reason is returned and the caller reports the process as not limited.
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface MemoryCgroup {
  /** "cgroup v1, 512 MiB" */
  readonly description: string;
  /** The file a process writes its pid to, to join. */
  readonly procsFile: string;
  /** The most memory the cgroup's processes used at once, in bytes (undefined where the kernel does not keep it). */
  peakBytes(): number | undefined;
  /** Removes the cgroup (once its processes have exited); never throws. */
  remove(): void;
}

const readNumber = (file: string): number | undefined => {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
};

/** Where a cgroup2 hierarchy is mounted, from /proc/self/mounts. */
function cgroup2Mount(): string | undefined {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .map((line) => line.split(' '))
      .find((f) => f[2] === 'cgroup2')?.[1];
  } catch {
    return undefined;
  }
}

/** A new memory cgroup limited to `bytes`, or why there cannot be one. */
export function createMemoryCgroup(name: string, bytes: number): MemoryCgroup | { unavailable: string } {
  const mib = `${Math.round(bytes / 2 ** 20)} MiB`;
  const attempts: string[] = [];
  const make = (dir: string, limitFile: string, peakFile: string, kind: string): MemoryCgroup | undefined => {
    try {
      mkdirSync(dir);
    } catch (err) {
      attempts.push(`${kind}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      return undefined;
    }
    try {
      writeFileSync(join(dir, limitFile), String(bytes));
    } catch (err) {
      attempts.push(`${kind}: ${limitFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      rmdirSync(dir);
      return undefined;
    }
    return {
      description: `${kind}, ${mib}`,
      procsFile: join(dir, 'cgroup.procs'),
      peakBytes: () => readNumber(join(dir, peakFile)),
      remove: () => {
        try {
          rmdirSync(dir);
        } catch {
          // Still has a process (it is being killed) or already gone: the kernel frees it with the last one.
        }
      },
    };
  };

  const v1 = '/sys/fs/cgroup/memory';
  if (readNumber(join(v1, 'memory.limit_in_bytes')) !== undefined) {
    const made = make(join(v1, name), 'memory.limit_in_bytes', 'memory.max_usage_in_bytes', 'cgroup v1');
    if (made) return made;
  } else attempts.push('cgroup v1: no memory controller mounted');

  const v2 = cgroup2Mount();
  if (v2 === undefined) attempts.push('cgroup v2: not mounted');
  else {
    const delegated = (() => {
      try {
        return readFileSync(join(v2, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory');
      } catch {
        return false;
      }
    })();
    if (!delegated) attempts.push(`cgroup v2 (${v2}): the memory controller is not enabled for child groups`);
    else {
      const made = make(join(v2, name), 'memory.max', 'memory.peak', 'cgroup v2');
      if (made) return made;
    }
  }
  return { unavailable: attempts.join('; ') };
}

/** `command args` started inside `cgroup`: a shell joins it, then execs the command (same pid). */
export function inCgroup(cgroup: MemoryCgroup | undefined, command: string, args: string[]): { command: string; args: string[] } {
  return cgroup === undefined ? { command, args } : { command: '/bin/sh', args: ['-c', 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, command, ...args] };
}
