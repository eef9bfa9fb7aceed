/**
 * An in-memory CrmClient for unit tests of code that writes a CRM (the Zoom interaction
 * worker, the crm function's handlers). Same semantics as the real ones: idempotency keys,
 * one record per session, 404 on unknown ids. Faults are scripted per method so a test can
 * prove what its code does when the CRM fails, and every call is recorded.
 */
import { createHash } from 'node:crypto';
import { crmNotFound } from '../../../shared/crm/errors';
import type {
  AccountQuery,
  CrmAccount,
  CrmClient,
  CrmRecord,
  NewAccount,
  NewAttachment,
  NewComment,
  NewRecord,
  RecordQuery,
  RecordUpdate,
} from '../../../shared/crm/port';

export type CrmMethod = Exclude<keyof CrmClient, 'kind'>;

export interface MemoryComment {
  id: string;
  recordId: string;
  body: string;
  author?: string;
  idempotencyKey?: string;
}

export interface MemoryAttachment {
  id: string;
  recordId: string;
  fileName: string;
  contentType: string;
  size?: number;
  sha256?: string;
  url?: string;
  idempotencyKey?: string;
}

export interface MemoryCall {
  method: CrmMethod;
  args: unknown[];
  outcome: 'ok' | 'error';
}

export interface MemoryCrm extends CrmClient {
  /** Snapshots (copies) of what the CRM holds. */
  accounts(): CrmAccount[];
  records(): CrmRecord[];
  comments(recordId?: string): MemoryComment[];
  attachments(recordId?: string): MemoryAttachment[];
  /** Every call, in order, including failed ones. */
  readonly calls: readonly MemoryCall[];
  /**
   * The next `times` calls of `method` ('*' = any method) throw `error` (a factory gives a
   * fresh error each time) without touching the data; scripts are used in the order given.
   */
  failNext(method: CrmMethod | '*', error: Error | (() => Error), times?: number): void;
  /** Every later call of `method` waits `ms` first (0 clears it). */
  delay(method: CrmMethod | '*', ms: number): void;
  /** Forgets data, calls and faults. */
  reset(): void;
}

interface FaultScript {
  method: CrmMethod | '*';
  error: Error | (() => Error);
  remaining: number;
}

export function createMemoryCrm(options: { kind?: string } = {}): MemoryCrm {
  let accounts = new Map<string, CrmAccount>();
  let records = new Map<string, CrmRecord>();
  let comments: MemoryComment[] = [];
  let attachments: MemoryAttachment[] = [];
  /** idempotency key (scoped by method) → the id of what the first write produced. */
  let keys = new Map<string, string>();
  let faults: FaultScript[] = [];
  let delays = new Map<CrmMethod | '*', number>();
  const calls: MemoryCall[] = [];
  let seq = 0;
  const nextId = (prefix: string) => `${prefix}-${String(++seq).padStart(4, '0')}`;
  const copy = <T>(v: T): T => structuredClone(v);

  const run = async <T>(method: CrmMethod, args: unknown[], body: () => T): Promise<T> => {
    const wait = delays.get(method) ?? delays.get('*') ?? 0;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const fault = faults.find((f) => f.remaining > 0 && (f.method === method || f.method === '*'));
    if (fault) {
      fault.remaining--;
      faults = faults.filter((f) => f.remaining > 0);
      calls.push({ method, args: copy(args), outcome: 'error' });
      throw typeof fault.error === 'function' ? fault.error() : fault.error;
    }
    try {
      const result = body();
      calls.push({ method, args: copy(args), outcome: 'ok' });
      return copy(result);
    } catch (err) {
      calls.push({ method, args: copy(args), outcome: 'error' });
      throw err;
    }
  };

  const requireRecord = (id: string): CrmRecord => {
    const r = records.get(id);
    if (!r) throw crmNotFound('record', id);
    return r;
  };

  const client: MemoryCrm = {
    kind: options.kind ?? 'memory',

    findAccount: (query: AccountQuery) =>
      run('findAccount', [query], () =>
        [...accounts.values()].find(
          (a) =>
            (query.phone !== undefined && a.phone === query.phone) ||
            (query.email !== undefined && a.email?.toLowerCase() === query.email.toLowerCase()) ||
            (query.externalId !== undefined && a.externalId === query.externalId),
        ),
      ),

    createAccount: (input: NewAccount) =>
      run('createAccount', [input], () => {
        const account: CrmAccount = { id: nextId('acc'), ...input };
        accounts.set(account.id, account);
        return account;
      }),

    updateAccount: (id: string, patch: NewAccount) =>
      run('updateAccount', [id, patch], () => {
        const existing = accounts.get(id);
        if (!existing) throw crmNotFound('account', id);
        const updated = { ...existing, ...patch };
        accounts.set(id, updated);
        return updated;
      }),

    findRecord: (query: RecordQuery) =>
      run('findRecord', [query], () => {
        if (query.id !== undefined) return records.get(query.id);
        const all = [...records.values()].reverse();
        if (query.sessionId !== undefined) return all.find((r) => r.sessionId === query.sessionId);
        if (query.accountId !== undefined) return all.find((r) => r.accountId === query.accountId && r.status === 'open');
        return undefined;
      }),

    createRecord: (input: NewRecord) =>
      run('createRecord', [input], () => {
        const keyed = input.idempotencyKey === undefined ? undefined : keys.get(`record:${input.idempotencyKey}`);
        if (keyed !== undefined) return requireRecord(keyed);
        const sameSession = [...records.values()].find((r) => r.sessionId === input.sessionId);
        if (sameSession) return sameSession;
        if (input.accountId !== undefined && !accounts.has(input.accountId)) throw crmNotFound('account', input.accountId);
        const record: CrmRecord = { id: nextId('rec'), sessionId: input.sessionId, channel: input.channel, status: 'open', subject: input.subject };
        if (input.accountId !== undefined) record.accountId = input.accountId;
        if (input.queue !== undefined) record.queue = input.queue;
        records.set(record.id, record);
        if (input.idempotencyKey !== undefined) keys.set(`record:${input.idempotencyKey}`, record.id);
        return record;
      }),

    updateRecord: (id: string, update: RecordUpdate) =>
      run('updateRecord', [id, update], () => {
        const updated: CrmRecord = { ...requireRecord(id) };
        if (update.status !== undefined) updated.status = update.status;
        if (update.disposition !== undefined) updated.disposition = update.disposition;
        if (update.notes !== undefined) updated.notes = update.notes;
        if (update.durationSeconds !== undefined) updated.durationSeconds = update.durationSeconds;
        if (update.fields !== undefined) updated.fields = { ...updated.fields, ...update.fields };
        records.set(id, updated);
        return updated;
      }),

    addComment: (recordId: string, comment: NewComment) =>
      run('addComment', [recordId, comment], () => {
        requireRecord(recordId);
        const keyed = comment.idempotencyKey === undefined ? undefined : keys.get(`comment:${recordId}:${comment.idempotencyKey}`);
        if (keyed !== undefined) return { id: keyed };
        const stored: MemoryComment = { id: nextId('com'), recordId, body: comment.body };
        if (comment.author !== undefined) stored.author = comment.author;
        if (comment.idempotencyKey !== undefined) {
          stored.idempotencyKey = comment.idempotencyKey;
          keys.set(`comment:${recordId}:${comment.idempotencyKey}`, stored.id);
        }
        comments.push(stored);
        return { id: stored.id };
      }),

    addAttachment: (recordId: string, attachment: NewAttachment) =>
      run('addAttachment', [recordId, { ...attachment, content: attachment.content ? `<${attachment.content.length} bytes>` : undefined }], () => {
        requireRecord(recordId);
        const keyed = attachment.idempotencyKey === undefined ? undefined : keys.get(`attachment:${recordId}:${attachment.idempotencyKey}`);
        if (keyed !== undefined) return { id: keyed };
        const stored: MemoryAttachment = { id: nextId('att'), recordId, fileName: attachment.fileName, contentType: attachment.contentType };
        if (attachment.content) {
          stored.size = attachment.content.length;
          stored.sha256 = createHash('sha256').update(attachment.content).digest('hex');
        }
        if (attachment.url !== undefined) stored.url = attachment.url;
        if (attachment.idempotencyKey !== undefined) {
          stored.idempotencyKey = attachment.idempotencyKey;
          keys.set(`attachment:${recordId}:${attachment.idempotencyKey}`, stored.id);
        }
        attachments.push(stored);
        return { id: stored.id };
      }),

    accounts: () => copy([...accounts.values()]),
    records: () => copy([...records.values()]),
    comments: (recordId) => copy(comments.filter((c) => recordId === undefined || c.recordId === recordId)),
    attachments: (recordId) => copy(attachments.filter((a) => recordId === undefined || a.recordId === recordId)),
    calls,
    failNext(method, error, times = 1) {
      faults.push({ method, error, remaining: times });
    },
    delay(method, ms) {
      if (ms <= 0) delays.delete(method);
      else delays.set(method, ms);
    },
    reset() {
      accounts = new Map();
      records = new Map();
      comments = [];
      attachments = [];
      keys = new Map();
      faults = [];
      delays = new Map();
      calls.length = 0;
      seq = 0;
    },
  };
  return client;
}
