/**
 * What every CRM adapter does with its CRM's HTTP API: one got instance (prefix, timeouts,
 * retry policy), auth headers per request, JSON answers parsed with zod, and failures mapped
 * onto the contract's errors. Retries are for idempotent calls only — reads, and writes the
 * adapter marks idempotent because they set fields — never for a POST that creates.
 */
import { createHash } from 'node:crypto';
import got, { type Got, type Method, type OptionsInit, type Response } from 'got';
import type * as z from 'zod';
import type { AppError } from '../../errors';
import type { Logger } from '../../logging';
import { crmContractViolation, crmUnavailable, mapUpstreamStatus } from '../errors';
import { gotRetryAfter } from '../../http/retry-after';
import { withoutTrailingSlash } from '../../http/url';
import { sleep } from '../../sleep';

export interface UpstreamOptions {
  /** Name used in errors and logs ("ServiceNow"). */
  crm: string;
  /** Absolute base URL; requests use paths relative to it. Omit to pass absolute URLs. */
  baseUrl?: string;
  timeoutMs: number;
  retryLimit: number;
  authHeaders: () => Promise<Record<string, string>> | Record<string, string>;
  /** Called on a 401 before one repeat of the request (OAuth: drop the cached token). */
  onUnauthorized?: () => void;
  /** A CRM-specific mapping tried before the default status mapping. */
  mapError?: (failure: UpstreamFailureInfo) => AppError | undefined;
  log?: Logger;
}

export interface UpstreamFailureInfo {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  notFound?: { what: string; id: string } | undefined;
}

export interface UpstreamRequest {
  method: Method;
  path: string;
  searchParams?: Record<string, string>;
  json?: unknown;
  form?: Record<string, string>;
  body?: Buffer;
  headers?: Record<string, string>;
  /** Safe to repeat (reads, field-setting writes). POSTs that create must say false. */
  idempotent: boolean;
  /** What a 404 means, for the error the caller gets. */
  notFound?: { what: string; id: string };
  /** Skip auth headers (token requests). */
  anonymous?: boolean;
}

export interface UpstreamAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface Upstream {
  readonly crm: string;
  /** The answer of a 2xx; any other status becomes the mapped AppError. */
  send(request: UpstreamRequest): Promise<UpstreamAnswer>;
  /** Like send, but a 404 resolves with undefined (lookups by id). */
  sendOrMissing(request: UpstreamRequest): Promise<UpstreamAnswer | undefined>;
  /** Parses a 2xx body; a mismatch is a contract violation (the CRM broke its API). */
  parse<T extends z.ZodType>(body: unknown, schema: T, what: string): z.output<T>;
}

export function createUpstream(options: UpstreamOptions): Upstream {
  const http: Got = got.extend({
    ...(options.baseUrl ? { prefixUrl: withoutTrailingSlash(options.baseUrl) } : {}),
    timeout: { request: options.timeoutMs },
    throwHttpErrors: false,
    followRedirect: false,
    responseType: 'text',
    retry: {
      limit: options.retryLimit,
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'POST'],
      statusCodes: [408, 429, 500, 502, 503, 504],
      // Honour Retry-After, but never wait longer than a caller would.
      ...gotRetryAfter(30_000),
    },
    headers: { accept: 'application/json', 'user-agent': 'ccbridge-crm-adapter' },
  });

  const once = async (r: UpstreamRequest): Promise<UpstreamAnswer> => {
    const init: OptionsInit = {
      method: r.method,
      headers: { ...(r.anonymous ? {} : await options.authHeaders()), ...(r.headers ?? {}) },
      // The instance allows every method; a non-idempotent call switches retries off.
      retry: { limit: r.idempotent ? options.retryLimit : 0 },
    };
    if (r.searchParams) init.searchParams = r.searchParams;
    if (r.json !== undefined) init.json = r.json;
    if (r.form !== undefined) init.form = r.form;
    if (r.body !== undefined) init.body = r.body;
    let res: Response<string>;
    try {
      res = (await http(r.path, init)) as Response<string>;
    } catch (err) {
      throw crmUnavailable(options.crm, undefined, err);
    }
    let body: unknown = res.body;
    if (res.body.length > 0 && /json/i.test(String(res.headers['content-type'] ?? ''))) {
      try {
        body = JSON.parse(res.body);
      } catch (err) {
        if (res.statusCode < 300) throw crmContractViolation(options.crm, `${r.method} ${r.path} answered invalid JSON`, err);
      }
    }
    return { status: res.statusCode, headers: res.headers, body };
  };

  const send = async (r: UpstreamRequest): Promise<UpstreamAnswer> => {
    let answer = await once(r);
    if (answer.status === 401 && options.onUnauthorized && !r.anonymous) {
      options.onUnauthorized();
      answer = await once(r);
    }
    if (answer.status >= 200 && answer.status < 300) return answer;
    options.log?.info('crm upstream call failed', { crm: options.crm, method: r.method, path: r.path.split('?')[0], status: answer.status });
    const info: UpstreamFailureInfo = { status: answer.status, headers: answer.headers, body: answer.body, notFound: r.notFound };
    throw (
      options.mapError?.(info) ??
      mapUpstreamStatus({ crm: options.crm, status: answer.status, headers: answer.headers, ...(r.notFound ? { notFound: r.notFound } : {}) })
    );
  };

  return {
    crm: options.crm,
    send,
    async sendOrMissing(r) {
      try {
        return await send(r);
      } catch (err) {
        if ((err as { status?: unknown }).status === 404) return undefined;
        throw err;
      }
    },
    parse(body, schema, what) {
      const result = schema.safeParse(body);
      if (!result.success) {
        const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
        throw crmContractViolation(options.crm, `${what} does not have the documented shape (at ${where})`, result.error);
      }
      return result.data;
    },
  };
}

/**
 * A marker appended to notes an adapter writes for an idempotency key, so a repeat can find
 * the first write in CRMs that have no idempotency keys of their own. Hashed: short, and the
 * caller's key (which may embed ids) never shows in the CRM.
 */
/**
 * A write the CRM cannot deduplicate by itself (a comment, a note, an upload): never repeated
 * blindly. The HTTP client sends it once; when an attempt fails in a way that may have applied
 * it (5xx, 429, a lost response), the marker of that attempt is looked for before the next.
 */
export async function keyedWrite<T>(options: {
  /** Repeats allowed after the first attempt. */
  retries: number;
  /** The result of an earlier attempt, found by its marker, or undefined. */
  find: () => Promise<T | undefined>;
  write: () => Promise<T>;
  /** Waits before a repeat (tests pass one that does not wait). */
  pause?: (ms: number) => Promise<void>;
}): Promise<T> {
  const pause = options.pause ?? sleep;
  for (let attempt = 0; ; attempt++) {
    if (attempt > 0) {
      const earlier = await options.find();
      if (earlier !== undefined) return earlier;
    }
    try {
      return await options.write();
    } catch (err) {
      const e = err as Partial<AppError>;
      if (attempt >= options.retries || e.retryable !== true) throw err;
      const wait = e.retryAfterSeconds !== undefined ? Math.min(e.retryAfterSeconds * 1000, 30_000) : 100 * 2 ** attempt;
      await pause(wait);
    }
  }
}

export function refMarker(key: string): string {
  return `[ccbridge ref:${createHash('sha256').update(key).digest('hex').slice(0, 16)}]`;
}

export function withMarker(text: string, marker: string | undefined): string {
  return marker ? `${text}\n\n${marker}` : text;
}
