/**
 * A small HTTP application for one Cloud Function: routes by method and path, gives each
 * request a logger carrying its trace, and turns every thrown error into a JSON response
 * in one place (`toErrorResponse`). Functions Framework has already buffered the body
 * (`req.rawBody`) and parsed JSON/form bodies (`req.body`), within the limits the returned
 * handler carries (held before the Framework's parsers, see ./body-guard).
 */
import type { Request, Response } from '@google-cloud/functions-framework';
import { AppError, toErrorResponse } from '../errors';
import { type Logger, parseTraceHeaders, traceFields } from '../logging';
import { assertJsonDepth } from './body';
import { type BodyLimits, DEFAULT_BODY_LIMITS, withBodyLimits } from './body-guard';
import { notifyRefusal, type RefusalObserver, withRefusalObserver } from './refusal-observer';
import { withoutTrailingSlash } from './url';

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';

export interface RequestContext {
  req: Request;
  res: Response;
  method: Method;
  /** Path inside the function, e.g. "/records/42/comments". */
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  rawBody: Buffer;
  log: Logger;
}

export interface HttpResult {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as is. */
  body?: string | Buffer;
}

/** A handler returns a result, or `undefined` once it has written the response itself. */
export type RouteHandler = (ctx: RequestContext) => Promise<HttpResult | undefined> | HttpResult | undefined;

export interface Route {
  method: Method;
  /** Literal segments and `:name` parameters, e.g. "/records/:id/comments". */
  path: string;
  handle: RouteHandler;
}

export interface CorsPolicy {
  allowedOrigins: string[];
  allowedHeaders?: string[];
  allowedMethods?: Method[];
  maxAgeSeconds?: number;
  /** Lets allowed origins send cookies (fetch with credentials: 'include'). */
  allowCredentials?: boolean;
}

export interface HttpAppOptions {
  name: string;
  log: Logger;
  projectId?: string;
  routes: Route[];
  /** Cross-origin access; a policy allowing no origin is none (preflights then get no special answer). */
  cors?: CorsPolicy;
  /** Bodies above this are refused with 413 before the Framework reads them (./body-guard). Default 10 MiB. */
  maxBodyBytes?: number;
  /** JSON, form and text bodies (the ones the Framework parses) above this: 413. Default the smaller of 1 MiB and `maxBodyBytes`. */
  maxParsedBodyBytes?: number;
  /**
   * Told of every request answered with an error, here or by the Framework guard before the
   * function ran (./refusal-observer), before the answer is sent; it never changes the answer.
   */
  observeRefusal?: RefusalObserver;
}

interface CompiledRoute extends Route {
  segments: string[];
}

export type HttpFunction = (req: Request, res: Response) => Promise<void>;

/** An app built by createHttpApp: the handler, and the routes it serves (what its documents must list). */
export type HttpApp = HttpFunction & { readonly routes: ReadonlyArray<Pick<Route, 'method' | 'path'>> };

export function createHttpApp(options: HttpAppOptions): HttpApp {
  const routes: CompiledRoute[] = options.routes.map((r) => ({ ...r, segments: splitPath(r.path) }));
  const cors = options.cors && options.cors.allowedOrigins.length > 0 ? options.cors : undefined;
  const maxBody = options.maxBodyBytes ?? DEFAULT_BODY_LIMITS.maxBytes;
  const limits: BodyLimits = { maxBytes: maxBody, maxParsedBytes: Math.min(options.maxParsedBodyBytes ?? DEFAULT_BODY_LIMITS.maxParsedBytes, maxBody) };

  const app = withBodyLimits(async (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const url = requestUrl(req.originalUrl ?? req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase() as Method;
    const path = normalisePath(url.pathname);
    const log = options.log.child(traceFields(parseTraceHeaders(req.headers), options.projectId));
    let status = 500;
    try {
      applyCors(req, res, cors);
      if (method === 'OPTIONS' && cors) {
        status = 204;
        res.status(204).end();
        return;
      }
      if (path === '/' && (method === 'GET' || method === 'HEAD') && !routes.some((r) => r.path === '/' && r.method === method)) {
        status = 200;
        res.status(200).json({ status: 'ok', function: options.name });
        return;
      }
      const rawBody = Buffer.isBuffer(req.rawBody) ? req.rawBody : Buffer.alloc(0);
      if (rawBody.length > maxBody) throw new AppError('payload_too_large', 413, `request body exceeds ${maxBody} bytes`);
      // The Framework has parsed JSON and form bodies already; no handler may walk an absurdly deep one.
      if (req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body)) assertJsonDepth(req.body);
      const match = matchRoute(routes, method, path);
      const ctx: RequestContext = { req, res, method, path, params: match.params, query: url.searchParams, rawBody, log };
      const result = await match.route.handle(ctx);
      if (result === undefined) {
        status = res.statusCode;
        return;
      }
      status = result.status ?? 200;
      sendResult(res, status, result);
    } catch (err) {
      const response = toErrorResponse(err);
      status = response.status;
      if (status >= 500) log.error('request failed', { err, method, path, status });
      else log.info('request rejected', { method, path, status, code: response.body.code, reason: response.body.message });
      const parsedBody = req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : undefined;
      await notifyRefusal(
        options.observeRefusal,
        { stage: 'function', method, path, status, code: response.body.code, message: response.body.message, parsedBody },
        log,
      );
      if (!res.headersSent) {
        for (const [k, v] of Object.entries(response.headers)) res.setHeader(k, v);
        res.status(status).json(response.body);
      }
    } finally {
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      log.debug('request', { method, path, status, latencyMs: Math.round(latencyMs * 100) / 100 });
    }
  }, limits);
  return Object.assign(withRefusalObserver(app, options.observeRefusal), { routes: routes.map(({ method, path }) => ({ method, path })) });
}

function sendResult(res: Response, status: number, result: HttpResult): void {
  for (const [k, v] of Object.entries(result.headers ?? {})) res.setHeader(k, v);
  if (result.json !== undefined) res.status(status).json(result.json);
  else if (result.body !== undefined) res.status(status).send(result.body);
  else res.status(status).end();
}

/**
 * The request target as a URL. A path starting with "//" stays a path (resolved against a
 * base it would be a scheme-relative URL whose first segment became the host, and
 * "//x/accounts" would be served as "/accounts"); a target no URL parser accepts is "/".
 */
function requestUrl(target: string): URL {
  try {
    return target.startsWith('/') ? new URL(`http://function.local${target}`) : new URL(target, 'http://function.local');
  } catch {
    return new URL('http://function.local/');
  }
}

function splitPath(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function normalisePath(path: string): string {
  const trimmed = withoutTrailingSlash(path);
  return trimmed === '' ? '/' : trimmed;
}

function matchRoute(routes: CompiledRoute[], method: Method, path: string): { route: CompiledRoute; params: Record<string, string> } {
  const segments = splitPath(path);
  let pathMatched = false;
  for (const route of routes) {
    const params = matchSegments(route.segments, segments);
    if (!params) continue;
    pathMatched = true;
    if (route.method === method || (method === 'HEAD' && route.method === 'GET')) return { route, params };
  }
  if (pathMatched) throw new AppError('method_not_allowed', 405, `${method} is not allowed on ${path}`);
  throw new AppError('not_found', 404, `no such endpoint: ${method} ${path}`);
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  // A trailing "*" matches any rest of the path (used for catch-all routes).
  if (pattern[pattern.length - 1] === '*') {
    if (actual.length < pattern.length - 1) return undefined;
    return matchSegments(pattern.slice(0, -1), actual.slice(0, pattern.length - 1));
  }
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) {
      let decoded: string;
      try {
        decoded = decodeURIComponent(a);
      } catch {
        return undefined;
      }
      params[p.slice(1)] = decoded;
    } else if (p !== a) return undefined;
  }
  return params;
}

function applyCors(req: Request, res: Response, cors: CorsPolicy | undefined): void {
  if (!cors) return;
  const origin = req.headers.origin;
  if (typeof origin !== 'string' || !cors.allowedOrigins.includes(origin)) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  res.setHeader('access-control-allow-methods', (cors.allowedMethods ?? ['GET', 'POST', 'DELETE', 'OPTIONS']).join(', '));
  res.setHeader('access-control-allow-headers', (cors.allowedHeaders ?? ['authorization', 'content-type']).join(', '));
  res.setHeader('access-control-max-age', String(cors.maxAgeSeconds ?? 600));
  if (cors.allowCredentials) res.setHeader('access-control-allow-credentials', 'true');
}
