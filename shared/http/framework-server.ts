/**
 * Requests and responses born with the prototypes Express gives them.
 *
 * The Functions Framework serves a function with `http.createServer(app)`, `app` being its
 * Express application, and Express's `app.handle` then changes the prototype of every request
 * and response it is handed (`Object.setPrototypeOf(req, app.request)`, the same for `res`), so
 * that `req.get`, `res.json` and the rest are found. Changing the prototype of a live object is
 * slow in V8 and makes the objects costly to collect: `npm run bench -- framework-server`
 * measures a third to a half of the Framework's CPU per request and about 40 % of its
 * young-generation GC time go to it (functions/zoom-webhook/README.md, "Requests born with
 * Express's prototypes"). Known upstream: nodejs/node#37457, expressjs/express#5998.
 *
 * Node's HTTP server can construct its requests and responses from given classes (the
 * `IncomingMessage` and `ServerResponse` options of `http.createServer`, documented since
 * Node 9.6 and 12.6). Given constructors whose prototypes are the app's own `app.request` and
 * `app.response`, every request is born with the prototype Express would give it, and Express's
 * `setPrototypeOf` finds it already set and does nothing. The objects are the same as before —
 * same prototype chain, same constructor run, `instanceof http.IncomingMessage` still true — only
 * built that way from the start.
 *
 * The Framework has no option for this, so the entry files install it before the Framework
 * creates its server (as ./framework-errors does for its error answers): a call of
 * `http.createServer` with an Express application as its only argument gets the two options;
 * every other call is passed on untouched. Node's constructors are plain functions, run here
 * with `Base.call(this, …)`; were a Node version to make them classes (which cannot be called
 * so), nothing is installed and the Framework serves as it always has.
 */
import http from 'node:http';

const INSTALLED = Symbol.for('ccbridge.expressRequestClasses');

/** What `installExpressRequestClasses` changes: `node:http`, or a stand-in of it in a test. */
export interface HttpModuleLike {
  createServer: typeof http.createServer;
  IncomingMessage: typeof http.IncomingMessage;
  ServerResponse: typeof http.ServerResponse;
  [INSTALLED]?: true;
}

interface ExpressAppLike {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
  handle: unknown;
  request: object;
  response: object;
}

type PlainConstructor = (this: unknown, ...args: unknown[]) => void;

/**
 * Makes `target.createServer(app)` build its requests and responses with the prototypes of
 * `app` when `app` is an Express application. Returns whether it is installed (false when
 * Node's constructors cannot be called as plain functions). Idempotent.
 */
export function installExpressRequestClasses(target: HttpModuleLike = http as unknown as HttpModuleLike): boolean {
  if (target[INSTALLED]) return true;
  if (!callable(target.IncomingMessage) || !callable(target.ServerResponse)) return false;
  const original = target.createServer;
  const patched = function createServer(this: unknown, ...args: unknown[]) {
    const app = args[0];
    if (args.length === 1 && isExpressApp(app, target)) {
      const options = {
        IncomingMessage: bornWith(app.request, target.IncomingMessage),
        ServerResponse: bornWith(app.response, target.ServerResponse),
      } as http.ServerOptions;
      return original.call(target, options, app);
    }
    return (original as (...a: unknown[]) => http.Server).apply(target, args);
  };
  target.createServer = patched as typeof http.createServer;
  target[INSTALLED] = true;
  return true;
}

/** A constructor running `Base` on a new object whose prototype is `prototype`. */
function bornWith<T>(prototype: object, Base: T): T {
  const base = Base as unknown as PlainConstructor;
  // Two named parameters, not a rest parameter: IncomingMessage(socket), ServerResponse(req, options).
  const Born = function (this: unknown, first: unknown, second: unknown) {
    base.call(this, first, second);
  } as unknown as { prototype: object };
  Born.prototype = prototype;
  return Born as unknown as T;
}

function callable(ctor: unknown): boolean {
  return typeof ctor === 'function' && !/^class\b/.test(Function.prototype.toString.call(ctor));
}

function isExpressApp(value: unknown, target: HttpModuleLike): value is ExpressAppLike {
  if (typeof value !== 'function') return false;
  const app = value as Partial<ExpressAppLike>;
  return (
    typeof app.handle === 'function' &&
    typeof app.request === 'object' &&
    app.request !== null &&
    typeof app.response === 'object' &&
    app.response !== null &&
    Object.prototype.isPrototypeOf.call(target.IncomingMessage.prototype, app.request) &&
    Object.prototype.isPrototypeOf.call(target.ServerResponse.prototype, app.response)
  );
}
