/**
 * Keeps each gRPC call's objects young, so a minor GC frees them.
 *
 * V8 frees short-lived objects in cheap minor GCs (scavenges) by copying what is still
 * reachable. A scavenge treats every old-generation object that points into the young
 * generation as alive, dead or not, until the next full GC. So a per-call object that V8
 * allocates straight in the old generation keeps everything it reaches alive through every
 * scavenge: those objects are copied, then promoted, then wait for a full GC. On the
 * Firestore and Pub/Sub clients two such objects are made on every call, and each reaches
 * the whole call (gRPC call, HTTP/2 stream, the caller's promise and what it holds):
 *
 *  - Node's `AsyncResource#bind` (Node 22, `lib/async_hooks.js`) defines the deprecated
 *    `asyncResource` property (DEP0172) as an accessor whose getter and setter are two new
 *    closures per call; V8 keeps an accessor pair in the old generation. Node's HTTP/2 client
 *    binds every request it makes (`ClientHttp2Session#request`), so every gRPC call does.
 *  - google-gax (`build/src/call.js`) assigns a new arrow function to a property in
 *    `OngoingCall#call` (`this.cancelFunc = () => canceller.cancel()`) and in the
 *    `OngoingCallPromise` constructor (`this.promise.cancel = () => …`). V8's parser
 *    pretenures a function literal assigned straight to a property (it expects a method), so
 *    each of these closures is born old and holds its context — the call — for the scavenger.
 *
 * Either one alone retains the whole call; with both removed, a Firestore create leaves
 * ≈ 1–2 KB instead of ≈ 15–16 KB after a scavenge, and at 100 calls/s the client's scavenges fall
 * from ≈ 14 ms and 2 MB promoted to ≈ 2 ms and 0.2 MB (docs/contracts/google-cloud.md §10,
 * functions/zoom-webhook/README.md). `prepareGrpcClients` replaces both, with the same
 * behaviour, before a client is built; each replacement checks that it replaces exactly the
 * code it was written against (Node's source of `bind`; the SHA-256 of gax's `call.js`) and
 * leaves anything else as it is. It also turns off V8's allocation-site pretenuring, which
 * would otherwise bring such old objects back (`stopAllocationSitePretenuring`).
 */
import { AsyncResource } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { setFlagsFromString } from 'node:v8';

const DEP0172 = 'The asyncResource property on bound functions is deprecated';
const RESOURCE = Symbol('ccbridge.boundAsyncResource');
const REPLACED = Symbol.for('ccbridge.youngGeneration.replaced');
/** Where a replaced `bind` keeps the one it replaced (so a subclass can be given the same treatment). */
const ORIGINAL_BIND = Symbol.for('ccbridge.youngGeneration.originalBind');

/** What each replacement did: replaced now, replaced before, or left (and why). */
export type Outcome = 'replaced' | 'already replaced' | `left: ${string}`;

export interface PreparedClients {
  allocationSitePretenuring: 'turned off' | 'already off';
  asyncResourceBind: Outcome;
  /** One entry per copy of google-gax the Google client packages load, by file. */
  gaxCalls: Array<{ file: string; outcome: Outcome }>;
}

// ---------------------------------------------------------------------------------------
// AsyncResource#bind with one shared getter and setter for `asyncResource`.

let warnedDep0172 = false;
function warnDep0172(): void {
  if (warnedDep0172 || process.noDeprecation) return;
  warnedDep0172 = true;
  process.emitWarning(DEP0172, 'DeprecationWarning', 'DEP0172');
}
function getBoundResource(this: Record<symbol, unknown>): unknown {
  warnDep0172();
  return this[RESOURCE];
}
function setBoundResource(this: Record<symbol, unknown>, value: unknown): void {
  warnDep0172();
  this[RESOURCE] = value;
}

type BindFn = (this: AsyncResource, fn: unknown, thisArg?: unknown) => unknown;

/** Is `bind` Node's implementation that defines `asyncResource` with new closures per call? */
function isPerCallAccessorBind(bind: BindFn): boolean {
  const source = Function.prototype.toString.call(bind);
  return source.includes('DEP0172') && source.includes('ObjectDefineProperties') && source.includes('deprecate(function');
}

/**
 * Replaces `AsyncResource.prototype.bind` (of `target`, a stand-in in tests) with the same
 * function but for where the bound resource is kept: the returned function runs `fn` in the
 * resource's scope, has `fn`'s length, and its `asyncResource` accessor returns or replaces
 * the resource and warns DEP0172 once, as Node's does.
 */
export function shareBoundResourceAccessors(target: { prototype: { bind: BindFn } } = AsyncResource as never): Outcome {
  const proto = target.prototype as { bind: BindFn } & Record<symbol, unknown>;
  if (Object.hasOwn(proto, ORIGINAL_BIND)) return 'already replaced';
  // Node's own, even when an ancestor's bind has been replaced already.
  const original = (proto[ORIGINAL_BIND] as BindFn | undefined) ?? proto.bind;
  if (!isPerCallAccessorBind(original)) return 'left: bind is not the implementation with per-call accessors';
  proto.bind = function bind(this: AsyncResource, fn: unknown, thisArg?: unknown): unknown {
    if (typeof fn !== 'function') return original.call(this, fn, thisArg); // Node's own argument error
    let bound: (...args: unknown[]) => unknown;
    if (thisArg === undefined) {
      const resource = this;
      bound = function (this: unknown, ...args: unknown[]) {
        return Reflect.apply(resource.runInAsyncScope, resource, [fn, this, ...args]);
      };
    } else {
      bound = this.runInAsyncScope.bind(this, fn as never, thisArg) as never;
    }
    Object.defineProperties(bound, {
      length: { __proto__: null, configurable: true, enumerable: false, value: (fn as () => unknown).length, writable: false },
      asyncResource: { __proto__: null, configurable: true, enumerable: true, get: getBoundResource, set: setBoundResource },
      [RESOURCE]: { __proto__: null, configurable: true, enumerable: false, writable: true, value: this },
    } as PropertyDescriptorMap);
    return bound;
  };
  proto[ORIGINAL_BIND] = original;
  return 'replaced';
}

// ---------------------------------------------------------------------------------------
// google-gax call.js with its two closures made as values, not as assigned function literals.

/** SHA-256 of the google-gax `build/src/call.js` the replacement reproduces (google-gax 6.17.0). */
export const KNOWN_GAX_CALL_JS = new Set(['1788d81bc13a59c80d3fdb6393c7e035384ece12607fc60fce3aacf687f110ac']);

type Callback = (err: unknown, response?: unknown, next?: unknown, rawResponse?: unknown) => void;
interface Cancellable {
  cancel(): void;
}
interface OngoingCallLike {
  callback: Callback;
  completed: boolean;
  cancelFunc?: () => void;
  cancel(): void;
}
interface GaxCallModule {
  OngoingCall: new (callback: Callback) => OngoingCallLike;
  OngoingCallPromise: { prototype: object };
  [REPLACED]?: true;
}
interface GoogleErrorClass {
  new (message?: unknown): Error & { code?: number };
  parseGRPCStatusDetails(err: unknown): unknown;
}

/** A property assignment that takes its value as an argument, so no literal is pretenured. */
function assign(target: object, key: string, value: unknown): void {
  Reflect.set(target, key, value);
}

/**
 * Replaces, in a loaded google-gax `call.js` module (`callModule`, with `GoogleError` from the
 * same copy), `OngoingCall#call` and the `OngoingCallPromise` class by the same code with the
 * two cancel closures passed as values. `OngoingCallPromise` stays the class callers get from
 * `new call_1.OngoingCallPromise()`, and its instances are still `instanceof` the original.
 */
export function patchGaxCallModule(callModule: GaxCallModule, GoogleError: GoogleErrorClass): Outcome {
  if (callModule[REPLACED]) return 'already replaced';
  const { OngoingCall } = callModule;
  const Original = callModule.OngoingCallPromise;

  (OngoingCall.prototype as { call: unknown }).call = function call(this: OngoingCallLike, func: unknown, argument: unknown): void {
    if (this.completed) return;
    const canceller = (func as (a: unknown, cb: Callback) => Cancellable)(argument, (err, response, next, rawResponse) => {
      this.completed = true;
      setImmediate(this.callback, err, response, next, rawResponse);
    });
    if (canceller instanceof Promise) {
      canceller.catch((err: unknown) => {
        setImmediate(this.callback, new GoogleError(err), null, null, null);
      });
    }
    assign(this, 'cancelFunc', () => canceller.cancel());
  };

  class OngoingCallPromise extends OngoingCall {
    promise: Promise<unknown> & { cancel?: () => void };
    constructor() {
      let resolveCallback!: (value: unknown) => void;
      let rejectCallback!: (reason: unknown) => void;
      const callback: Callback = (err, response, next, rawResponse) => {
        if (err) {
          if ((err as { metadata?: unknown }).metadata) rejectCallback(GoogleError.parseGRPCStatusDetails(err));
          else rejectCallback(err);
        } else if (response !== undefined) {
          resolveCallback([response, next || null, rawResponse || null]);
        } else {
          throw new GoogleError('Neither error nor response are defined');
        }
      };
      const promise = new Promise((resolve, reject) => {
        resolveCallback = resolve;
        rejectCallback = reject;
      });
      super(callback);
      this.promise = promise;
      assign(this.promise, 'cancel', () => {
        this.cancel();
      });
    }
  }
  // Instances stay `instanceof` the class google-gax exported.
  Object.setPrototypeOf(OngoingCallPromise.prototype, Original.prototype);
  (callModule as { OngoingCallPromise: unknown }).OngoingCallPromise = OngoingCallPromise;
  callModule[REPLACED] = true;
  return 'replaced';
}

/** The google-gax `call.js` files the given client packages load (their own copy and their generated API package's). */
export function gaxCallFiles(packages: readonly string[]): string[] {
  const files = new Set<string>();
  const requireHere = createRequire(import.meta.url);
  for (const pkg of packages) {
    let entry: string;
    try {
      entry = requireHere.resolve(pkg);
    } catch {
      continue;
    }
    const fromPkg = createRequire(entry);
    const entries = [entry];
    try {
      entries.push(fromPkg.resolve(`${pkg}-api`));
    } catch {
      // no separate generated-API package
    }
    for (const e of entries) {
      try {
        files.add(join(dirname(createRequire(e).resolve('google-gax')), 'call.js'));
      } catch {
        // this package does not load google-gax
      }
    }
  }
  return [...files];
}

/** Patches the google-gax `call.js` at `file` if its contents are the known ones. */
export function patchGaxCallFile(file: string): Outcome {
  const digest = gaxCallDigest(file);
  if (!KNOWN_GAX_CALL_JS.has(digest)) return `left: unknown call.js (sha256 ${digest.slice(0, 12)}…)`;
  const requireGax = createRequire(file);
  const { GoogleError } = requireGax(join(dirname(file), 'googleError.js')) as { GoogleError: GoogleErrorClass };
  return patchGaxCallModule(requireGax(file) as GaxCallModule, GoogleError);
}

/** The SHA-256 (hex) of a google-gax `call.js`, as KNOWN_GAX_CALL_JS lists them. */
export function gaxCallDigest(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

// ---------------------------------------------------------------------------------------
// V8's allocation-site pretenuring, off.

let pretenuringOff = false;

/**
 * Turns off V8's allocation-site pretenuring (`--allocation-site-pretenuring`, on by default):
 * V8 watches, per object-literal allocation site, how many of its objects survive scavenges,
 * and once enough do it allocates that site's objects straight in the old generation. A burst
 * of survivors (the first requests of an instance, or a full GC's pause) is enough to tenure
 * sites of the gRPC path whose objects live for one call; each of those objects is then one
 * more old object pointing into its call, and the calls are promoted again — on the webhook
 * bench, after ≈ 8 s at 100 events/s, its GC went back from ≈ 45 to 120–250 ms per 1 000 events.
 * Off, no site is tenured; long-lived objects are still promoted by the scavenger as before.
 * Node lets a V8 flag be set at run time (`v8.setFlagsFromString`) with the warning that a flag
 * changed after start may misbehave; this one is read when a GC weighs its survivors and when
 * code is compiled, so it is set before the clients are built, while nothing is hot yet.
 */
export function stopAllocationSitePretenuring(setFlags: (flags: string) => void = setFlagsFromString): 'turned off' | 'already off' {
  if (pretenuringOff) return 'already off';
  setFlags('--no-allocation-site-pretenuring');
  pretenuringOff = true;
  return 'turned off';
}

/** The client packages whose gRPC calls go through google-gax. */
export const GRPC_CLIENT_PACKAGES = ['@google-cloud/firestore', '@google-cloud/pubsub'] as const;
export type GrpcClientPackage = (typeof GRPC_CLIENT_PACKAGES)[number];

const prepared = new Map<GrpcClientPackage, PreparedClients>();

/**
 * All of the above for one client package, once per process and package; called before a
 * Firestore or Pub/Sub client is built. Only that package's google-gax copies are loaded (a
 * function that uses Firestore alone does not load Pub/Sub's).
 */
export function prepareGrpcClients(pkg: GrpcClientPackage): PreparedClients {
  let done = prepared.get(pkg);
  if (!done) {
    done = {
      allocationSitePretenuring: stopAllocationSitePretenuring(),
      asyncResourceBind: shareBoundResourceAccessors(),
      gaxCalls: gaxCallFiles([pkg]).map((file) => ({ file, outcome: patchGaxCallFile(file) })),
    };
    prepared.set(pkg, done);
  }
  return done;
}
