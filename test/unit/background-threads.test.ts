/**
 * V8's helper threads get a lower priority, the main thread and libuv's pool keep theirs, and
 * TurboFan is bounded to the CPUs beside the main thread's (shared/background-threads.ts). In a
 * Node process of its own (test/support/background-threads-probe.ts), with the real /proc and
 * `setpriority`: which threads change, through the function and through the entry files, with
 * the pool started before and after. Then, with an injected thread table and V8 flag setter,
 * the bound's arithmetic and every way the change can fail to happen, none of which throws.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { BACKGROUND_NICE, createLoadGovernor, SATURATED, type ThreadTable, UNSATURATED, yieldBackgroundThreads } from '../../shared/background-threads';

const run = promisify(execFile);

interface ProbeResult {
  pid: number;
  first: unknown;
  second: { lowered: number; reason?: string };
  threads: Array<{ tid: number; name: string; nice: number }>;
}

async function probe(how: 'direct' | 'entry', pool: 'pool-first' | 'pool-after', nodeArgs: string[] = []): Promise<ProbeResult> {
  const args = [...nodeArgs, '--import', 'tsx', 'test/support/background-threads-probe.ts', how, pool];
  const { stdout } = await run(process.execPath, args, { timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as ProbeResult;
}

const onLinux = existsSync('/proc/self/task');

(onLinux ? describe : describe.skip)('in a Node process of its own (Linux /proc)', () => {
  test('the helper threads named node get nice 5; the main thread, DelayedTaskScheduler and the pool started before keep 0', async () => {
    const r = await probe('direct', 'pool-first');
    const main = r.threads.find((t) => t.tid === r.pid)!;
    const helpers = r.threads.filter((t) => t.tid !== r.pid && t.name === 'node');
    expect(main.nice).toBe(0);
    // V8's four platform workers (the default pool) and Node's other idle `node` thread, at least (here also tsx's
    // loader thread, a Worker started before the call: the case the module's comment names).
    expect(helpers.length).toBeGreaterThanOrEqual(5);
    expect(helpers.every((t) => t.nice === BACKGROUND_NICE)).toBe(true);
    expect(r.first).toEqual({ turbofanThreads: expect.any(Number), lowered: helpers.length, failed: 0 });
    const others = r.threads.filter((t) => t.name !== 'node');
    expect(others.map((t) => t.name)).toEqual(expect.arrayContaining(['DelayedTaskSche', 'libuv-worker']));
    expect(others.every((t) => t.nice === 0)).toBe(true);
  });

  test('a thread started after the call (the pool) inherits the main thread’s priority, and a second call changes nothing', async () => {
    const r = await probe('direct', 'pool-after');
    const pool = r.threads.filter((t) => t.name === 'libuv-worker');
    expect(pool.length).toBeGreaterThan(0);
    expect(pool.every((t) => t.nice === 0)).toBe(true);
    expect(r.second).toEqual({ lowered: 0, failed: 0, reason: 'already done in this process' });
  });

  test('the entry files do it before the Framework serves (startComposing)', async () => {
    const r = await probe('entry', 'pool-after');
    const helpers = r.threads.filter((t) => t.tid !== r.pid && t.name === 'node');
    expect(helpers.length).toBeGreaterThanOrEqual(5);
    expect(helpers.every((t) => t.nice === BACKGROUND_NICE)).toBe(true);
    expect(r.threads.find((t) => t.tid === r.pid)!.nice).toBe(0);
  });

  test('with --v8-pool-size=1 there are fewer helpers, and they are the ones lowered', async () => {
    const def = await probe('direct', 'pool-first');
    const one = await probe('direct', 'pool-first', ['--v8-pool-size=1']);
    const count = (r: ProbeResult) => r.threads.filter((t) => t.tid !== r.pid && t.name === 'node').length;
    expect(count(one)).toBe(count(def) - 3);
    expect(one.first).toEqual({ turbofanThreads: expect.any(Number), lowered: count(one), failed: 0 });
  });
});

/** A thread table of the given threads (tid → name; undefined: exited before its name was read). */
function table(threads: Record<number, string | undefined>): ThreadTable {
  return { ids: () => Object.keys(threads).map(Number), name: (tid) => threads[tid] };
}

const LIBUV = '1.51.0';
/** What the injected cases share: no V8 flag set in this process, two CPUs. */
const quiet = { setV8Flags: () => undefined, cpus: 2, libuvVersion: LIBUV };

describe('with an injected thread table', () => {
  test('only the threads named node other than the main one are changed, each to nice 5', () => {
    const calls: Array<[number, number]> = [];
    const report = yieldBackgroundThreads({
      threads: table({ 100: 'node', 101: 'DelayedTaskSche', 102: 'node', 103: 'node', 104: 'libuv-worker', 105: 'grpc-thread' }),
      setThreadPriority: (tid, nice) => void calls.push([tid, nice]),
      mainThread: 100,
      ...quiet,
    });
    expect(calls).toEqual([
      [102, BACKGROUND_NICE],
      [103, BACKGROUND_NICE],
    ]);
    expect(report).toEqual({ turbofanThreads: 1, lowered: 2, failed: 0 });
  });

  test('a thread that exits between the listing and the change (ESRCH) is counted failed; the others are still changed', () => {
    const calls: number[] = [];
    const report = yieldBackgroundThreads({
      threads: table({ 1: 'node', 2: 'node', 3: 'node', 4: undefined }),
      setThreadPriority: (tid) => {
        if (tid === 2) throw Object.assign(new Error('no such process'), { code: 'ESRCH' });
        calls.push(tid);
      },
      mainThread: 1,
      ...quiet,
    });
    expect(calls).toEqual([3]);
    expect(report).toEqual({ turbofanThreads: 1, lowered: 1, failed: 1, reason: 'setpriority refused (ESRCH)' });
  });

  test.each(['EPERM', 'EACCES', 'ENOSYS'])('a sandbox that refuses setpriority (%s): nothing thrown, the reason reported', (code) => {
    const report = yieldBackgroundThreads({
      threads: table({ 1: 'node', 2: 'node', 3: 'node' }),
      setThreadPriority: () => {
        throw Object.assign(new Error(code), { code });
      },
      mainThread: 1,
      ...quiet,
    });
    expect(report).toEqual({ turbofanThreads: 1, lowered: 0, failed: 2, reason: `setpriority refused (${code})` });
  });

  test('no /proc (another OS): nothing thrown, nothing changed, the reason reported', () => {
    const set = jest.fn();
    const report = yieldBackgroundThreads({
      threads: {
        ids: () => {
          throw Object.assign(new Error("ENOENT: no such file or directory, scandir '/proc/self/task'"), { code: 'ENOENT' });
        },
        name: () => undefined,
      },
      setThreadPriority: set,
      ...quiet,
    });
    expect(report).toEqual({ turbofanThreads: 1, lowered: 0, failed: 0, reason: "cannot list the process's threads (ENOENT)" });
    expect(set).not.toHaveBeenCalled();
  });

  test.each([
    ['1.49.2', false],
    ['1.50.0', true],
    ['1.51.0', true],
    ['2.0.0', true],
    ['', false],
  ])('libuv %s: pool threads told apart by name → changes made: %s', (libuvVersion, changes) => {
    const set = jest.fn();
    const report = yieldBackgroundThreads({ threads: table({ 1: 'node', 2: 'node' }), setThreadPriority: set, mainThread: 1, ...quiet, libuvVersion });
    expect(set.mock.calls.length > 0).toBe(changes);
    if (!changes) expect(report.reason).toMatch(/leaves its pool's threads unnamed/);
  });

  test('a process with no helper named node says so', () => {
    const report = yieldBackgroundThreads({
      threads: table({ 1: 'node', 2: 'libuv-worker' }),
      setThreadPriority: () => undefined,
      mainThread: 1,
      ...quiet,
    });
    expect(report).toEqual({ turbofanThreads: 1, lowered: 0, failed: 0, reason: 'no helper thread named node' });
  });
  test.each([
    [1, 1],
    [2, 1],
    [4, 3],
  ])('with %i CPU(s), at most %i TurboFan job(s) at once: the CPUs beside the main thread, at least one', (cpus, threads) => {
    const flags: string[] = [];
    const report = yieldBackgroundThreads({
      ...quiet,
      cpus,
      setV8Flags: (f) => void flags.push(f),
      threads: table({ 1: 'node' }),
      setThreadPriority: () => undefined,
      mainThread: 1,
    });
    expect(flags).toEqual([`--concurrent-turbofan-max-threads=${threads}`]);
    expect(report.turbofanThreads).toBe(threads);
  });

  test('a V8 that refuses the flag: the threads are still lowered, and both outcomes are reported', () => {
    const set = jest.fn();
    const report = yieldBackgroundThreads({
      ...quiet,
      setV8Flags: () => {
        throw new Error('unrecognized flag');
      },
      threads: table({ 1: 'node', 2: 'node' }),
      setThreadPriority: set,
      mainThread: 1,
    });
    expect(set).toHaveBeenCalledWith(2, BACKGROUND_NICE);
    expect(report).toEqual({ lowered: 1, failed: 0, reason: 'V8 refused the TurboFan thread bound (unrecognized flag)' });
  });
});

describe('the load governor: TurboFan on every worker while the main thread is saturated, bounded otherwise', () => {
  function governed(bound = 1) {
    const flags: string[] = [];
    return { flags, governor: createLoadGovernor(bound, (f) => void flags.push(f)) };
  }

  test('starts bounded and changes nothing while the loop is below saturation', () => {
    const { flags, governor } = governed();
    for (const u of [0, 0.3, UNSATURATED, 0.79]) governor.observe(u);
    expect(flags).toEqual([]);
    expect(governor.saturated()).toBe(false);
  });

  test('at saturation it lifts the bound once, however long saturation lasts', () => {
    const { flags, governor } = governed();
    for (const u of [SATURATED, 0.95, 1, 0.7, 0.9]) governor.observe(u);
    expect(flags).toEqual(['--concurrent-turbofan-max-threads=0']);
    expect(governor.saturated()).toBe(true);
  });

  test('puts the bound back only once utilization has fallen to the lower mark (no flapping in between)', () => {
    const { flags, governor } = governed(3);
    governor.observe(0.85);
    governor.observe(0.6);
    expect(flags).toEqual(['--concurrent-turbofan-max-threads=0']);
    governor.observe(UNSATURATED);
    expect(flags).toEqual(['--concurrent-turbofan-max-threads=0', '--concurrent-turbofan-max-threads=3']);
    expect(governor.saturated()).toBe(false);
    governor.observe(0.9);
    expect(flags.at(-1)).toBe('--concurrent-turbofan-max-threads=0');
  });

  test('a flag V8 refuses throws nothing from the timer and leaves the state to be tried again', () => {
    let refuse = true;
    const flags: string[] = [];
    const governor = createLoadGovernor(1, (f) => {
      if (refuse) throw new Error('unrecognized flag');
      flags.push(f);
    });
    expect(() => governor.observe(0.9)).not.toThrow();
    expect(governor.saturated()).toBe(false);
    refuse = false;
    governor.observe(0.9);
    expect(governor.saturated()).toBe(true);
    expect(flags).toEqual(['--concurrent-turbofan-max-threads=0']);
  });
});
