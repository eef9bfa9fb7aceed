/**
 * The mock's request journal: every authenticated contract request as CCAI Platform made it — method,
 * path, headers with credentials redacted, body, the answer, latency, the fault applied —
 * in Firestore collection `crmMockJournal`, expiring through a TTL policy on `expireAt`.
 *
 * Each entry carries `keys` ("session:…", "record:…", "account:…", "phone:…"), read from the
 * request and the answer, so a session's whole call sequence can be gathered with
 * single-field `array-contains` queries (no composite index): from the session to its
 * record and account, and from the account to the lookups that found or missed it.
 * Bodies are stored as (truncated) JSON text: Firestore cannot hold nested arrays.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import type { DocStore } from '../../../shared/ports/docstore';

export const JOURNAL_COLLECTION = 'crmMockJournal';
const MAX_BODY_CHARS = 16_000;
const SECRET_HEADER = /authorization|token|secret|password|api[-_]?key|cookie|session/i;
const SECRET_FIELD = /^(client_secret|password|passwd|secret|access_token|refresh_token|api[-_]?key|token)$/i;

export interface JournalRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  contentType: string | undefined;
  rawBody: Buffer;
  /** The parsed JSON or form body, when there was one. */
  body: unknown;
}

export interface JournalResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON answers as values, anything else as text. */
  json?: unknown;
  text?: string;
}

const journalEntrySchema = z.object({
  id: z.string(),
  at: z.date(),
  expireAt: z.date(),
  operation: z.string(),
  method: z.string(),
  path: z.string(),
  query: z.string(),
  headers: z.record(z.string(), z.string()),
  requestBody: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  requestSize: z.number(),
  status: z.number(),
  responseBody: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  latencyMs: z.number(),
  auth: z.string(),
  fault: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
  keys: z.array(z.string()),
});
export type JournalEntry = z.output<typeof journalEntrySchema>;

/** Redacts credentials but keeps the scheme, so "why 401?" stays answerable. */
function redactHeaders(headers: Record<string, string | string[] | undefined>, extraSecretHeaders: string[] = []): Record<string, string> {
  const extra = new Set(extraSecretHeaders.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined) continue;
    const value = Array.isArray(raw) ? raw.join(', ') : raw;
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const scheme = /^(\S+)\s/.exec(value)?.[1];
      out[lower] = scheme ? `${scheme} [redacted]` : '[redacted]';
    } else if (extra.has(lower) || (SECRET_HEADER.test(lower) && lower !== 'idempotency-key')) out[lower] = '[redacted]';
    else out[lower] = value;
  }
  return out;
}

/** Removes secret-looking fields (OAuth client secrets, tokens) from a body before storing it. */
function redactBody(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactBody);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? '[redacted]' : redactBody(v)]));
  }
  return value;
}

function bodyText(req: JournalRequest): string | undefined {
  if (req.rawBody.length === 0) return undefined;
  const type = (req.contentType ?? '').toLowerCase();
  if (type.includes('json') || type.includes('x-www-form-urlencoded')) {
    const value = req.body !== undefined && !Buffer.isBuffer(req.body) && typeof req.body !== 'string' ? req.body : tryJson(req.rawBody.toString('utf8'));
    if (value !== undefined) return truncate(JSON.stringify(redactBody(value), null, 2));
    return truncate(req.rawBody.toString('utf8'));
  }
  if (type.startsWith('text/')) return truncate(req.rawBody.toString('utf8'));
  return `<${req.rawBody.length} bytes of ${type || 'unknown type'}, sha256 ${createHash('sha256').update(req.rawBody).digest('hex')}>`;
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function truncate(text: string): string {
  return text.length > MAX_BODY_CHARS ? `${text.slice(0, MAX_BODY_CHARS)}… [${text.length - MAX_BODY_CHARS} more characters]` : text;
}

/** The correlation keys of a request/answer pair. */
function correlationKeys(req: JournalRequest, params: Record<string, string>, response: JournalResponse, extra: string[] = []): string[] {
  const keys = new Set<string>(extra);
  const add = (prefix: string, v: unknown) => {
    if (typeof v === 'string' && v.length > 0 && v.length <= 200) keys.add(`${prefix}:${v}`);
  };
  const fromObject = (o: unknown, role: 'account' | 'record' | 'any') => {
    if (o === null || typeof o !== 'object') return;
    const r = o as Record<string, unknown>;
    add('session', r['sessionId']);
    add('account', r['accountId']);
    if (role === 'account') {
      add('account', r['id']);
      add('phone', r['phone']);
      add('email', r['email']);
    }
    if (role === 'record') add('record', r['id']);
  };
  const path = req.path;
  const role = path.startsWith('/accounts') ? 'account' : path.startsWith('/records') ? 'record' : 'any';
  if (params['id']) add(role === 'account' ? 'account' : 'record', params['id']);
  const body = req.body !== null && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? req.body : undefined;
  fromObject(body, 'any');
  if (role === 'account' && body) {
    add('phone', (body as Record<string, unknown>)['phone']);
    add('email', (body as Record<string, unknown>)['email']);
  }
  const data = (response.json as { data?: unknown } | undefined)?.data;
  fromObject(data, role === 'account' ? 'account' : 'record');
  if (role === 'record' && params['id'] && data && typeof data === 'object') {
    // comments and attachments answer their own id: it is not a record id
    keys.delete(`record:${(data as Record<string, unknown>)['id']}`);
    add('record', params['id']);
  }
  return [...keys];
}

export interface JournalWriter {
  write(entry: {
    operation: string;
    request: JournalRequest;
    params: Record<string, string>;
    response: JournalResponse;
    latencyMs: number;
    auth: string;
    fault?: string;
    keys?: string[];
  }): Promise<void>;
}

export function createJournal(store: DocStore, options: { ttlHours: number; now?: () => Date; secretHeaders?: string[] }): JournalWriter {
  const now = options.now ?? (() => new Date());
  return {
    async write(e) {
      const at = now();
      // Time-ordered ids: a listing by id is a listing by time.
      const id = `${at.getTime().toString().padStart(14, '0')}-${randomBytes(4).toString('hex')}`;
      const responseBody =
        e.response.json !== undefined
          ? truncate(JSON.stringify(redactBody(e.response.json), null, 2))
          : e.response.text !== undefined
            ? truncate(e.response.text)
            : undefined;
      const entry: Record<string, unknown> = {
        id,
        at,
        expireAt: new Date(at.getTime() + options.ttlHours * 3600_000),
        operation: e.operation,
        method: e.request.method,
        path: e.request.path,
        query: e.request.query,
        headers: redactHeaders(e.request.headers, options.secretHeaders),
        requestSize: e.request.rawBody.length,
        status: e.response.status,
        latencyMs: Math.round(e.latencyMs * 10) / 10,
        auth: e.auth,
        keys: correlationKeys(e.request, e.params, e.response, e.keys),
      };
      const requestBody = bodyText(e.request);
      if (requestBody !== undefined) entry['requestBody'] = requestBody;
      if (responseBody !== undefined) entry['responseBody'] = responseBody;
      if (e.fault !== undefined) entry['fault'] = e.fault;
      await store.create(JOURNAL_COLLECTION, id, entry);
    },
  };
}

const parseEntries = (docs: Array<{ data: unknown }>) => docs.map((d) => journalEntrySchema.parse(d.data));

export async function listJournal(store: DocStore, filter: { key?: string; limit: number }): Promise<JournalEntry[]> {
  const docs = await store.query(JOURNAL_COLLECTION, {
    ...(filter.key
      ? { where: [['keys', 'array-contains', filter.key] as ['keys', 'array-contains', string]] }
      : { orderBy: [['at', 'desc'] as ['at', 'desc']] }),
    limit: filter.key ? 1000 : filter.limit,
  });
  // Filtered queries are sorted here: ordering them in Firestore would need a composite index.
  return parseEntries(docs)
    .sort((a, b) => b.id.localeCompare(a.id))
    .slice(0, filter.limit);
}

/**
 * A session's call sequence: entries naming the session, then those reachable through its
 * record and account ids and the caller's phone/email — but only near the session in time
 * and not belonging to another session, so a caller's earlier calls stay out.
 */
export async function sessionSequence(store: DocStore, sessionId: string, windowMinutes = 30): Promise<JournalEntry[]> {
  const own = `session:${sessionId}`;
  const byId = new Map<string, JournalEntry>();
  const direct = await listJournal(store, { key: own, limit: 1000 });
  for (const e of direct) byId.set(e.id, e);
  if (direct.length === 0) return [];
  const times = direct.map((e) => e.at.getTime());
  const from = Math.min(...times) - windowMinutes * 60_000;
  const to = Math.max(...times) + windowMinutes * 60_000;
  const followed = new Set<string>([own]);
  let frontier = direct.flatMap((e) => e.keys).filter((k) => /^(record|account|phone|email):/.test(k));
  for (let depth = 0; depth < 3 && frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const key of [...new Set(frontier)].slice(0, 20)) {
      if (followed.has(key)) continue;
      followed.add(key);
      for (const e of await listJournal(store, { key, limit: 1000 })) {
        const otherSession = e.keys.some((k) => k.startsWith('session:') && k !== own);
        const t = e.at.getTime();
        if (otherSession || t < from || t > to || byId.has(e.id)) continue;
        byId.set(e.id, e);
        next.push(...e.keys.filter((k) => /^(record|account|phone|email):/.test(k)));
      }
    }
    frontier = next;
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Requests that failed authentication, per instance and in memory: a refused request writes
 * nothing (an unauthenticated caller must not be able to fill the journal or cost a write),
 * but the admin still sees how many were refused, by operation and status, since when.
 */
export interface RefusedTally {
  note(operation: string, status: number): void;
  snapshot(): { total: number; since: string; byOperation: Record<string, number>; byStatus: Record<string, number> };
}

export function createRefusedTally(now: () => Date = () => new Date()): RefusedTally {
  const since = now().toISOString();
  const byOperation = new Map<string, number>();
  const byStatus = new Map<string, number>();
  let total = 0;
  return {
    note(operation, status) {
      total++;
      byOperation.set(operation, (byOperation.get(operation) ?? 0) + 1);
      byStatus.set(String(status), (byStatus.get(String(status)) ?? 0) + 1);
    },
    snapshot: () => ({ total, since, byOperation: Object.fromEntries(byOperation), byStatus: Object.fromEntries(byStatus) }),
  };
}
