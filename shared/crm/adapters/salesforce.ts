/**
 * Salesforce as the CRM, through the REST API with an OAuth 2.0 client-credentials token
 * (`{MyDomain}/services/oauth2/token`; the token has no stated lifetime, so it is kept until
 * a 401 and then renewed once).
 *
 * - Accounts: a phone lookup is one SOSL search `IN PHONE FIELDS` over the object types in
 *   the configured priority order (e.g. Contact|Account|Lead; Opportunity has no phone field), as CTI connectors
 *   do: one match → it; none → not found (the create that follows uses the configured default
 *   fields); several → the highest-priority type that matched, if it matched once, else an
 *   explicit 409 "ambiguous" with the candidates. New accounts are of one configured type.
 * - Records are Cases. The call log is a Task (CallType, CallDisposition,
 *   CallDurationInSeconds, CallObject, Description, WhoId/WhatId) created with the Case; its
 *   CallObject holds the session id, which is how a session's Case is found again without a
 *   custom field. The Task is written first, so a create that failed half-way is completed
 *   by the retry instead of leaving a second Case. A Task whose WhoId is a Lead cannot have a
 *   WhatId, so a Lead caller gets two Tasks with the session id: the Lead's (WhoId) and the
 *   Case's (WhatId). Comments over 4 000 bytes are written as numbered parts.
 * - Comments are CaseComments (internal); files are ContentVersions published to the Case
 *   (a link becomes a ContentVersion with ContentUrl). Idempotency keys travel as a marker
 *   in the comment body / version description and are looked up before writing.
 * - Field mappings (`SfField-sourceKey|…`) add to what is written on create; an update's `fields`
 *   (custom Task fields, ../record-fields.ts) and `activityDate` (Task ActivityDate) go on the call Task.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import * as z from 'zod';
import type { Secret } from '../../config';
import { compact } from '../contract';
import { ambiguousMatch, crmAuthFailed, crmConflict, crmDailyLimitReached, crmNotFound, crmRejected } from '../errors';
import { normalizePhone, type PhoneOptions, samePhone } from '../phone';
import type { Channel, CrmAccount, CrmClient, CrmRecord, NewAccount } from '../port';
import { mappedFields, SF_TASK_OWN_FIELDS } from '../record-fields';
import { applyFieldMap, type FieldRule } from './field-map';
import { createUpstream, keyedWrite, refMarker, type UpstreamFailureInfo, withMarker } from './upstream';
import { withoutTrailingSlash } from '../../http/url';

const SF_ACCOUNT_TYPES = ['Contact', 'Account', 'Lead', 'Opportunity'] as const;
export type SfAccountType = (typeof SF_ACCOUNT_TYPES)[number];
/** Object types a phone search can match: standard Opportunity has no phone field. */
export const SF_PHONE_SEARCH_TYPES = ['Contact', 'Account', 'Lead'] as const;
/** CaseComment.CommentBody holds at most 4 000 bytes (Object Reference, CaseComment). */
const SF_COMMENT_MAX_BYTES = 4000;

export interface SalesforceOptions {
  loginUrl: string;
  clientId: string;
  clientSecret: Secret;
  apiVersion: string;
  searchOrder: SfAccountType[];
  newAccountObject: 'Contact' | 'Account' | 'Lead';
  newAccountFields: FieldRule[];
  caseFields: FieldRule[];
  taskFields: FieldRule[];
  externalIdField?: string | undefined;
  phone: PhoneOptions;
  timeoutMs: number;
  retryLimit: number;
}

const CRM = 'Salesforce';
const PREFIX: Record<string, SfAccountType | 'Case'> = { '003': 'Contact', '001': 'Account', '00Q': 'Lead', '006': 'Opportunity', '500': 'Case' };
/** Every phone field SOSL `IN PHONE FIELDS` searches, per type (Object Reference). */
const PHONE_FIELDS: Record<SfAccountType, string[]> = {
  Contact: ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone'],
  Account: ['Phone'],
  Lead: ['Phone', 'MobilePhone'],
  Opportunity: [],
};
const RETURNING: Record<SfAccountType, string> = {
  Contact: `Contact(Id, Name, ${PHONE_FIELDS.Contact.join(', ')}, Email)`,
  Account: 'Account(Id, Name, Phone)',
  Lead: 'Lead(Id, Name, Phone, MobilePhone, Email)',
  Opportunity: 'Opportunity(Id, Name)',
};
const ORIGIN: Record<Channel, string> = { voice: 'Phone', video: 'Phone', email: 'Email', chat: 'Chat', sms: 'SMS', messaging: 'Messaging', other: 'Web' };
const CHANNEL_OF: Record<string, Channel> = { Phone: 'voice', Email: 'email', Chat: 'chat', SMS: 'sms', Messaging: 'messaging' };
const CALL_TYPE = { inbound: 'Inbound', outbound: 'Outbound', internal: 'Internal' } as const;

const opt = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const sobject = z.looseObject({ attributes: z.object({ type: z.string() }).optional(), Id: z.string() });
const searchSchema = z.object({ searchRecords: z.array(sobject) });
const querySchema = z.object({
  records: z.array(z.looseObject({ Id: z.string().optional() })),
  done: z.boolean().optional(),
  nextRecordsUrl: z.string().nullish(),
});
const createdSchema = z.object({ id: z.string().min(1), success: z.boolean() });
const tokenSchema = z.object({ access_token: z.string().min(1), instance_url: z.url() });
const caseSchema = z.looseObject({ Id: z.string(), Subject: opt, Status: opt, IsClosed: z.boolean().nullish(), ContactId: opt, AccountId: opt, Origin: opt });
const taskSchema = z.looseObject({
  Id: z.string(),
  CallObject: opt,
  CallDisposition: opt,
  CallDurationInSeconds: z.number().nullish(),
  Description: opt,
  WhoId: opt,
  WhatId: opt,
});
const errorsSchema = z.array(z.object({ errorCode: z.string(), message: z.string().optional() }));

/** SOQL string literal. */
const soql = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
/** SOSL search term: reserved characters escaped. */
const sosl = (v: string) => v.replace(/[?&|!{}[\]()^~*:\\"'+-]/g, (c) => `\\${c}`);
/** Salesforce ids: 15 or 18 alphanumerics (anything else cannot exist). */
const isId = (v: string) => /^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$/.test(v);
const typeOfId = (id: string) => PREFIX[id.slice(0, 3)];

function mapSalesforceError(f: UpstreamFailureInfo) {
  const parsed = errorsSchema.safeParse(f.body);
  const first = parsed.success ? parsed.data[0] : undefined;
  const code = first?.errorCode;
  if (code === 'REQUEST_LIMIT_EXCEEDED') return crmDailyLimitReached(CRM);
  if (code === 'DUPLICATE_VALUE' || code === 'DUPLICATES_DETECTED') return crmConflict(`${CRM}: ${first?.message ?? code}`);
  if (f.notFound && (f.status === 404 || code === 'MALFORMED_ID' || code === 'INVALID_CROSS_REFERENCE_KEY' || code === 'INVALID_ID_FIELD')) {
    return crmNotFound(f.notFound.what, f.notFound.id);
  }
  if (f.status === 400 && first) return crmRejected(CRM, `${code}: ${first.message ?? ''}`);
  return undefined;
}

export function createSalesforceCrm(options: SalesforceOptions): CrmClient {
  let session: { token: string; instanceUrl: string } | undefined;
  let pending: Promise<{ token: string; instanceUrl: string }> | undefined;

  const upstream = createUpstream({
    crm: CRM,
    timeoutMs: options.timeoutMs,
    retryLimit: options.retryLimit,
    authHeaders: async () => ({ authorization: `Bearer ${(await login()).token}` }),
    onUnauthorized: () => {
      session = undefined;
    },
    mapError: mapSalesforceError,
  });

  async function login(): Promise<{ token: string; instanceUrl: string }> {
    if (session) return session;
    pending ??= (async () => {
      try {
        const res = await upstream.send({
          method: 'POST',
          path: `${withoutTrailingSlash(options.loginUrl)}/services/oauth2/token`,
          form: { grant_type: 'client_credentials', client_id: options.clientId, client_secret: options.clientSecret.reveal() },
          idempotent: true,
          anonymous: true,
        });
        const t = upstream.parse(res.body, tokenSchema, 'token response');
        session = { token: t.access_token, instanceUrl: withoutTrailingSlash(t.instance_url) };
        return session;
      } catch (err) {
        // invalid_client / invalid_grant come back as 400 (RFC 6749): a configuration problem.
        if ((err as { status?: number }).status === 400) throw crmAuthFailed(CRM, 400);
        throw err;
      } finally {
        pending = undefined;
      }
    })();
    return pending;
  }

  const api = async (path: string) => `${(await login()).instanceUrl}/services/data/v${options.apiVersion}${path}`;

  /** Every row of a SOQL query: batches are followed through nextRecordsUrl until done. */
  const query = async (q: string) => {
    let res = await upstream.send({ method: 'GET', path: await api('/query'), searchParams: { q }, idempotent: true });
    let batch = upstream.parse(res.body, querySchema, 'query result');
    const rows = [...batch.records];
    for (let n = 0; batch.done === false && batch.nextRecordsUrl && n < 50; n++) {
      res = await upstream.send({ method: 'GET', path: `${(await login()).instanceUrl}${batch.nextRecordsUrl}`, idempotent: true });
      batch = upstream.parse(res.body, querySchema, 'query result');
      rows.push(...batch.records);
    }
    return rows;
  };

  const create = async (type: string, body: Record<string, unknown>, notFound?: { what: string; id: string }) => {
    const res = await upstream.send({ method: 'POST', path: await api(`/sobjects/${type}`), json: body, idempotent: false, ...(notFound ? { notFound } : {}) });
    return upstream.parse(res.body, createdSchema, `${type} create result`).id;
  };

  const patch = async (type: string, id: string, body: Record<string, unknown>, what: string) => {
    await upstream.send({ method: 'PATCH', path: await api(`/sobjects/${type}/${id}`), json: body, idempotent: true, notFound: { what, id } });
  };

  const get = async (type: string, id: string, fields: string[]) => {
    if (!isId(id)) return undefined;
    const res = await upstream.sendOrMissing({
      method: 'GET',
      path: await api(`/sobjects/${type}/${id}`),
      searchParams: { fields: fields.join(',') },
      idempotent: true,
      notFound: { what: type, id },
    });
    return res?.body;
  };

  /** `matchPhone`: the caller's number, to report the phone field that matched rather than the first one. */
  const toAccount = (raw: unknown, type: string, matchPhone?: string): CrmAccount => {
    const r = raw as Record<string, unknown>;
    const s = (k: string) => (typeof r[k] === 'string' && r[k] !== '' ? (r[k] as string) : undefined);
    const phones = (PHONE_FIELDS[type as SfAccountType] ?? ['Phone', 'MobilePhone']).map(s).filter((v): v is string => v !== undefined);
    const phone = (matchPhone !== undefined ? phones.find((p) => samePhone(p, matchPhone, options.phone)) : undefined) ?? phones[0];
    return compact({
      id: String(r['Id']),
      name: s('Name'),
      phone: phone ? (normalizePhone(phone, options.phone) ?? phone) : undefined,
      email: s('Email'),
      type,
    });
  };

  /** Whether any phone field of a search row holds the caller's number. */
  const hasPhone = (raw: unknown, type: string, e164: string) => {
    const r = raw as Record<string, unknown>;
    const fields = PHONE_FIELDS[type as SfAccountType] ?? [];
    const present = fields.filter((f) => typeof r[f] === 'string' && r[f] !== '');
    // A row without any phone field returned cannot be checked: SOSL matched it, keep it.
    return present.length === 0 || present.some((f) => samePhone(r[f] as string, e164, options.phone));
  };

  const callTask = async (caseId: string) => {
    const rows = await query(
      `SELECT Id, CallObject, CallDisposition, CallDurationInSeconds, Description, WhoId, WhatId FROM Task WHERE ` +
        `WhatId = ${soql(caseId)} AND CallObject != null ORDER BY CreatedDate ASC LIMIT 1`,
    );
    return rows[0] ? taskSchema.parse(rows[0]) : undefined;
  };

  const leadOfSession = async (sessionId: string) => {
    const rows = await query(`SELECT Id, WhoId FROM Task WHERE CallObject = ${soql(sessionId)} AND WhoId != null ORDER BY CreatedDate ASC LIMIT 5`);
    return rows.map((r) => taskSchema.safeParse(r).data?.WhoId).find((who) => who !== undefined && typeOfId(who) === 'Lead');
  };

  const getCase = async (id: string): Promise<CrmRecord | undefined> => {
    if (typeOfId(id) !== 'Case') return undefined;
    const raw = await get('Case', id, ['Id', 'Subject', 'Status', 'IsClosed', 'ContactId', 'AccountId', 'Origin']);
    if (raw === undefined) return undefined;
    const c = caseSchema.parse(raw);
    const task = await callTask(c.Id);
    // A Lead's Task cannot name the Case (WhatId must stay empty): the session's Lead-side Task says who called.
    const lead = !c.ContactId && task?.CallObject ? await leadOfSession(task.CallObject) : undefined;
    return compact({
      id: c.Id,
      accountId: c.ContactId ?? lead ?? c.AccountId,
      sessionId: task?.CallObject,
      channel: c.Origin ? CHANNEL_OF[c.Origin] : undefined,
      status: c.IsClosed ? ('closed' as const) : ('open' as const),
      subject: c.Subject,
      disposition: task?.CallDisposition,
      notes: task?.Description,
      durationSeconds: task?.CallDurationInSeconds ?? undefined,
      url: `${(await login()).instanceUrl}/lightning/r/Case/${c.Id}/view`,
    });
  };

  const requireCase = async (id: string) => {
    const record = await getCase(id);
    if (!record) throw crmNotFound('record', id);
    return record;
  };

  const accountSources = (input: NewAccount): Record<string, string | undefined> => {
    const name = input.name;
    const space = name?.lastIndexOf(' ') ?? -1;
    return {
      name,
      firstName: name && space > 0 ? name.slice(0, space) : undefined,
      lastName: name && space > 0 ? name.slice(space + 1) : name,
      phone: input.phone,
      email: input.email,
      externalId: input.externalId,
    };
  };

  const resolveMatches = (matches: CrmAccount[]): CrmAccount | undefined => {
    if (matches.length <= 1) return matches[0];
    for (const type of options.searchOrder) {
      const ofType = matches.filter((m) => m.type === type);
      if (ofType.length === 1) return ofType[0];
      if (ofType.length > 1) throw ambiguousMatch(ofType.map((a) => compact({ id: a.id, type: a.type, name: a.name })));
    }
    throw ambiguousMatch(matches.map((a) => compact({ id: a.id, type: a.type, name: a.name })));
  };

  const search = async (term: string, scope: 'PHONE' | 'EMAIL') => {
    const types = scope === 'PHONE' ? options.searchOrder.filter((t) => PHONE_FIELDS[t].length > 0) : options.searchOrder;
    const returning = types.map((t) => RETURNING[t]).join(', ');
    const res = await upstream.send({
      method: 'GET',
      path: await api('/search'),
      searchParams: { q: `FIND {${sosl(term)}} IN ${scope} FIELDS RETURNING ${returning}` },
      idempotent: true,
    });
    return upstream
      .parse(res.body, searchSchema, 'search result')
      .searchRecords.map((r) => ({ raw: r, type: r.attributes?.type ?? typeOfId(r.Id) ?? 'unknown' }));
  };

  /** The CaseComment bodies of a Case (every one, through query batches). */
  const caseComments = async (caseId: string) =>
    (await query(`SELECT Id, CommentBody FROM CaseComment WHERE ParentId = ${soql(caseId)} ORDER BY CreatedDate DESC`)).map((r) => ({
      id: r.Id,
      body: typeof r['CommentBody'] === 'string' ? r['CommentBody'] : '',
    }));

  return {
    kind: 'salesforce',

    async findAccount(q) {
      if (q.externalId !== undefined) {
        if (!options.externalIdField) throw crmRejected(CRM, 'lookup by externalId needs SALESFORCE_EXTERNAL_ID_FIELD');
        const rows = await query(
          `SELECT Id, Name, Phone, Email FROM ${options.newAccountObject} WHERE ${options.externalIdField} = ${soql(q.externalId)} LIMIT 10`,
        );
        return resolveMatches(rows.map((r) => toAccount(r, options.newAccountObject)));
      }
      if (q.phone !== undefined) {
        const e164 = q.phone;
        // SOSL matches phone fields on digits; the national number is what people store.
        const national = parsePhoneNumberFromString(e164)?.nationalNumber ?? e164.replace(/\D/g, '');
        const found = await search(national, 'PHONE');
        // Any phone field may be the one that matched (HomePhone, OtherPhone…): compare them all.
        return resolveMatches(found.filter((f) => hasPhone(f.raw, f.type, e164)).map((f) => toAccount(f.raw, f.type, e164)));
      }
      if (q.email !== undefined) {
        const found = (await search(q.email, 'EMAIL')).map((f) => toAccount(f.raw, f.type));
        return resolveMatches(found.filter((a) => a.email === undefined || a.email.toLowerCase() === q.email?.toLowerCase()));
      }
      return undefined;
    },

    async createAccount(input) {
      const fields = applyFieldMap(options.newAccountFields, accountSources(input));
      if (options.externalIdField && input.externalId !== undefined) fields[options.externalIdField] = input.externalId;
      const id = await create(options.newAccountObject, fields);
      return compact({ id, name: input.name, phone: input.phone, email: input.email, externalId: input.externalId, type: options.newAccountObject });
    },

    async updateAccount(id, changes) {
      const type = isId(id) ? typeOfId(id) : undefined;
      if (type === undefined || type === 'Case' || type === 'Opportunity') throw crmNotFound('account', id);
      // Only mapped values: defaults are for creates, not for overwriting what a person typed.
      const rules = options.newAccountFields.filter((r) => 'source' in r);
      const fields = applyFieldMap(rules, accountSources(changes));
      if (options.externalIdField && changes.externalId !== undefined) fields[options.externalIdField] = changes.externalId;
      if (type === 'Account') {
        // Accounts have Name, not First/LastName.
        delete fields['LastName'];
        delete fields['FirstName'];
        if (changes.name !== undefined) fields['Name'] = changes.name;
        delete fields['Email'];
      }
      await patch(type, id, fields, 'account');
      const raw = await get(type, id, type === 'Account' ? ['Id', 'Name', 'Phone'] : ['Id', 'Name', 'Phone', 'Email']);
      if (raw === undefined) throw crmNotFound('account', id);
      return toAccount(raw, type);
    },

    async findRecord(q) {
      if (q.id !== undefined) return getCase(q.id);
      if (q.sessionId !== undefined) {
        const rows = await query(`SELECT Id, WhatId FROM Task WHERE CallObject = ${soql(q.sessionId)} AND WhatId != null ORDER BY CreatedDate ASC LIMIT 1`);
        const whatId = rows[0] ? taskSchema.parse(rows[0]).WhatId : undefined;
        return whatId ? getCase(whatId) : undefined;
      }
      if (q.accountId !== undefined && isId(q.accountId)) {
        const type = typeOfId(q.accountId);
        if (type === 'Contact' || type === 'Account') {
          const field = type === 'Contact' ? 'ContactId' : 'AccountId';
          const rows = await query(`SELECT Id FROM Case WHERE ${field} = ${soql(q.accountId)} AND IsClosed = false ORDER BY CreatedDate DESC LIMIT 1`);
          return rows[0]?.Id ? getCase(rows[0].Id) : undefined;
        }
        if (type === 'Lead') {
          // The Lead's own call Tasks carry the session ids; each session's Case-side Task names its Case.
          const rows = await query(
            `SELECT Id, CallObject FROM Task WHERE WhoId = ${soql(q.accountId)} AND CallObject != null ORDER BY CreatedDate DESC LIMIT 20`,
          );
          for (const row of rows) {
            const sessionId = taskSchema.safeParse(row).data?.CallObject;
            const record = sessionId ? await this.findRecord({ sessionId }) : undefined;
            if (record?.status === 'open') return record;
          }
        }
      }
      return undefined;
    },

    async createRecord(input) {
      const existing = await this.findRecord({ sessionId: input.sessionId });
      if (existing) return existing;
      const caseLinks: Record<string, string> = {};
      let whoId: string | undefined;
      let leadId: string | undefined;
      if (input.accountId !== undefined) {
        const type = isId(input.accountId) ? typeOfId(input.accountId) : undefined;
        const withAccount = type === 'Contact' || type === 'Opportunity';
        const raw = type && type !== 'Case' ? await get(type, input.accountId, withAccount ? ['Id', 'AccountId'] : ['Id']) : undefined;
        if (raw === undefined) throw crmNotFound('account', input.accountId);
        const parentAccount = (raw as Record<string, unknown>)['AccountId'];
        if (withAccount && typeof parentAccount === 'string' && parentAccount !== '') caseLinks['AccountId'] = parentAccount;
        if (type === 'Contact') {
          caseLinks['ContactId'] = input.accountId;
          whoId = input.accountId;
        } else if (type === 'Account') caseLinks['AccountId'] = input.accountId;
        else if (type === 'Lead') leadId = input.accountId;
      }
      const sources = {
        subject: input.subject,
        taskSubject: `Call: ${input.subject}`,
        origin: ORIGIN[input.channel],
        channel: input.channel,
        sessionId: input.sessionId,
        queue: input.queue,
        direction: input.direction,
        callType: CALL_TYPE[input.direction ?? 'inbound'],
        accountId: input.accountId,
      };
      const callLog = (who: string | undefined) => {
        const mapped = applyFieldMap(options.taskFields, sources);
        // Subject is what a person sees in the activity list: never left empty by a field map without one.
        return compact({ Subject: sources.taskSubject, ...mapped, CallObject: input.sessionId, CallType: sources.callType, WhoId: who, TaskSubtype: 'Call' });
      };
      const session = soql(input.sessionId);
      if (leadId !== undefined) {
        // A Task whose WhoId is a Lead must have an empty WhatId: the Lead gets its own call Task.
        const leadTask = await query(`SELECT Id FROM Task WHERE CallObject = ${session} AND WhoId = ${soql(leadId)} LIMIT 1`);
        if (!leadTask[0]?.Id) await create('Task', callLog(leadId));
      }
      // The Case-side call-log Task first (it carries the session id), then the Case, then the link.
      const orphan = await query(
        `SELECT Id, CreatedDate FROM Task WHERE CallObject = ${session} AND WhatId = null AND WhoId = ${whoId === undefined ? 'null' : soql(whoId)} LIMIT 1`,
      );
      const taskId = orphan[0]?.Id ?? (await create('Task', callLog(whoId)));
      const description = [`Session ${input.sessionId}`, input.queue ? `Queue ${input.queue}` : undefined].filter(Boolean).join('\n');
      const caseBody: Record<string, unknown> = { Description: description, ...applyFieldMap(options.caseFields, sources), ...caseLinks };
      // A Task left unlinked means an earlier attempt stopped after it: its Case may exist (the
      // create's answer lost). Cases made since that Task are read back and matched on the
      // Description's session line before a second one is made.
      const createdSince = typeof orphan[0]?.['CreatedDate'] === 'string' ? (orphan[0]['CreatedDate'] as string) : undefined;
      const earlier =
        createdSince && /^\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d{4})$/.test(createdSince)
          ? (
              await query(
                `SELECT Id, Description FROM Case WHERE ` +
                  `${typeof caseBody['Subject'] === 'string' ? `Subject = ${soql(caseBody['Subject'])} AND ` : ''}CreatedDate >= ` +
                  `${createdSince.replace(/\+0000$/, 'Z')}`,
              )
            ).find((c) => typeof c['Description'] === 'string' && c['Description'].split('\n')[0] === `Session ${input.sessionId}`)?.Id
          : undefined;
      const caseId = earlier ?? (await create('Case', caseBody));
      await patch('Task', taskId, { WhatId: caseId }, 'task');
      return compact({
        id: caseId,
        accountId: input.accountId,
        sessionId: input.sessionId,
        channel: input.channel,
        status: 'open' as const,
        subject: input.subject,
        queue: input.queue,
        url: `${(await login()).instanceUrl}/lightning/r/Case/${caseId}/view`,
      });
    },

    async updateRecord(id, update) {
      if (update.status !== undefined) {
        if (!isId(id) || typeOfId(id) !== 'Case') throw crmNotFound('record', id);
        await patch('Case', id, { Status: update.status === 'closed' ? 'Closed' : 'Working' }, 'record');
      } else await requireCase(id);
      const log = compact({
        ...mappedFields(update.fields, SF_TASK_OWN_FIELDS),
        CallDisposition: update.disposition,
        Description: update.notes,
        CallDurationInSeconds: update.durationSeconds,
        ActivityDate: update.activityDate,
        Status: update.status === 'closed' ? 'Completed' : undefined,
      });
      if (Object.keys(log).length > 0) {
        const task = await callTask(id);
        if (task) await patch('Task', task.Id, log, 'task');
        else await create('Task', { ...log, WhatId: id, TaskSubtype: 'Call', Subject: 'Call' });
        // A Lead caller's own Task (no WhatId allowed) is the same call on the Lead's timeline: it gets the same values.
        if (task?.CallObject) {
          const leadTasks = await query(`SELECT Id, WhoId FROM Task WHERE CallObject = ${soql(task.CallObject)} AND WhatId = null AND WhoId != null LIMIT 5`);
          for (const row of leadTasks) {
            const lead = taskSchema.safeParse(row).data;
            if (lead?.WhoId !== undefined && typeOfId(lead.WhoId) === 'Lead') await patch('Task', lead.Id, log, 'task');
          }
        }
      }
      return requireCase(id);
    },

    async addComment(recordId, comment) {
      await requireCase(recordId);
      const body = comment.author ? `${comment.body}\n— ${comment.author}` : comment.body;
      const key = comment.idempotencyKey;
      const parts = splitComment(body, key);
      let existing = key === undefined ? [] : await caseComments(recordId);
      const ids: string[] = [];
      for (const part of parts) {
        const write = () => create('CaseComment', { ParentId: recordId, CommentBody: part.text, IsPublished: false }, { what: 'record', id: recordId });
        if (!part.marker) {
          ids.push(await write());
          continue;
        }
        const marker = part.marker;
        const hit = existing.find((c) => c.body.includes(marker));
        if (hit?.id) {
          ids.push(hit.id);
          continue;
        }
        ids.push(
          await keyedWrite({
            retries: options.retryLimit,
            find: async () => {
              existing = await caseComments(recordId);
              return existing.find((c) => c.body.includes(marker))?.id;
            },
            write,
          }),
        );
      }
      return { id: ids[0]! };
    },

    async addAttachment(recordId, a) {
      await requireCase(recordId);
      const marker = a.idempotencyKey === undefined ? undefined : refMarker(a.idempotencyKey);
      // *unconfirmed* that FirstPublishLocationId is filterable in every org; the fake allows it.
      const findVersion = async () =>
        marker
          ? (await query(`SELECT Id, Description FROM ContentVersion WHERE FirstPublishLocationId = ${soql(recordId)}`)).find(
              (r) => r['Description'] === marker,
            )?.Id
          : undefined;
      const earlier = await findVersion();
      if (earlier) return { id: earlier };
      const body: Record<string, unknown> =
        a.content !== undefined
          ? { Title: a.fileName, PathOnClient: a.fileName, VersionData: a.content.toString('base64') }
          : { Title: a.fileName, ContentUrl: a.url };
      body['FirstPublishLocationId'] = recordId;
      if (marker) body['Description'] = marker;
      const write = () => create('ContentVersion', body, { what: 'record', id: recordId });
      return { id: marker ? await keyedWrite({ retries: options.retryLimit, find: findVersion, write }) : await write() };
    },
  };
}

/**
 * A comment as CaseComments of at most 4 000 bytes each, marker included, never cutting a
 * character. Several parts are numbered "(i/n)"; a keyed comment gives each part its own marker
 * (key#i) so a repeat writes only the parts that are missing.
 */
export function splitComment(body: string, key: string | undefined): Array<{ text: string; marker: string | undefined }> {
  const markerOf = (i: number, n: number) => (key === undefined ? undefined : refMarker(n === 1 ? key : `${key}#${i}`));
  const bytes = (s: string) => Buffer.byteLength(s, 'utf8');
  const whole = withMarker(body, markerOf(1, 1));
  if (bytes(whole) <= SF_COMMENT_MAX_BYTES) return [{ text: whole, marker: markerOf(1, 1) }];
  // Room for "(99/99) " and "\n\n[ccbridge ref:…]" in every part.
  const room = SF_COMMENT_MAX_BYTES - bytes('(999/999) ') - bytes(withMarker('', refMarker('x')));
  const chunks: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of body) {
    const b = bytes(ch);
    if (size + b > room) {
      chunks.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += b;
  }
  if (current !== '') chunks.push(current);
  return chunks.map((chunk, i) => {
    const marker = markerOf(i + 1, chunks.length);
    return { text: withMarker(`(${i + 1}/${chunks.length}) ${chunk}`, marker), marker };
  });
}
