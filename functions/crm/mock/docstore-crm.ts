/**
 * The mock CRM's state, in Firestore through the DocStore port: a CrmClient whose accounts,
 * records, comments and attachments survive instances and can be inspected and reset.
 *
 * Idempotency rests on `create()` preconditions (the one primitive the Firestore stand-in
 * and Firestore agree on): a record's id derives from its session, a keyed comment's or
 * attachment's id from its record and key, so a repeated write collides with the first one
 * and returns it. Attachment bytes are not kept: size and SHA-256 are, which is what a
 * person debugging an integration needs to compare.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as z from 'zod';
import { compact } from '../../../shared/crm/contract';
import { ambiguousMatch, crmNotFound } from '../../../shared/crm/errors';
import { CHANNELS, type CrmAccount, type CrmClient, type CrmRecord } from '../../../shared/crm/port';
import { DocAlreadyExistsError, DocNotFoundError, type DocStore } from '../../../shared/ports/docstore';

export const MOCK_COLLECTIONS = {
  accounts: 'crmMockAccounts',
  records: 'crmMockRecords',
  comments: 'crmMockComments',
  attachments: 'crmMockAttachments',
  keys: 'crmMockKeys',
} as const;

const opt = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

const storedAccountSchema = z.object({
  id: z.string(),
  name: opt(z.string()),
  phone: opt(z.string()),
  email: opt(z.string()),
  externalId: opt(z.string()),
  createdAt: z.date(),
});

const storedRecordSchema = z.object({
  id: z.string(),
  accountId: opt(z.string()),
  sessionId: z.string(),
  channel: z.enum(CHANNELS),
  status: z.enum(['open', 'closed']),
  subject: z.string(),
  queue: opt(z.string()),
  direction: opt(z.string()),
  disposition: opt(z.string()),
  notes: opt(z.string()),
  durationSeconds: opt(z.number()),
  activityDate: opt(z.string()),
  fields: opt(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  createdAt: z.date(),
});

const storedKeySchema = z.object({ targetId: z.string() });

export interface DocStoreCrmOptions {
  store: DocStore;
  now?: () => Date;
  /** Builds the URL a person opens for a record (the mock's session page). */
  recordUrl?: (record: { id: string; sessionId: string }) => string | undefined;
}

const hash = (s: string, n = 16) => createHash('sha256').update(s).digest('hex').slice(0, n).toUpperCase();
const randomId = (prefix: string) => `${prefix}-${randomBytes(6).toString('hex').toUpperCase()}`;

export function createDocStoreCrm(options: DocStoreCrmOptions): CrmClient {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const C = MOCK_COLLECTIONS;

  const toAccount = (data: unknown): CrmAccount => {
    const a = storedAccountSchema.parse(data);
    return compact({ id: a.id, name: a.name, phone: a.phone, email: a.email, externalId: a.externalId });
  };
  const toRecord = (data: unknown): CrmRecord => {
    const r = storedRecordSchema.parse(data);
    return compact({
      id: r.id,
      accountId: r.accountId,
      sessionId: r.sessionId,
      channel: r.channel,
      status: r.status,
      subject: r.subject,
      queue: r.queue,
      disposition: r.disposition,
      notes: r.notes,
      durationSeconds: r.durationSeconds,
      fields: r.fields,
      url: options.recordUrl?.({ id: r.id, sessionId: r.sessionId }),
    });
  };

  const getRecord = async (id: string) => {
    const doc = await store.get(C.records, id);
    return doc ? toRecord(doc) : undefined;
  };

  const accountsWhere = async (field: string, value: string) =>
    (await store.query(C.accounts, { where: [[field, '==', value]], limit: 10 })).map((d) => toAccount(d.data));

  /** Creates `id` once; a collision returns what the first write stored. */
  const createOnce = async (collection: string, id: string, data: Record<string, unknown>): Promise<Record<string, unknown>> => {
    try {
      await store.create(collection, id, data);
      return data;
    } catch (err) {
      if (!(err instanceof DocAlreadyExistsError)) throw err;
      const existing = await store.get(collection, id);
      if (!existing) throw err;
      return existing;
    }
  };

  return {
    kind: 'mock',

    async findAccount(q) {
      const found = new Map<string, CrmAccount>();
      if (q.externalId !== undefined) for (const a of await accountsWhere('externalId', q.externalId)) found.set(a.id, a);
      if (found.size === 0 && q.phone !== undefined) for (const a of await accountsWhere('phone', q.phone)) found.set(a.id, a);
      if (found.size === 0 && q.email !== undefined) for (const a of await accountsWhere('email', q.email.toLowerCase())) found.set(a.id, a);
      const matches = [...found.values()];
      if (matches.length > 1) throw ambiguousMatch(matches.map((a) => compact({ id: a.id, type: 'account', name: a.name })));
      return matches[0];
    },

    async createAccount(input) {
      // An account is identified by its strongest key, so a retried create finds the first one.
      const primary =
        input.externalId !== undefined ? `x:${input.externalId}` : input.phone !== undefined ? `p:${input.phone}` : `e:${input.email ?? randomId('')}`;
      const id = `ACC-${hash(primary)}`;
      const at = now();
      const stored = await createOnce(C.accounts, id, { ...compact({ ...input, email: input.email?.toLowerCase() }), id, createdAt: at, updatedAt: at });
      return toAccount(stored);
    },

    async updateAccount(id, patch) {
      try {
        await store.update(C.accounts, id, { ...compact({ ...patch, email: patch.email?.toLowerCase() }), updatedAt: now() });
      } catch (err) {
        if (err instanceof DocNotFoundError) throw crmNotFound('account', id);
        throw err;
      }
      const doc = await store.get(C.accounts, id);
      if (!doc) throw crmNotFound('account', id);
      return toAccount(doc);
    },

    async findRecord(q) {
      if (q.id !== undefined) return getRecord(q.id);
      if (q.sessionId !== undefined) return getRecord(recordIdOf(q.sessionId));
      if (q.accountId !== undefined) {
        const open = await store.query(C.records, {
          where: [
            ['accountId', '==', q.accountId],
            ['status', '==', 'open'],
          ],
          limit: 50,
        });
        const records = open.map((d) => storedRecordSchema.parse(d.data)).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
        return records[0] ? toRecord(records[0]) : undefined;
      }
      return undefined;
    },

    async createRecord(input) {
      if (input.idempotencyKey !== undefined) {
        const key = await store.get(C.keys, `record-${hash(input.idempotencyKey, 32)}`);
        if (key) {
          const first = await getRecord(storedKeySchema.parse(key).targetId);
          if (first) return first;
        }
      }
      if (input.accountId !== undefined && !(await store.get(C.accounts, input.accountId))) throw crmNotFound('account', input.accountId);
      const id = recordIdOf(input.sessionId);
      const at = now();
      const stored = await createOnce(C.records, id, {
        ...compact({ accountId: input.accountId, queue: input.queue, direction: input.direction }),
        id,
        sessionId: input.sessionId,
        channel: input.channel,
        subject: input.subject,
        status: 'open',
        createdAt: at,
        updatedAt: at,
      });
      if (input.idempotencyKey !== undefined) await createOnce(C.keys, `record-${hash(input.idempotencyKey, 32)}`, { targetId: id, createdAt: at });
      return toRecord(stored);
    },

    async updateRecord(id, update) {
      const at = now();
      const fields: Record<string, unknown> = { ...compact({ ...update }), updatedAt: at };
      if (update.status === 'closed') fields['closedAt'] = at;
      try {
        await store.update(C.records, id, fields);
      } catch (err) {
        if (err instanceof DocNotFoundError) throw crmNotFound('record', id);
        throw err;
      }
      const record = await getRecord(id);
      if (!record) throw crmNotFound('record', id);
      return record;
    },

    async addComment(recordId, comment) {
      if (!(await store.get(C.records, recordId))) throw crmNotFound('record', recordId);
      const id = comment.idempotencyKey !== undefined ? `COM-${hash(`${recordId}|${comment.idempotencyKey}`)}` : randomId('COM');
      await createOnce(C.comments, id, { ...compact({ ...comment }), id, recordId, createdAt: now() });
      return { id };
    },

    async addAttachment(recordId, a) {
      if (!(await store.get(C.records, recordId))) throw crmNotFound('record', recordId);
      const id = a.idempotencyKey !== undefined ? `ATT-${hash(`${recordId}|${a.idempotencyKey}`)}` : randomId('ATT');
      const data: Record<string, unknown> = {
        ...compact({ fileName: a.fileName, contentType: a.contentType, url: a.url, idempotencyKey: a.idempotencyKey }),
        id,
        recordId,
        createdAt: now(),
      };
      if (a.content) {
        data['size'] = a.content.length;
        data['sha256'] = createHash('sha256').update(a.content).digest('hex');
      }
      await createOnce(C.attachments, id, data);
      return { id };
    },
  };
}

/** A session has exactly one record; its id is a function of the session id. */
function recordIdOf(sessionId: string): string {
  return `REC-${hash(`session|${sessionId}`)}`;
}

/** Deletes every document of the mock's data collections; returns how many per collection. */
export async function resetMockData(store: DocStore, collections: string[] = Object.values(MOCK_COLLECTIONS)): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const c of collections) {
    let n = 0;
    for (;;) {
      const page = await store.query(c, { limit: 200 });
      if (page.length === 0) break;
      for (const d of page) await store.delete(c, d.id);
      n += page.length;
    }
    counts[c] = n;
  }
  return counts;
}
