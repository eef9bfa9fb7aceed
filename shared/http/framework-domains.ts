/**
 * HTTP requests served without a Node `domain` each.
 *
 * The Functions Framework (5.0.5, `function_wrappers.js`) runs every HTTP function call inside
 * a new `domain.create()`, so that an exception thrown later from a callback the call started
 * (a timer, an emitter) is answered 500 instead of reaching the process. Creating the first
 * domain turns on Node's domain machinery for the whole process, for good: an async hook that
 * runs on the creation, every callback and the destruction of every async resource — every
 * promise included, each of which also gets a destroy callback tracked through a weak handle.
 * That is paid on everything the instance does, inside a request's domain or not: measured
 * with `npm run bench -- zoom-webhook`, about a third of the CPU per event of the webhook
 * on the Firestore client and two fifths of a bare function's (functions/zoom-webhook/README.md,
 * "Requests without domains"). Node deprecates the module (DEP0032; loading it warns from
 * Node 27) and its documentation advises that the safe answer to such an exception is to stop
 * the process, not to go on serving (docs/contracts/google-cloud.md §9).
 *
 * What the domain buys us is nothing our functions use: every entry registers an async HTTP
 * handler, whose errors come back as a rejected promise the Framework (and before it,
 * shared/http/app.ts) answers, and the clients a request calls already run outside the request's
 * domain (shared/lazy.ts `outsideRequestDomain`). So the entry files install, before the
 * Framework serves, a `domain.create` that gives the Framework a plain request scope: the same
 * `on('error', …)` and `run(fn)` it calls, `run` calling `fn` at once, no async tracking. An
 * exception thrown from a stray callback then reaches the Framework's process handler, which
 * answers the latest request 500 and ends the instance (exit code 16) for the platform to
 * replace — Node's advice, and what already happens today to an exception from a client's
 * callback.
 *
 * Only `domain.create` changes; `new domain.Domain()` still makes a real domain for any code
 * that wants one. HTTP functions only: the Framework's event and CloudEvent wrappers read
 * `process.domain` inside the call, which a plain scope does not set (every function of the
 * bundle is an HTTP one: functions/functions.json).
 */
import domainModule from 'node:domain';
import { EventEmitter } from 'node:events';

const INSTALLED = Symbol.for('ccbridge.plainRequestScopes');

/** What `installPlainRequestScopes` changes: `node:domain`, or a stand-in of it in a test. */
export interface DomainModuleLike {
  create: () => unknown;
  [INSTALLED]?: true;
}

/** What the Framework's HTTP wrapper gets from `domain.create()` once installed. */
export class PlainRequestScope extends EventEmitter {
  /** Runs `fn` now, with `args`; what it throws is thrown, as from `Domain#run`. */
  run<A extends unknown[], R>(fn: (...args: A) => R, ...args: A): R {
    return fn(...args);
  }
}

/** Makes `target.create()` return a `PlainRequestScope`. Idempotent. */
export function installPlainRequestScopes(target: DomainModuleLike = domainModule as unknown as DomainModuleLike): void {
  if (target[INSTALLED]) return;
  target.create = () => new PlainRequestScope();
  target[INSTALLED] = true;
}
