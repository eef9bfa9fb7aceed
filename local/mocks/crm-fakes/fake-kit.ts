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
  /**
   * Random faults on every matching request from now on (chaos runs): 500s, 429s with
   * Retry-After: 1, and lost answers after the request was applied; `random` makes them replayable.
   */
  randomly(options: RandomFaults): void;
  /** Faults the random script injected so far, by kind. */
  readonly injected: { s500: number; s429: number; lost: number };
  /** Answers the scripted failure if one applies; true when it did. */
  apply(req: MockRequest, res: http.ServerResponse): boolean;
}

export interface RandomFaults {
  s500: number;
  s429: number;
  lost: number;
  random: () => number;
  /** Only requests whose "METHOD /path" matches (e.g. not the token endpoint). */
  match?: RegExp;
}

export function createFailures(): FakeFailures {
  const scripts: ScriptedFailure[] = [];
  let chaos: RandomFaults | undefined;
  const injected = { s500: 0, s429: 0, lost: 0 };
  const lose = (res: http.ServerResponse) => {
    // The handler runs (the write is applied) but its answer never leaves: the client sees a reset.
    res.writeHead = (() => res) as typeof res.writeHead;
    res.end = (() => {
      res.socket?.destroy();
      return res;
    }) as typeof res.end;
  };
  return {
    randomly(options) {
      chaos = options;
    },
    injected,
    failNext(status, body, options = {}) {
      scripts.push({
        status,
        body,
        mode: 'answer',
        remaining: options.times ?? 1,
        ...(options.headers ? { headers: options.headers } : {}),
        ...(options.match ? { match: options.match } : {}),
      });
    },
    loseNext(options = {}) {
      scripts.push({ status: 0, body: undefined, mode: 'lose', remaining: options.times ?? 1, ...(options.match ? { match: options.match } : {}) });
    },
    apply(req, res) {
      const line = `${req.method} ${req.path}`;
      const script = scripts.find((s) => s.remaining > 0 && (!s.match || s.match.test(line)));
      if (!script) {
        if (!chaos || (chaos.match && !chaos.match.test(line))) return false;
        const r = chaos.random();
        if (r < chaos.s500) {
          injected.s500++;
          sendJson(res, 500, { error: 'chaos: internal error' });
          return true;
        }
        if (r < chaos.s500 + chaos.s429) {
          injected.s429++;
          sendJson(res, 429, { error: 'chaos: rate limited' }, { 'retry-after': '1' });
          return true;
        }
        if (r < chaos.s500 + chaos.s429 + chaos.lost && req.method !== 'GET') {
          injected.lost++;
          lose(res);
        }
        return false;
      }
      script.remaining--;
      if (script.mode === 'lose') {
        lose(res);
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
