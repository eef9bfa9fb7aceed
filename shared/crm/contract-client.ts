/**
 * A CrmClient that speaks the ccbridge contract over HTTP — to the `crm` function (mock or
 * real mode) or anything else that implements functions/crm/openapi.yaml.
 *
 * One got instance for the upstream (prefixUrl, timeouts, retry policy). Retries happen only
 * where repeating is harmless: lookups and updates (which set fields), and creates that
 * carry an idempotency key (the server returns the first result for a repeated key).
 * Everything the server answers is parsed with zod; a 2xx that breaks the contract is a
 * non-retryable contract violation, like CCAI Platform treats it.
 */
import got, { type Got, type Method, type OptionsInit, type Response } from 'got';
import type * as z from 'zod';
import type { Secret } from '../config';
import { AppError, type ErrorCode, errorCodeForStatus } from '../errors';
import type { Logger } from '../logging';
import {
  accountDataSchema,
  accountLookupSchema,
  attachmentDataSchema,
  commentDataSchema,
  errorBodySchema,
  recordDataSchema,
  recordLookupSchema,
  tokenResponseSchema,
  compact,
} from './contract';
import { gotRetryAfter, parseRetryAfter } from '../http/retry-after';
import { crmAuthFailed, crmContractViolation, crmUnavailable } from './errors';
import type { CrmClient } from './port';
import { withoutTrailingSlash } from '../http/url';

export type ContractAuth =
  | { kind: 'basic'; user: string; password: Secret }
  | { kind: 'oauth'; clientId: string; clientSecret: Secret }
  | { kind: 'header'; header: string; value: Secret }
  | { kind: 'none' };

export interface ContractClientOptions {
  /** Base URL of the contract, e.g. https://REGION-PROJECT.cloudfunctions.net/crm */
  baseUrl: string;
  auth: ContractAuth;
  timeoutMs?: number;
  /** Retries of idempotent calls (0 disables). */
  retryLimit?: number;
  log?: Logger;
  now?: () => number;
}

const CRM = 'CRM contract';
const KNOWN_CODES = new Set<string>([
  'bad_request',
  'invalid_body',
  'invalid_query',
  'unauthenticated',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'conflict',
  'payload_too_large',
  'unsupported_media_type',
  'rate_limited',
  'not_implemented',
  'upstream_error',
  'upstream_unavailable',
  'unavailable',
  'internal',
]);

interface CallOptions {
  method: Method;
  path: string;
  searchParams?: Record<string, string>;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
  idempotent: boolean;
}

export function createContractCrmClient(options: ContractClientOptions): CrmClient {
  const now = options.now ?? Date.now;
  const retryLimit = options.retryLimit ?? 2;
  const http: Got = got.extend({
    prefixUrl: withoutTrailingSlash(options.baseUrl),
    timeout: { request: options.timeoutMs ?? 10_000 },
    throwHttpErrors: false,
    responseType: 'text',
    followRedirect: false,
    retry: {
      limit: retryLimit,
      methods: ['GET', 'PUT', 'PATCH', 'POST', 'HEAD'],
      statusCodes: [408, 429, 500, 502, 503, 504],
      // Honour Retry-After, but never wait longer than a caller would.
      ...gotRetryAfter(30_000),
    },
    headers: { accept: 'application/json', 'user-agent': 'ccbridge-crm-contract-client' },
  });

  let token: { value: string; expiresAt: number } | undefined;
  let pendingToken: Promise<string> | undefined;

  const fetchToken = async (auth: Extract<ContractAuth, { kind: 'oauth' }>): Promise<string> => {
    const res = await http.post('oauth/token', {
      form: { grant_type: 'client_credentials' },
      headers: { authorization: basic(auth.clientId, auth.clientSecret.reveal()) },
    });
    if (res.statusCode === 401 || res.statusCode === 400) throw crmAuthFailed(CRM, res.statusCode);
    if (res.statusCode !== 200) throw crmUnavailable(CRM, res.statusCode);
    const parsed = parseJson(res.body, tokenResponseSchema, 'token response');
    // Renew a minute early so a token never expires mid-request.
    token = { value: parsed.access_token, expiresAt: now() + Math.max(parsed.expires_in - 60, 1) * 1000 };
    return parsed.access_token;
  };

  const authHeaders = async (): Promise<Record<string, string>> => {
    const auth = options.auth;
    switch (auth.kind) {
      case 'basic':
        return { authorization: basic(auth.user, auth.password.reveal()) };
      case 'header':
        return { [auth.header.toLowerCase()]: auth.value.reveal() };
      case 'none':
        return {};
      case 'oauth': {
        if (token && token.expiresAt > now()) return { authorization: `Bearer ${token.value}` };
        pendingToken ??= fetchToken(auth).finally(() => {
          pendingToken = undefined;
        });
        return { authorization: `Bearer ${await pendingToken}` };
      }
    }
  };

  const call = async (o: CallOptions): Promise<{ status: number; body: string }> => {
    const send = async (): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> => {
      const init: OptionsInit = {
        method: o.method,
        headers: { ...(o.headers ?? {}), ...(await authHeaders()) },
        retry: { limit: o.idempotent ? retryLimit : 0 },
      };
      if (o.searchParams) init.searchParams = o.searchParams;
      if (o.json !== undefined) init.json = o.json;
      if (o.body !== undefined) init.body = o.body;
      try {
        const res = (await http(o.path, init)) as Response<string>;
        return { status: res.statusCode, body: res.body, headers: res.headers };
      } catch (err) {
        // Timeouts and connection failures after the retries: the CRM is unreachable.
        throw crmUnavailable(CRM, undefined, err);
      }
    };
    let res = await send();
    if (res.status === 401 && options.auth.kind === 'oauth') {
      // The server may have restarted with a new signing key or the token expired early.
      token = undefined;
      res = await send();
    }
    if (res.status >= 200 && res.status < 300) return res;
    options.log?.info('crm contract call failed', { method: o.method, path: o.path, status: res.status });
    throw toAppError(res.status, res.body, res.headers);
  };

  const query = (q: Record<string, string | undefined>) => Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
  const parsed = async <T extends z.ZodType>(o: CallOptions, schema: T, what: string): Promise<z.output<T>> => parseJson((await call(o)).body, schema, what);

  const idempotencyHeaders = (key: string | undefined): Record<string, string> => (key === undefined ? {} : { 'idempotency-key': key });
  const enc = encodeURIComponent;

  return {
    kind: 'contract',
    async findAccount(q) {
      const r = await parsed({ method: 'GET', path: 'accounts', searchParams: query({ ...q }), idempotent: true }, accountLookupSchema, 'account lookup');
      return r.found && r.data ? compact(r.data) : undefined;
    },
    async createAccount(input) {
      return compact((await parsed({ method: 'POST', path: 'accounts', json: input, idempotent: false }, accountDataSchema, 'account create')).data);
    },
    async updateAccount(id, patch) {
      return compact((await parsed({ method: 'PATCH', path: `accounts/${enc(id)}`, json: patch, idempotent: true }, accountDataSchema, 'account update')).data);
    },
    async findRecord(q) {
      const r = await parsed({ method: 'GET', path: 'records', searchParams: query({ ...q }), idempotent: true }, recordLookupSchema, 'record lookup');
      return r.found && r.data ? compact(r.data) : undefined;
    },
    // One record per session makes a create safe to repeat even without a key.
    async createRecord(input) {
      const o: CallOptions = { method: 'POST', path: 'records', json: input, headers: idempotencyHeaders(input.idempotencyKey), idempotent: true };
      return compact((await parsed(o, recordDataSchema, 'record create')).data);
    },
    async updateRecord(id, update) {
      return compact((await parsed({ method: 'PATCH', path: `records/${enc(id)}`, json: update, idempotent: true }, recordDataSchema, 'record update')).data);
    },
    async addComment(recordId, comment) {
      const o: CallOptions = {
        method: 'POST',
        path: `records/${enc(recordId)}/comments`,
        json: comment,
        headers: idempotencyHeaders(comment.idempotencyKey),
        idempotent: comment.idempotencyKey !== undefined,
      };
      return { id: (await parsed(o, commentDataSchema, 'comment create')).data.id };
    },
    async addAttachment(recordId, a) {
      const keyed = a.idempotencyKey !== undefined;
      const headers = idempotencyHeaders(a.idempotencyKey);
      const path = `records/${enc(recordId)}/attachments`;
      let o: CallOptions;
      if (a.content !== undefined) {
        // Bytes go as the raw body: no base64 inflation, no multipart encoding.
        o = {
          method: 'POST',
          path,
          body: a.content,
          searchParams: { fileName: a.fileName },
          headers: { ...headers, 'content-type': a.contentType },
          idempotent: keyed,
        };
      } else if (a.url !== undefined) {
        o = {
          method: 'POST',
          path,
          json: { fileName: a.fileName, contentType: a.contentType, url: a.url, idempotencyKey: a.idempotencyKey },
          headers,
          idempotent: keyed,
        };
      } else {
        throw new AppError('bad_request', 400, 'an attachment needs content or url');
      }
      return { id: (await parsed(o, attachmentDataSchema, 'attachment create')).data.id };
    },
  };
}

function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

function parseJson<T extends z.ZodType>(text: string, schema: T, what: string): z.output<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw crmContractViolation(CRM, `${what} is not JSON`, err);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const where = result.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
    throw crmContractViolation(CRM, `${what} does not match the contract at ${where}`, result.error);
  }
  return result.data;
}

/** Keeps the server's code, message and details (e.g. ambiguous candidates) for the caller. */
function toAppError(status: number, text: string, headers: Record<string, string | string[] | undefined>): AppError {
  if (status === 401 || status === 403) return crmAuthFailed(CRM, status);
  let body: z.output<typeof errorBodySchema> | undefined;
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) body = parsed.data;
  } catch {
    body = undefined;
  }
  const retryAfterSeconds = parseRetryAfter(headers['retry-after']);
  if (status >= 500 && (body === undefined || status === 503)) return crmUnavailable(CRM, status);
  const code: ErrorCode = body && KNOWN_CODES.has(body.code) ? (body.code as ErrorCode) : errorCodeForStatus(status);
  return new AppError(code, status, body?.message ?? `${CRM} answered HTTP ${status}`, {
    details: body?.details,
    retryable: status === 429 || status >= 500,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });
}
