/**
 * One port for every function, mirroring the Cloud Functions URL scheme:
 * `http://localhost:PORT/<function-name>/...` reaches the function with path `/...`.
 * Each function runs inside the real Functions Framework (body parsing, rawBody,
 * CloudEvent decoding), obtained through its testing entry point.
 */
import http from 'node:http';
import type { AddressInfo, ListenOptions, Socket } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { bodyLimitsOf } from '../shared/http/body-guard';
import { installFrameworkErrorResponses, setRequestBodyLimits, setRequestRefusalObserver } from '../shared/http/framework-errors';
import { installPlainRequestScopes } from '../shared/http/framework-domains';
import { installExpressRequestClasses } from '../shared/http/framework-server';
import { refusalObserverOf } from '../shared/http/refusal-observer';
import type { Composed } from './function-registry';

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Cloud Run's invoker IAM check, as the gateway plays it for a function without `allUsers`
 * (docs/contracts/google-cloud.md §1): a bearer ID token (X-Serverless-Authorization, else
 * Authorization) for one of `audiences`, of one of `invokers`, or the request never reaches the
 * function (401 without a valid token, 403 for an account that is no invoker); the token it
 * verified is forwarded with its signature replaced by SIGNATURE_REMOVED_BY_GOOGLE.
 */
export interface InvokerCheck {
  audiences: readonly string[];
  invokers: readonly string[];
  verify(token: string, audiences: readonly string[]): { ok: true; email: string } | { ok: false; reason: string };
}

export const SIGNATURE_REMOVED = 'SIGNATURE_REMOVED_BY_GOOGLE';
/** Set (locally only) on an answer the gateway gave as Cloud Run's front, not the function. */
export const PLATFORM_REFUSAL_HEADER = 'x-local-platform-refusal';

export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** The HTTP server itself (ui-connector's socket.io server attaches to it). */
  readonly server: http.Server;
  /** Registers a composed function under its entry point and routes `/<name>/` to it. */
  mount(name: string, entryPoint: string, composed: Composed, invokerCheck?: InvokerCheck): void;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  host?: string;
  port?: number;
  /**
   * Share the port with other processes listening with the same flag (SO_REUSEPORT): the
   * kernel spreads new connections over them, so a replacement can start before the
   * process it replaces is killed, as a new function instance does.
   */
  reusePort?: boolean;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  // As the deployed entry files do: what the Framework refuses itself is answered in JSON, and
  // no request runs in a Node domain of its own (shared/http/framework-domains.ts).
  installFrameworkErrorResponses();
  installPlainRequestScopes();
  const listeners = new Map<string, Listener>();
  const handlers = new Map<string, unknown>();
  const invokerChecks = new Map<string, InvokerCheck>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const match = /^\/([a-z][a-z0-9-]*)(\/.*|\?.*)?$/.exec(url);
    const listener = match ? listeners.get(match[1]!) : undefined;
    if (!match || !listener) {
      const body = JSON.stringify({ status: 'ok', functions: [...listeners.keys()] });
      res.writeHead(url === '/' ? 200 : 404, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const rest = match[2] ?? '/';
    req.url = rest.startsWith('?') ? `/${rest}` : rest;
    const check = invokerChecks.get(match[1]!);
    if (check && !passInvokerCheck(check, req, res)) return;
    routeToFunction(handlers.get(match[1]!), req);
    listener(req, res);
  });
  server.keepAliveTimeout = 65_000;
  const stop = stopper(server);
  const host = options.host ?? '127.0.0.1';
  const port = await listening(server, { port: options.port ?? 0, host, ...(options.reusePort ? { reusePort: true } : {}) });

  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    server,
    mount(name, entryPoint, composed, invokerCheck) {
      if (invokerCheck) invokerChecks.set(name, invokerCheck);
      ff.http(entryPoint, composed.handler);
      const inner = getTestServer(entryPoint);
      const listener = inner.listeners('request')[0] as Listener | undefined;
      if (!listener) throw new Error(`functions framework gave no request listener for ${entryPoint}`);
      listeners.set(name, listener);
      handlers.set(name, composed.handler);
    },
    stop,
  };
}

/** Listens and resolves to the port, or rejects with the listen error (a port in use). */
async function listening(server: http.Server, options: ListenOptions): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

/** A stop for `server` that does not wait for idle keep-alive connections: it closes them. */
function stopper(server: http.Server): () => Promise<void> {
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

/** Each function's own body limits, held before its Framework app reads the body, and its refusal observer (zoom-webhook keeps a record). */
function routeToFunction(handler: unknown, req: http.IncomingMessage): void {
  setRequestBodyLimits(req, bodyLimitsOf(handler, req));
  setRequestRefusalObserver(req, refusalObserverOf(handler));
}

export interface LoneFunction {
  readonly url: string;
  readonly server: http.Server;
  stop(): Promise<void>;
}

/**
 * One function on a server of its own, built as a deployed instance builds it: the Framework's
 * `http.createServer(app)` after what the entry files install (JSON answers for what the
 * Framework refuses, requests born with Express's prototypes: shared/http/framework-server.ts, and
 * no Node domain per request: shared/http/framework-domains.ts).
 * The gateway above hosts every function on one server, whose requests cannot be born with one
 * app's prototypes; the HTTP benchmarks measure functions this way. `stockServer`: the server
 * the Framework builds without that install (what the benchmarks compare against) — as shipped
 * only in a process where no deployed server was built: the domains' install acts on the whole
 * process (the benchmarks keep the two apart).
 */
export async function serveAlone(entryPoint: string, composed: Composed, options: { stockServer?: boolean } = {}): Promise<LoneFunction> {
  installFrameworkErrorResponses();
  if (!options.stockServer) {
    installExpressRequestClasses();
    installPlainRequestScopes();
  }
  ff.http(entryPoint, composed.handler);
  const framework = getTestServer(entryPoint);
  // new http.Server(listener) is what createServer does, minus the install.
  const server = options.stockServer ? new http.Server(framework.listeners('request')[0] as Listener) : framework;
  server.prependListener('request', (req) => routeToFunction(composed.handler, req));
  server.keepAliveTimeout = 65_000;
  const stop = stopper(server);
  const port = await listening(server, { port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    stop,
  };
}

/** Cloud Run's answer to a request its invoker check refuses, or the request made as it forwards it. */
function passInvokerCheck(check: InvokerCheck, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const serverless = one(req.headers['x-serverless-authorization']);
  const headerName = serverless !== undefined ? 'x-serverless-authorization' : 'authorization';
  const token = /^Bearer\s+(\S+)$/i.exec(serverless ?? one(req.headers.authorization) ?? '')?.[1];
  // Cloud Run answers these itself, in HTML, before any code of ours runs; the marker header
  // lets local tooling (the fuzz checks) tell the platform's refusals from the functions'.
  const refuse = (status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8', 'www-authenticate': 'Bearer', [PLATFORM_REFUSAL_HEADER]: 'invoker-check' });
    res.end(
      `<html><head><title>${status} ` +
        `${status === 401 ? 'Unauthorized' : 'Forbidden'}</title></head><body><h1>Error: ` +
        `${status === 401 ? 'Unauthorized' : 'Forbidden'}</h1><h2>${message}</h2></body></html>`,
    );
    return false;
  };
  if (!token) return refuse(401, 'Unauthorized: this function requires an ID token (roles/run.invoker)');
  const verdict = check.verify(token, check.audiences);
  if (!verdict.ok) return refuse(401, `Unauthorized: the ID token was refused (${verdict.reason})`);
  if (!check.invokers.some((i) => i.toLowerCase() === verdict.email.toLowerCase()))
    return refuse(403, `Forbidden: ${verdict.email} is not an invoker of this function`);
  const [h, p] = token.split('.');
  req.headers[headerName] = `Bearer ${h}.${p}.${SIGNATURE_REMOVED}`;
  return true;
}
