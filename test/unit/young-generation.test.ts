/**
 * Each gRPC call's objects stay young (shared/young-generation.ts). The effect is measured on
 * the real Firestore client against the stand-in, each mode in a process of its own
 * (test/support/young-generation-probe.ts): as shipped a create leaves the whole call behind a
 * scavenge (the control), prepared a fraction of it. The two replacements are then held to the
 * code they replace: Node's `AsyncResource#bind` on a subclass (so nothing else in this process
 * changes), and google-gax's `call.js` side by side with a fresh, unpatched copy of the same file.
 */
import { AsyncResource, executionAsyncId } from 'node:async_hooks';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { jest } from '@jest/globals';
import { type FirestoreEmulator, startFirestoreEmulator } from '../../local/firestore';
import {
  GRPC_CLIENT_PACKAGES,
  gaxCallDigest,
  gaxCallFiles,
  KNOWN_GAX_CALL_JS,
  type PreparedClients,
  patchGaxCallFile,
  patchGaxCallModule,
  shareBoundResourceAccessors,
  stopAllocationSitePretenuring,
} from '../../shared/young-generation';

const run = promisify(execFile);

/** A probe of test/support in a Node process of its own, with `--expose-gc` and a new space no scavenge empties on its own; its last JSON line. */
async function gcProbe<T>(script: string, mode: 'stock' | 'prepared', env: NodeJS.ProcessEnv = process.env): Promise<T> {
  const args = ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64', '--import', 'tsx', `test/support/${script}`, mode];
  const { stdout } = await run(process.execPath, args, { env, timeout: 60_000 });
  return JSON.parse(stdout.trim().split('\n').pop()!) as T;
}

describe('a Firestore call after a minor GC', () => {
  let emulator: FirestoreEmulator;
  beforeAll(async () => {
    emulator = await startFirestoreEmulator();
  });
  afterAll(() => emulator.stop());

  async function survived(mode: 'stock' | 'prepared'): Promise<{ survivedBytesPerCall: number; prepared: PreparedClients | null }> {
    return gcProbe('young-generation-probe.ts', mode, { ...process.env, FIRESTORE_EMULATOR_HOST: emulator.host });
  }

  test('leaves under a quarter of what it leaves as shipped, where the shipped client keeps the whole call (over 6 KB)', async () => {
    const stock = await survived('stock');
    const prepared = await survived('prepared');
    expect(stock.survivedBytesPerCall).toBeGreaterThan(6_000);
    expect(prepared.survivedBytesPerCall).toBeLessThan(stock.survivedBytesPerCall / 4);
    // Both replacements acted, on every google-gax copy the Firestore client loads (its own and its API package's).
    expect(prepared.prepared!.asyncResourceBind).toBe('replaced');
    expect(prepared.prepared!.allocationSitePretenuring).toBe('turned off');
    const files = prepared.prepared!.gaxCalls;
    expect(files.some((f) => f.file.includes('@google-cloud/firestore/'))).toBe(true);
    expect(files.some((f) => f.file.includes('@google-cloud/pubsub'))).toBe(false);
    expect(files.map((f) => f.outcome)).toEqual(files.map(() => 'replaced'));
  }, 120_000);

  test('for Pub/Sub, what is prepared is its own google-gax copies, not Firestore’s', async () => {
    const script =
      "const m = await import('./shared/young-generation.ts'); process.stdout.write(JSON.stringify(m.prepareGrpcClients('@google-cloud/pubsub')));";
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
    const report = JSON.parse(stdout) as PreparedClients;
    expect(report.gaxCalls.length).toBeGreaterThan(0);
    for (const { file, outcome } of report.gaxCalls) expect([file.includes('@google-cloud/pubsub'), outcome]).toEqual([true, 'replaced']);
    expect(report.asyncResourceBind).toBe('replaced');
  }, 60_000);
});

describe('V8 allocation-site pretenuring', () => {
  async function oldBytesPerObject(mode: 'stock' | 'prepared'): Promise<number> {
    return (await gcProbe<{ oldBytesPerObject: number }>('pretenuring-probe.ts', mode)).oldBytesPerObject;
  }

  test('as Node starts V8, a site whose objects survived allocates the next ones in the old generation; once turned off, none', async () => {
    expect(await oldBytesPerObject('stock')).toBeGreaterThan(20);
    expect(await oldBytesPerObject('prepared')).toBeLessThan(2);
  }, 120_000);

  test('is turned off once, with the flag V8 defines', () => {
    const flags: string[] = [];
    // The process-wide switch may already be off (another test built a client); the flag passed is what matters.
    const outcome = stopAllocationSitePretenuring((f) => flags.push(f));
    expect(['turned off', 'already off']).toContain(outcome);
    if (outcome === 'turned off') expect(flags).toEqual(['--no-allocation-site-pretenuring']);
    expect(stopAllocationSitePretenuring((f) => flags.push(f))).toBe('already off');
  });
});

describe('AsyncResource#bind with shared accessors', () => {
  // The tests run on a subclass, replaced after the process's own AsyncResource (which another
  // test file of this jest worker may have prepared already, through a client): the subclass is
  // replaced from Node's bind all the same, and each order of the test files sees the same.
  class Probe extends AsyncResource {}
  beforeAll(() => {
    expect(['replaced', 'already replaced']).toContain(shareBoundResourceAccessors());
    expect(shareBoundResourceAccessors(Probe as never)).toBe('replaced');
  });

  test('runs the function in the resource’s scope with the caller’s this and arguments, and returns its result', () => {
    const resource = new Probe('probe');
    const seen: unknown[] = [];
    const bound = resource.bind(function (this: unknown, a: number, b: number) {
      seen.push(executionAsyncId(), this);
      return a + b;
    });
    const receiver = { name: 'receiver' };
    expect(bound.call(receiver, 2, 3)).toBe(5);
    expect(seen).toEqual([resource.asyncId(), receiver]);
    expect(bound.length).toBe(2);
  });

  test('with thisArg, the function runs with it whatever the call site', () => {
    const resource = new Probe('probe');
    const self = { name: 'self' };
    const bind = resource.bind as (fn: unknown, thisArg: unknown) => (this: unknown) => unknown;
    const bound = bind.call(
      resource,
      function (this: unknown) {
        return this;
      },
      self,
    );
    expect(bound.call({ other: true })).toBe(self);
  });

  test('asyncResource is enumerable, returns and replaces the resource, and warns DEP0172 once', () => {
    const warn = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const resource = new Probe('probe');
      const bound = resource.bind(() => 1) as (() => number) & { asyncResource: unknown };
      expect(Object.keys(bound)).toContain('asyncResource');
      expect(bound.asyncResource).toBe(resource);
      const other = new Probe('other');
      bound.asyncResource = other;
      expect(bound.asyncResource).toBe(other);
      // Another bound function keeps its own resource.
      expect((resource.bind(() => 2) as unknown as { asyncResource: unknown }).asyncResource).toBe(resource);
      const dep = (warn.mock.calls as unknown[][]).filter((c) => c[2] === 'DEP0172');
      expect(dep).toHaveLength(1);
      expect(dep[0]![1]).toBe('DeprecationWarning');
    } finally {
      warn.mockRestore();
    }
  });

  test('a non-function is refused with Node’s own error', () => {
    expect(() => new Probe('probe').bind(42 as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  test('is replaced once; a bind that is not Node’s per-call-accessor version is left as it is', () => {
    expect(shareBoundResourceAccessors(Probe as never)).toBe('already replaced');
    const other = { prototype: { bind: (fn: unknown) => fn } };
    const before = other.prototype.bind;
    expect(shareBoundResourceAccessors(other as never)).toMatch(/^left: /);
    expect(other.prototype.bind).toBe(before);
  });
});

describe('google-gax call.js with its cancel closures passed as values', () => {
  const requireHere = createRequire(import.meta.url);
  const file = gaxCallFiles(['@google-cloud/firestore'])[0]!;
  const requireGax = createRequire(file);
  const { GoogleError } = requireGax(join(dirname(file), 'googleError.js'));

  // A fresh module of the same call.js, so the copy the clients load is not touched here.
  type Ongoing = { promise: Promise<unknown> & { cancel(): void }; call(func: unknown, argument: unknown): void };
  function freshCallModule(): { OngoingCall: unknown; OngoingCallPromise: new () => Ongoing } {
    const module = { exports: {} as Record<string, unknown> };
    const load = new Function('exports', 'require', 'module', readFileSync(file, 'utf8'));
    load(module.exports, (id: string) => requireGax(id), module);
    return module.exports as never;
  }
  const original = freshCallModule();
  const patched = freshCallModule();
  const OriginalClass = patched.OngoingCallPromise;
  expect(patchGaxCallModule(patched as never, GoogleError)).toBe('replaced');

  type Outcome = { resolved?: unknown; rejected?: { message: string; code: unknown; sameObject: boolean }; cancelled: number };
  async function scenario(mod: { OngoingCallPromise: new () => Ongoing }, answer: (cb: (...a: unknown[]) => void) => unknown, cancelAt?: 'before' | 'after') {
    const call = new mod.OngoingCallPromise();
    let cancelled = 0;
    let thrown: unknown;
    if (cancelAt === 'before') call.promise.cancel();
    call.call((_arg: unknown, cb: (...a: unknown[]) => void) => {
      const canceller = answer(cb);
      return canceller ?? { cancel: () => cancelled++ };
    }, 'request');
    if (cancelAt === 'after') call.promise.cancel();
    const out: Outcome = { cancelled: 0 };
    try {
      out.resolved = await call.promise;
    } catch (err) {
      thrown = err;
      const e = err as { message: string; code?: unknown };
      out.rejected = { message: e.message, code: e.code, sameObject: err === rejection };
    }
    out.cancelled = cancelled;
    return { out, thrown };
  }
  const rejection = Object.assign(new Error('boom'), { code: 14 });

  // Every row has three entries: jest would take a missing third argument for a `done` callback.
  const cases: Array<[string, (cb: (...a: unknown[]) => void) => unknown, 'before' | 'after' | undefined]> = [
    ['an answer with next and raw response', (cb) => void cb(null, { ok: 1 }, { page: 2 }, { raw: true }), undefined],
    ['an answer without them', (cb) => void cb(null, { ok: 1 }), undefined],
    ['an error without metadata', (cb) => void cb(rejection), undefined],
    ['an error with gRPC metadata', (cb) => void cb(Object.assign(new Error('with metadata'), { code: 3, metadata: { get: () => [] } })), undefined],
    ['a canceller that is a rejected promise', () => Promise.reject(new Error('stub failed')), undefined],
    ['cancel before the call', (cb) => void setTimeout(() => cb(null, { late: true }), 5), 'before'],
    ['cancel after the call started', (cb) => void setTimeout(() => cb(null, { late: true }), 5), 'after'],
  ];
  test.each(cases)('settles as the unpatched file does: %s', async (_name, answer, cancelAt) => {
    const a = await scenario(original, answer, cancelAt);
    const b = await scenario(patched, answer, cancelAt);
    expect(b.out).toEqual(a.out);
    if (a.thrown) expect(Object.getPrototypeOf(b.thrown)).toBe(Object.getPrototypeOf(a.thrown));
  });

  test('instances are still instances of the class google-gax exported, and of OngoingCall', () => {
    const call = new patched.OngoingCallPromise();
    expect(call).toBeInstanceOf(OriginalClass);
    expect(call).toBeInstanceOf(patched.OngoingCall as never);
    expect(patchGaxCallModule(patched as never, GoogleError)).toBe('already replaced');
  });

  test('every google-gax copy the Google clients load is the call.js the replacement reproduces (an upgrade that changes it fails here)', () => {
    const files = gaxCallFiles(GRPC_CLIENT_PACKAGES);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect([f, KNOWN_GAX_CALL_JS.has(gaxCallDigest(f))]).toEqual([f, true]);
    expect(requireHere.resolve('@google-cloud/firestore')).toBeTruthy();
  });

  test('a call.js with other contents is left alone, and not loaded', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gax-call-'));
    try {
      const other = join(dir, 'call.js');
      writeFileSync(other, `${readFileSync(file, 'utf8')}\n// changed\nthrow new Error('must not be loaded');\n`);
      expect(patchGaxCallFile(other)).toMatch(/^left: unknown call\.js/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
