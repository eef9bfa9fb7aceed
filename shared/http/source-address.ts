/**
 * The address a request came from, for rate limits: the X-Forwarded-For entry appended by the
 * proxy that saw the caller — the last one, or `hops` before it when the platform's own proxies
 * append more (entries before it are the caller's to write, so trusting them would let a client
 * pick a fresh identity per request) — else the socket's peer. How many entries Google's front
 * ends append for a Cloud Functions URL is unconfirmed, hence `hops` (a setting per function).
 */
import type { Request } from '@google-cloud/functions-framework';

export function sourceAddress(req: Pick<Request, 'headers' | 'socket'>, hops = 0): string {
  const raw = req.headers['x-forwarded-for'];
  const entries = (Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e.length > 0);
  const entry = entries[entries.length - 1 - hops] ?? entries[0];
  return entry || req.socket?.remoteAddress || 'unknown';
}
