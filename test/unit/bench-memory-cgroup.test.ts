/**
 * The benchmarks' memory cgroup (bench/_memory-cgroup.ts): a process started in it sees the
 * instance's memory limit, as Node on a deployed instance would, and V8 sizes its heap from
 * it; the cgroup goes away with the process. Where the machine does not allow one, the reason
 * is given instead (and the bench prints that the function was not limited).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { createMemoryCgroup, inCgroup } from '../../bench/_memory-cgroup';

const run = promisify(execFile);
const MiB = 2 ** 20;
const PROBE =
  'const v8 = require("v8"); process.stdout.write(JSON.stringify({ limit: process.constrainedMemory(), heap: v8.getHeapStatistics().heap_size_limit }))';

describe('bench memory cgroup', () => {
  it('a process started in it sees the limit and V8 sizes its heap from it; removed afterwards (or the reason it cannot be made)', async () => {
    const made = createMemoryCgroup(`ccbridge-test-${process.pid}`, 512 * MiB);
    if ('unavailable' in made) {
      // Not root, or no memory controller: the reason names what was tried.
      expect(made.unavailable).toMatch(/cgroup v1: .+; cgroup v2/);
      return;
    }
    try {
      expect(made.description).toMatch(/^cgroup v[12], 512 MiB$/);
      const { command, args } = inCgroup(made, process.execPath, ['-e', PROBE]);
      const inside = JSON.parse((await run(command, args, { timeout: 30_000 })).stdout) as { limit: number; heap: number };
      const outside = JSON.parse((await run(process.execPath, ['-e', PROBE], { timeout: 30_000 })).stdout) as { limit: number; heap: number };
      expect(inside.limit).toBe(512 * MiB);
      // At 512 MiB Node gives V8 a heap limit of about half the memory (259 MB on Node 22.23),
      // far below what it gives on this machine unconstrained.
      expect(inside.heap).toBeLessThan(512 * MiB);
      expect(inside.heap).toBeLessThan(outside.heap);
      expect(made.peakBytes()).toBeGreaterThan(0);
    } finally {
      made.remove();
    }
    expect(existsSync(dirname(made.procsFile))).toBe(false);
  });

  it('a limit the kernel refuses leaves no cgroup behind', () => {
    const made = createMemoryCgroup(`ccbridge-test-${process.pid}-bad`, Number.NaN);
    if ('unavailable' in made) expect(made.unavailable).toMatch(/memory\.(limit_in_bytes|max)|cgroup v/);
    else {
      made.remove();
      throw new Error(`the kernel took a limit of NaN bytes (${made.description})`);
    }
  });
});
