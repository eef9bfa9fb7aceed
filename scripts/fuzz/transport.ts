/**
 * Sends one fuzz request and reads the answer. Well-formed HTTP goes through node:http (a
 * keep-alive agent, as real callers use); everything an HTTP client refuses to send goes
 * byte for byte over a raw socket, and the answer is read back with a small parser that
 * only needs the status line, headers and a Content-Length or chunked body.
 */
import http from 'node:http';
import net from 'node:net';
import type { HttpRequestSpec, RawRequestSpec, RequestSpec, StepResult } from './case';

export interface Transport {
  send(request: RequestSpec): Promise<StepResult>;
  close(): void;
}

export function createTransport(baseUrl: string, options: { timeoutMs?: number; maxSockets?: number } = {}): Transport {
  const url = new URL(baseUrl);
  const host = url.hostname;
  const port = Number(url.port);
  const timeoutMs = options.timeoutMs ?? 15_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 32 });
  return {
    send: (request) => (request.transport === 'http' ? sendHttp(agent, host, port, request, timeoutMs) : sendRaw(host, port, request, timeoutMs)),
    close: () => agent.destroy(),
  };
}

function sendHttp(agent: http.Agent, host: string, port: number, spec: HttpRequestSpec, timeoutMs: number): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<StepResult, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, ms: Date.now() - started });
    };
    const headers: Record<string, string> = { ...spec.headers };
    if (spec.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length'))
      headers['content-length'] = String(spec.body.length);
    const req = http.request({ host, port, method: spec.method, path: spec.path, headers, agent, setHost: true }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', (err) => finish({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), error: `response: ${err.message}` }));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (err) => finish({ status: undefined, headers: {}, body: Buffer.alloc(0), error: err.message }));
    req.end(spec.body);
  });
}

function sendRaw(host: string, port: number, spec: RawRequestSpec, timeoutMs: number): Promise<StepResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const received: Buffer[] = [];
    let settled = false;
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const parsed = parseResponse(Buffer.concat(received));
      resolve({ ...parsed, ...(error && parsed.status === undefined ? { error } : {}), ms: Date.now() - started });
    };
    const timer = setTimeout(() => finish(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.on('data', (c: Buffer) => {
      received.push(c);
      // One complete answer is all a fuzz step reads.
      if (parseResponse(Buffer.concat(received)).complete) finish();
    });
    socket.on('error', (err) => finish(err.message));
    socket.on('close', () => finish('connection closed without an answer'));
    socket.on('connect', () => {
      void (async () => {
        for (const chunk of spec.chunks) {
          if (socket.destroyed) return;
          socket.write(chunk);
          // Separate writes reach the server as separate reads (a body trickling in).
          if (spec.chunks.length > 1) await new Promise((r) => setTimeout(r, 2));
        }
        if (spec.ending === 'half-close') socket.end();
        else if (spec.ending === 'cut') {
          await new Promise((r) => setTimeout(r, spec.pauseMs ?? 50));
          // A client that dies mid-request: whatever came back so far is the answer.
          finish('client cut the connection');
        }
      })();
    });
  });
}

interface ParsedResponse {
  status: number | undefined;
  headers: Record<string, string>;
  body: Buffer;
  complete: boolean;
}

/** Reads an HTTP/1.1 answer from raw bytes; `complete` once the body is all there. */
export function parseResponse(raw: Buffer): ParsedResponse {
  const headEnd = raw.indexOf('\r\n\r\n');
  if (headEnd < 0) return { status: undefined, headers: {}, body: Buffer.alloc(0), complete: false };
  const lines = raw.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '')?.[1]);
  // "100 Continue" and other interim answers come before the real one.
  if (status >= 100 && status < 200) return parseResponse(raw.subarray(headEnd + 4));
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = raw.subarray(headEnd + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const { body, complete } = dechunk(rest);
    return { status: Number.isFinite(status) ? status : undefined, headers, body, complete };
  }
  const length = headers['content-length'] !== undefined ? Number(headers['content-length']) : undefined;
  const body = length !== undefined ? rest.subarray(0, length) : rest;
  // Without a length the body runs to the close; the caller finishes on 'close'.
  return { status: Number.isFinite(status) ? status : undefined, headers, body, complete: length !== undefined && rest.length >= length };
}

function dechunk(raw: Buffer): { body: Buffer; complete: boolean } {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', pos);
    if (lineEnd < 0) return { body: Buffer.concat(parts), complete: false };
    const size = Number.parseInt(raw.subarray(pos, lineEnd).toString('latin1'), 16);
    if (!Number.isFinite(size)) return { body: Buffer.concat(parts), complete: true };
    if (size === 0) return { body: Buffer.concat(parts), complete: true };
    const start = lineEnd + 2;
    if (raw.length < start + size + 2) return { body: Buffer.concat(parts), complete: false };
    parts.push(raw.subarray(start, start + size));
    pos = start + size + 2;
  }
}
