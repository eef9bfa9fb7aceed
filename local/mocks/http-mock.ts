/**
 * The little HTTP server every mock upstream is built on: routes, JSON helpers, request
 * recording (so tests can assert what the bundle sent), and clean shutdown.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface MockRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  params: Record<string, string>;
  body: Buffer;
}

export type MockHandler = (req: MockRequest, res: http.ServerResponse) => void | Promise<void>;

export interface MockRoute {
  method: string;
  /** Literal segments and `:name` parameters. */
  path: string;
  handle: MockHandler;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: http.IncomingHttpHeaders;
  at: number;
}

export interface MockServer {
  readonly baseUrl: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  stop(): Promise<void>;
}

/** Compares a presented secret with the expected one in constant time. */
export function constantEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The request body as a JSON object, or undefined when it is anything else (empty = {}). */
export function readJsonObject(req: MockRequest): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(req.body.toString('utf8') || '{}');
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export async function startMockServer(
  name: string,
  routes: MockRoute[],
  options: { host?: string; port?: number; maxRecorded?: number } = {},
): Promise<MockServer> {
  const compiled = routes.map((r) => ({ ...r, segments: r.path.split('/').filter(Boolean) }));
  const requests: RecordedRequest[] = [];
  const maxRecorded = options.maxRecorded ?? 10_000;

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://mock.local');
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (requests.length >= maxRecorded) requests.shift();
    requests.push({ method: req.method ?? 'GET', path: url.pathname, query: url.search, headers: req.headers, at: Date.now() });
    const segments = url.pathname.split('/').filter(Boolean);
    for (const route of compiled) {
      if (route.method !== req.method) continue;
      const params = match(route.segments, segments);
      if (!params) continue;
      try {
        await route.handle({ method: req.method, path: url.pathname, query: url.searchParams, headers: req.headers, params, body: Buffer.concat(chunks) }, res);
      } catch (err) {
        if (!res.headersSent) sendJson(res, 500, { error: `${name} mock failed: ${(err as Error).message}` });
        else res.destroy();
      }
      return;
    }
    sendJson(res, 404, { error: `${name} mock has no route for ${req.method} ${url.pathname}` });
  });
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://${host}:${port}`,
    port,
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function match(pattern: string[], actual: string[]): Record<string, string> | undefined {
  if (pattern.length !== actual.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(':')) params[p.slice(1)] = decodeURIComponent(a);
    else if (p !== a) return undefined;
  }
  return params;
}
