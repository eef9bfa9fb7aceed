import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, GcsJsonError } from './errors';

/** Metadata bodies are small; anything larger is a client mistake, not an upload. */
const MAX_JSON_BODY_BYTES = 1 << 20;

/** Reads a JSON request body; an empty body is `{}`. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY_BYTES) throw new GcsJsonError(413, 'uploadTooLarge', 'Request body too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('Request body is not valid JSON.', 'parseError');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=UTF-8',
    'Content-Length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': '0', ...headers });
  res.end();
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/** `X-Goog-Hash: crc32c=…,md5=…` as sent by the client on a final chunk. */
export function parseGoogHash(value: string | undefined): { md5?: string; crc32c?: string } {
  const out: { md5?: string; crc32c?: string } = {};
  for (const pair of (value ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at < 0) continue;
    const kind = pair.slice(0, at).trim().toLowerCase();
    const hash = pair.slice(at + 1).trim();
    if (kind === 'md5') out.md5 = hash;
    else if (kind === 'crc32c') out.crc32c = hash;
  }
  return out;
}
