/**
 * The address a request came from: the last X-Forwarded-For entry, the one the platform's
 * front end appended (entries before it are the caller's to write, so trusting them would let
 * a client pick a fresh identity per request), else the socket's peer.
 */
import type { Request } from '@google-cloud/functions-framework';

export function sourceAddress(req: Pick<Request, 'headers' | 'socket'>): string {
  const raw = req.headers['x-forwarded-for'];
  const forwarded = Array.isArray(raw) ? raw[0] : raw;
  const last = forwarded?.split(',').pop()?.trim();
  return last || req.socket?.remoteAddress || 'unknown';
}
