/**
 * What the CRM fakes share: HTTP Basic checking, scripted failures ("the next N calls answer
 * 429 with Retry-After") so adapter tests can prove their error mapping, and sequential ids.
 */

import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { type MockRequest, sendJson } from '../http-mock';

export interface ScriptedFailure {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
  /** Only requests whose "METHOD /path" matches; all when absent. */
  match?: RegExp;
  remaining: number;
  /** 'answer': refuse with status/body; 'lose': apply the request, then drop the connection unanswered. */
  mode: 'answer' | 'lose';
}

export interface FakeFailures {
  /** The next `times` matching requests answer `status` with `body`. */
  failNext(status: number, body: unknown, options?: { times?: number; headers?: Record<string, string>; match?: RegExp }): void;
  /** The next `times` matching requests are applied, then their connection is dropped before any answer (a lost response). */
  loseNext(options?: { times?: number; match?: RegExp }): void;
  /** Answers the scripted failure if one applies; true when it did. */
  apply(req: MockRequest, res: http.ServerResponse): boolean;
}

export function createFailures(): FakeFailures {
  const scripts: ScriptedFailure[] = [];
  return {
    failNext(status, body, options = {}) {
      scripts.push({ status, body, mode: 'answer', remaining: options.times ?? 1, ...(options.headers ? { headers: options.headers } : {}), ...(options.match ? { match: options.match } : {}) });
    },
    loseNext(options = {}) {
      scripts.push({ status: 0, body: undefined, mode: 'lose', remaining: options.times ?? 1, ...(options.match ? { match: options.match } : {}) });
    },
    apply(req, res) {
      const line = `${req.method} ${req.path}`;
      const script = scripts.find((s) => s.remaining > 0 && (!s.match || s.match.test(line)));
      if (!script) return false;
      script.remaining--;
      if (script.mode === 'lose') {
        // The handler runs (the write is applied) but its answer never leaves: the client sees a reset.
        res.writeHead = (() => res) as typeof res.writeHead;
        res.end = (() => {
          res.socket?.destroy();
          return res;
        }) as typeof res.end;
        return false;
      }
      sendJson(res, script.status, script.body, script.headers ?? {});
      return true;
    },
  };
}

export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function basicHeader(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export function sequence(prefix: string, width: number): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(width, '0')}`;
}

export function jsonBody(req: MockRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  const parsed: unknown = JSON.parse(req.body.toString('utf8'));
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
}
