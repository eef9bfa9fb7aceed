/**
 * ServiceNow as the CRM: account = `sys_user`, record = `incident`, through the Table API
 * (`/api/now/table/{table}`, answers wrapped in `{result}`) and the Attachment API, with
 * Basic auth.
 *
 * Mapping choices: the session id lives in the incident's `correlation_id` (a task field
 * meant for an external system's id), which makes "one record per session" a lookup;
 * comments are work notes (internal), found again through `sys_journal_field`; wrap-up sets
 * fields only (state, close code, close notes), so repeating it is harmless. Phone numbers
 * are searched by their last digits and compared in E.164, since ServiceNow stores whatever
 * format a person typed.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import type { Secret } from '../../config';
import { compact } from '../contract';
import { ambiguousMatch, crmNotFound, crmRejected } from '../errors';
import { normalizePhone, type PhoneOptions, phoneTail, samePhone } from '../phone';
import type { Channel, CrmAccount, CrmClient, CrmRecord, NewAccount } from '../port';
import { mappedFields, SN_OWN_FIELDS } from '../record-fields';
import { createUpstream, keyedWrite, refMarker, type Upstream, type UpstreamFailureInfo, withMarker } from './upstream';
import { sessionDescription } from './record-description';
import { withoutTrailingSlash } from '../../http/url';

export interface ServiceNowOptions {
  instanceUrl: string;
  user: string;
  password: Secret;
  phoneFields: string[];
  externalIdField: string;
  dispositionField: string;
  defaultCloseCode: string;
  defaultAccountName: string;
  phone: PhoneOptions;
  timeoutMs: number;
  retryLimit: number;
  /** Rows read per Table API page (sysparm_limit); listings follow sysparm_offset to the end. */
  pageSize?: number;
}

const CRM = 'ServiceNow';
/** Listings stop here whatever the instance holds: a lookup is never a table export. */
const MAX_LISTED_ROWS = 10_000;
const TABLE = 'api/now/table';
const OPEN_STATES = ['1', '2', '3'];
/** 6 Resolved, 7 Closed, 8 Canceled. */
const CLOSED_STATES = ['6', '7', '8'];

const CONTACT_TYPE: Record<Channel, string> = {
  voice: 'phone',
  chat: 'chat',
  sms: 'sms',
  email: 'email',
  messaging: 'chat',
  video: 'phone',
  other: 'self-service',
};
const CHANNEL_OF: Record<string, Channel> = { phone: 'voice', chat: 'chat', sms: 'sms', email: 'email' };

const str = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : v));
const userSchema = z.looseObject({ sys_id: z.string().min(1), name: str, first_name: str, last_name: str, email: str });
const incidentSchema = z.looseObject({
  sys_id: z.string().min(1),
  caller_id: str,
  correlation_id: str,
  short_description: str,
  contact_type: str,
  state: z.union([z.string(), z.number()]).transform(String),
  close_notes: str,
});
const listOf = <T extends z.ZodType>(item: T) => z.object({ result: z.array(item) });
const oneOf = <T extends z.ZodType>(item: T) => z.object({ result: item });
const idOnly = z.object({ sys_id: z.string().min(1) });
const attachmentSchema = z.looseObject({
  sys_id: z.string().min(1),
  size_bytes: z.union([z.string(), z.number()]).optional(),
  hash: z
    .string()
    .nullish()
    .transform((v) => v ?? undefined),
});

/** ServiceNow error bodies: `{"error": {"message", "detail"}, "status": "failure"}`. */
const errorSchema = z.object({ error: z.object({ message: z.string().optional(), detail: z.string().nullish() }) });

function mapServiceNowError(f: UpstreamFailureInfo) {
  const parsed = errorSchema.safeParse(f.body);
  const message = parsed.success ? parsed.data.error.message : undefined;
  if (f.status === 400 && message) return crmRejected(CRM, message);
  return undefined;
}

/** Values are embedded in encoded queries, where ^ separates clauses (^OR, ^NQ): refuse them. */
function queryValue(field: string, value: string): string {
  if (/[\^\r\n]/.test(value)) throw crmRejected(CRM, `${field} contains characters an encoded query cannot carry`);
  return value;
}

/** sys_ids are 32 hexadecimal characters; anything else cannot name a record (nor go into a query). */
const isSysId = (v: string) => /^[0-9a-f]{32}$/i.test(v);

export function createServiceNowCrm(options: ServiceNowOptions): CrmClient {
  const upstream: Upstream = createUpstream({
    crm: CRM,
    baseUrl: options.instanceUrl,
    timeoutMs: options.timeoutMs,
    retryLimit: options.retryLimit,
    authHeaders: () => ({ authorization: `Basic ${Buffer.from(`${options.user}:${options.password.reveal()}`).toString('base64')}` }),
    mapError: mapServiceNowError,
  });
  const userFields = ['sys_id', 'name', 'first_name', 'last_name', 'email', ...options.phoneFields, options.externalIdField];
  const incidentFields = ['sys_id', 'caller_id', 'correlation_id', 'short_description', 'contact_type', 'state', 'close_notes', options.dispositionField];
  const common = { sysparm_exclude_reference_link: 'true' };

  const toAccount = (raw: unknown): CrmAccount => {
    const u = userSchema.parse(raw);
    const rec = raw as Record<string, unknown>;
    const phone = options.phoneFields.map((f) => rec[f]).find((v): v is string => typeof v === 'string' && v !== '');
    const externalId = rec[options.externalIdField];
    return compact({
      id: u.sys_id,
      name: u.name ?? ([u.first_name, u.last_name].filter(Boolean).join(' ') || undefined),
      phone: phone ? (normalizePhone(phone, options.phone) ?? phone) : undefined,
      email: u.email,
      externalId: typeof externalId === 'string' && externalId !== '' ? externalId : undefined,
      type: 'sys_user',
    });
  };

  const toRecord = (raw: unknown): CrmRecord => {
    const i = incidentSchema.parse(raw);
    const disposition = (raw as Record<string, unknown>)[options.dispositionField];
    return compact({
      id: i.sys_id,
      accountId: i.caller_id,
      sessionId: i.correlation_id,
      channel: i.contact_type ? CHANNEL_OF[i.contact_type] : undefined,
      status: CLOSED_STATES.includes(i.state) ? ('closed' as const) : ('open' as const),
      subject: i.short_description,
      disposition: typeof disposition === 'string' && disposition !== '' ? disposition : undefined,
      notes: i.close_notes,
      url: `${withoutTrailingSlash(options.instanceUrl)}/nav_to.do?uri=incident.do?sys_id=${i.sys_id}`,
    });
  };

  const pageSize = options.pageSize ?? 100;
  /** Every row of a query (up to `max`), page by page: sysparm_offset until a short page. */
  const listAll = async (path: string, query: string, fields: string[] | undefined, max = MAX_LISTED_ROWS, what = path) => {
    // A stable order, or rows shift between pages.
    const ordered = /\^?ORDERBY/.test(query) ? query : `${query}${query ? '^' : ''}ORDERBYsys_created_on`;
    const rows: unknown[] = [];
    for (let offset = 0; rows.length < max; ) {
      const limit = Math.min(pageSize, max - rows.length);
      const res = await upstream.send({
        method: 'GET',
        path,
        searchParams: {
          ...common,
          sysparm_query: ordered,
          ...(fields ? { sysparm_fields: fields.join(',') } : {}),
          sysparm_limit: String(limit),
          sysparm_offset: String(offset),
        },
        idempotent: true,
      });
      const page = upstream.parse(res.body, listOf(z.unknown()), `${what} list`).result;
      rows.push(...page);
      offset += page.length;
      const link = String(res.headers['link'] ?? '');
      if (page.length < limit || (link !== '' && !/rel="next"/.test(link))) break;
    }
    return rows;
  };
  const list = (table: string, query: string, fields: string[], limit: number) => listAll(`${TABLE}/${table}`, query, fields, limit, table);

  const getIncident = async (id: string) => {
    if (!isSysId(id)) return undefined;
    const res = await upstream.sendOrMissing({
      method: 'GET',
      path: `${TABLE}/incident/${encodeURIComponent(id)}`,
      searchParams: { ...common, sysparm_fields: incidentFields.join(',') },
      idempotent: true,
    });
    return res ? toRecord(upstream.parse(res.body, oneOf(z.unknown()), 'incident').result) : undefined;
  };

  const requireIncident = async (id: string) => {
    const record = await getIncident(id);
    if (!record) throw crmNotFound('record', id);
    return record;
  };

  const userBody = (input: NewAccount, creating: boolean): Record<string, string> => {
    const body: Record<string, string> = {};
    const name = input.name ?? (creating ? options.defaultAccountName : undefined);
    if (name !== undefined) {
      const space = name.lastIndexOf(' ');
      if (space > 0) {
        body['first_name'] = name.slice(0, space);
        body['last_name'] = name.slice(space + 1);
      } else body['last_name'] = name;
    }
    if (input.phone !== undefined) body[options.phoneFields[0] ?? 'phone'] = input.phone;
    if (input.email !== undefined) body['email'] = input.email;
    if (input.externalId !== undefined) body[options.externalIdField] = input.externalId;
    return body;
  };

  /** The work note carrying `marker` on an incident, if one was written. */
  const findNote = async (recordId: string, marker: string) => {
    const rows = await list('sys_journal_field', `element_id=${recordId}^element=work_notes^valueLIKE${marker}`, ['sys_id'], 1);
    return rows[0] ? { id: idOnly.parse(rows[0]).sys_id } : undefined;
  };

  const addNote = async (recordId: string, text: string, key: string | undefined): Promise<{ id: string }> => {
    if (!isSysId(recordId)) throw crmNotFound('record', recordId);
    const marker = key === undefined ? undefined : refMarker(key);
    const write = async () => {
      await upstream.send({
        method: 'PATCH',
        path: `${TABLE}/incident/${encodeURIComponent(recordId)}`,
        searchParams: { ...common, sysparm_fields: 'sys_id' },
        json: { work_notes: withMarker(text, marker) },
        // Each PATCH of work_notes appends a journal entry: never repeated by the HTTP client.
        idempotent: false,
        notFound: { what: 'record', id: recordId },
      });
      const query = marker
        ? `element_id=${recordId}^element=work_notes^valueLIKE${marker}`
        : `element_id=${recordId}^element=work_notes^ORDERBYDESCsys_created_on`;
      const rows = await list('sys_journal_field', query, ['sys_id'], 1);
      return rows[0] ? { id: idOnly.parse(rows[0]).sys_id } : { id: `${recordId}:work_notes` };
    };
    if (!marker) return write();
    const existing = await findNote(recordId, marker);
    if (existing) return existing;
    return keyedWrite({ retries: options.retryLimit, find: () => findNote(recordId, marker), write });
  };

  /** An attachment of the record with this name, size and content (hash compared when the instance gives one). */
  const findAttachment = async (recordId: string, a: { fileName: string; content: Buffer }) => {
    const rows = await listAll(
      'api/now/attachment',
      `table_sys_id=${recordId}^file_name=${queryValue('fileName', a.fileName)}`,
      undefined,
      MAX_LISTED_ROWS,
      'attachment',
    );
    const sha256 = createHash('sha256').update(a.content).digest('hex');
    const md5 = createHash('md5').update(a.content).digest('hex');
    for (const raw of rows) {
      const row = attachmentSchema.parse(raw);
      if (row.size_bytes !== undefined && Number(row.size_bytes) !== a.content.length) continue;
      // The hash's algorithm is not documented: accept the two in use, never ignore a mismatch.
      const hash = row.hash?.toLowerCase();
      if (hash !== undefined && hash !== '' && hash !== sha256 && hash !== md5) continue;
      if (row.size_bytes === undefined && (hash === undefined || hash === '')) continue;
      return { id: row.sys_id };
    }
    return undefined;
  };

  return {
    kind: 'servicenow',

    async findAccount(q) {
      let rows: unknown[];
      if (q.externalId !== undefined) rows = await list('sys_user', `${options.externalIdField}=${queryValue('externalId', q.externalId)}`, userFields, 20);
      else if (q.phone !== undefined) {
        const e164 = q.phone;
        // Stored as typed ("(415) 555-0100"): only the last four digits are reliably contiguous.
        const tail = phoneTail(e164, 4);
        const wide = await list('sys_user', options.phoneFields.map((f) => `${f}LIKE${tail}`).join('^OR'), userFields, MAX_LISTED_ROWS);
        rows = wide.filter((r) => options.phoneFields.some((f) => samePhone((r as Record<string, unknown>)[f] as string | undefined, e164, options.phone)));
      } else if (q.email !== undefined) rows = await list('sys_user', `email=${queryValue('email', q.email)}`, userFields, 20);
      else return undefined;
      const accounts = rows.map(toAccount);
      if (accounts.length > 1) throw ambiguousMatch(accounts.map((a) => compact({ id: a.id, type: a.type, name: a.name })));
      return accounts[0];
    },

    async createAccount(input) {
      const res = await upstream.send({
        method: 'POST',
        path: `${TABLE}/sys_user`,
        searchParams: { ...common, sysparm_fields: userFields.join(',') },
        json: userBody(input, true),
        idempotent: false,
      });
      return toAccount(upstream.parse(res.body, oneOf(z.unknown()), 'created sys_user').result);
    },

    async updateAccount(id, patch) {
      if (!isSysId(id)) throw crmNotFound('account', id);
      const res = await upstream.send({
        method: 'PATCH',
        path: `${TABLE}/sys_user/${encodeURIComponent(id)}`,
        searchParams: { ...common, sysparm_fields: userFields.join(',') },
        json: userBody(patch, false),
        idempotent: true,
        notFound: { what: 'account', id },
      });
      return toAccount(upstream.parse(res.body, oneOf(z.unknown()), 'updated sys_user').result);
    },

    async findRecord(q) {
      if (q.id !== undefined) return getIncident(q.id);
      if (q.sessionId === undefined && q.accountId !== undefined && !isSysId(q.accountId)) return undefined;
      const query =
        q.sessionId !== undefined
          ? `correlation_id=${queryValue('sessionId', q.sessionId)}^ORDERBYsys_created_on`
          : q.accountId !== undefined
            ? `caller_id=${queryValue('accountId', q.accountId)}^stateIN${OPEN_STATES.join(',')}^ORDERBYDESCsys_created_on`
            : undefined;
      if (query === undefined) return undefined;
      const rows = await list('incident', query, incidentFields, 1);
      return rows[0] ? toRecord(rows[0]) : undefined;
    },

    async createRecord(input) {
      // One incident per session: a repeated create returns the first.
      const existing = await this.findRecord({ sessionId: input.sessionId });
      if (existing) return existing;
      if (input.accountId !== undefined) {
        if (!isSysId(input.accountId)) throw crmNotFound('account', input.accountId);
        const caller = await upstream.sendOrMissing({
          method: 'GET',
          path: `${TABLE}/sys_user/${encodeURIComponent(input.accountId)}`,
          searchParams: { sysparm_fields: 'sys_id' },
          idempotent: true,
        });
        if (!caller) throw crmNotFound('account', input.accountId);
      }
      const description = sessionDescription(input);
      const res = await upstream.send({
        method: 'POST',
        path: `${TABLE}/incident`,
        searchParams: { ...common, sysparm_fields: incidentFields.join(',') },
        json: compact({
          caller_id: input.accountId,
          short_description: input.subject,
          contact_type: CONTACT_TYPE[input.channel],
          correlation_id: input.sessionId,
          correlation_display: 'ccbridge',
          description,
        }),
        idempotent: false,
      });
      const record = toRecord(upstream.parse(res.body, oneOf(z.unknown()), 'created incident').result);
      return compact({ ...record, channel: input.channel, queue: input.queue });
    },

    async updateRecord(id, update) {
      if (!isSysId(id)) throw crmNotFound('record', id);
      // Fields only (no journal entries), so a repeated wrap-up changes nothing.
      // Mapped columns first: what the adapter writes itself wins. The Table API ignores unknown columns (docs/contracts/servicenow.md).
      const body: Record<string, string | number | boolean> = { ...mappedFields(update.fields, [...SN_OWN_FIELDS, options.dispositionField]) };
      if (update.disposition !== undefined) body[options.dispositionField] = update.disposition;
      const notes = [update.notes, update.durationSeconds !== undefined ? `Duration: ${update.durationSeconds} s` : undefined].filter(Boolean).join('\n');
      if (notes) body['close_notes'] = notes;
      if (update.status === 'closed') {
        body['state'] = '6';
        body['close_code'] ??= update.disposition ?? options.defaultCloseCode;
        body['close_notes'] ??= 'Closed by ccbridge';
      } else if (update.status === 'open') body['state'] = '2';
      const mapped = Object.keys(mappedFields(update.fields, [...SN_OWN_FIELDS, options.dispositionField]));
      const res = await upstream.send({
        method: 'PATCH',
        path: `${TABLE}/incident/${encodeURIComponent(id)}`,
        // The mapped columns are read back: a column the table lacks is dropped without an error, and only its absence here shows it.
        searchParams: { ...common, sysparm_fields: [...incidentFields, ...mapped].join(',') },
        json: body,
        idempotent: true,
        notFound: { what: 'record', id },
      });
      const result = upstream.parse(res.body, oneOf(z.unknown()), 'updated incident').result;
      const record = toRecord(result);
      const row = result as Record<string, unknown>;
      const kept = Object.fromEntries(mapped.filter((k) => typeof row[k] === 'string' && row[k] !== '').map((k) => [k, row[k] as string]));
      return compact({ ...record, durationSeconds: update.durationSeconds, fields: mapped.length > 0 ? kept : undefined });
    },

    async addComment(recordId, comment) {
      const text = comment.author ? `${comment.body}\n— ${comment.author}` : comment.body;
      return addNote(recordId, text, comment.idempotencyKey);
    },

    async addAttachment(recordId, a) {
      if (!isSysId(recordId)) throw crmNotFound('record', recordId);
      await requireIncident(recordId);
      if (a.content === undefined) {
        // A link is not a file ServiceNow can hold: it becomes a work note.
        return addNote(recordId, `Attachment ${a.fileName}: ${a.url ?? ''}`, a.idempotencyKey);
      }
      const file = { fileName: a.fileName, content: a.content };
      const upload = async () => {
        const res = await upstream.send({
          method: 'POST',
          path: 'api/now/attachment/file',
          searchParams: { table_name: 'incident', table_sys_id: recordId, file_name: a.fileName },
          body: file.content,
          headers: { 'content-type': a.contentType },
          idempotent: false,
          notFound: { what: 'record', id: recordId },
        });
        return { id: upstream.parse(res.body, oneOf(idOnly), 'attachment').result.sys_id };
      };
      if (a.idempotencyKey === undefined) return upload();
      const existing = await findAttachment(recordId, file);
      if (existing) return existing;
      return keyedWrite({ retries: options.retryLimit, find: () => findAttachment(recordId, file), write: upload });
    },
  };
}
