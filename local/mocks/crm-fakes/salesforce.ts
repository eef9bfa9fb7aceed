/**
 * A local Salesforce, as far as the adapter uses it, written from the documented REST API:
 * - `POST /services/oauth2/token` (client_credentials) → `{access_token, instance_url, …}`;
 *   a bad client is 400 `{"error":"invalid_client"}`; API calls without a valid bearer are
 *   401 `[{"errorCode":"INVALID_SESSION_ID"}]`;
 * - `POST /services/data/vXX.X/sobjects/{Type}` → 201 `{id, success, errors}`;
 *   `GET …/sobjects/{Type}/{id}?fields=` → the record with `attributes`; `PATCH` → 204;
 *   unknown ids → 404 `[{"errorCode":"NOT_FOUND"}]`; required fields enforced (Contact and
 *   Lead LastName, Lead Company, Account Name, CaseComment ParentId…);
 * - `GET …/query?q=SOQL` (SELECT … FROM … WHERE a = 'x' AND b != null … ORDER BY … LIMIT n);
 * - `GET …/search?q=FIND {term} IN PHONE|EMAIL FIELDS RETURNING Type(fields), …` →
 *   `{searchRecords: [...]}`; phone search matches on digits, like Salesforce's phone search;
 * - rules of the Object Reference enforced: a Task whose WhoId is a Lead cannot have a WhatId
 *   (400 FIELD_INTEGRITY_EXCEPTION); CaseComment.CommentBody ≤ 4 000 bytes (400 STRING_TOO_LONG);
 *   phone search covers each type's phone fields (Contact Phone/Mobile/Home/Other/AssistantPhone,
 *   Lead Phone/MobilePhone, Account Phone; Opportunity has none);
 * - queries answer in batches (`queryBatchSize`, 2 000 by default) with `done`/`nextRecordsUrl`;
 * - the org's API allocation (`dailyApiLimit`): past it every API call answers 403
 *   `REQUEST_LIMIT_EXCEEDED`;
 * - Task fields are checked (docs/contracts/salesforce.md, Task): a name the Task lacks — neither a
 *   standard field nor one of `customFields.Task` — is 400 `INVALID_FIELD` ("No such column");
 *   picklists (`CallType`, `Status`, `Priority`, `TaskSubtype`) refuse other values, `int` and
 *   `boolean` fields other types, `ActivityDate` anything but a `YYYY-MM-DD` date, strings their
 *   length;
 * - ids are 18 characters with the documented key prefixes (003 Contact, 001 Account, 00Q
 *   Lead, 006 Opportunity, 500 Case, 00T Task, 00a CaseComment, 068 ContentVersion).
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type MockRequest, type MockServer, sendJson, startMockServer } from '../http-mock';
import { createFailures, type FakeFailures, jsonBody, safeEqual } from './fake-kit';

export type SfRecord = Record<string, unknown> & { Id: string };

export interface SalesforceFake extends MockServer {
  readonly objects: Map<string, Map<string, SfRecord>>;
  readonly failures: FakeFailures;
  records(type: string): SfRecord[];
  /** Adds a record directly (test setup), returning its id. */
  seed(type: string, fields: Record<string, unknown>): string;
  /** Invalidates every issued token (the next API call gets 401 INVALID_SESSION_ID). */
  expireTokens(): void;
  readonly tokensIssued: number;
}

const PREFIX: Record<string, string> = {
  Contact: '003',
  Account: '001',
  Lead: '00Q',
  Opportunity: '006',
  Case: '500',
  Task: '00T',
  CaseComment: '00a',
  ContentVersion: '068',
};
const PHONE_FIELDS: Record<string, string[]> = {
  Contact: ['Phone', 'MobilePhone', 'HomePhone', 'OtherPhone', 'AssistantPhone'],
  Lead: ['Phone', 'MobilePhone'],
  Account: ['Phone'],
  Opportunity: [],
};
export const SF_FAKE_COMMENT_MAX_BYTES = 4000;
const REQUIRED: Record<string, string[]> = {
  Contact: ['LastName'],
  Lead: ['LastName', 'Company'],
  Account: ['Name'],
  CaseComment: ['ParentId'],
};

const errors = (res: http.ServerResponse, status: number, errorCode: string, message: string) => sendJson(res, status, [{ errorCode, message, fields: [] }]);

type FieldType =
  | { kind: 'string'; max: number }
  | { kind: 'int' }
  | { kind: 'boolean' }
  | { kind: 'date' }
  | { kind: 'datetime' }
  | { kind: 'reference' }
  | { kind: 'picklist'; values: readonly string[] };
const text = (max: number): FieldType => ({ kind: 'string', max });
/** Default values of the org-defined Task Status picklist (an org may change them: `taskStatuses`). */
export const SF_DEFAULT_TASK_STATUSES = ['Not Started', 'In Progress', 'Completed', 'Waiting on someone else', 'Deferred'];
/** The writable Task fields (Object Reference / field reference, Task) with their types. */
const taskFields = (statuses: readonly string[]): Record<string, FieldType> => ({
  ActivityDate: { kind: 'date' },
  CallDisposition: text(255),
  CallDurationInSeconds: { kind: 'int' },
  CallObject: text(255),
  CallType: { kind: 'picklist', values: ['Inbound', 'Internal', 'Outbound'] },
  Description: text(32_000),
  IsReminderSet: { kind: 'boolean' },
  IsVisibleInSelfService: { kind: 'boolean' },
  OwnerId: { kind: 'reference' },
  Priority: { kind: 'picklist', values: ['High', 'Normal', 'Low'] },
  ReminderDateTime: { kind: 'datetime' },
  Status: { kind: 'picklist', values: statuses },
  Subject: text(255),
  TaskSubtype: { kind: 'picklist', values: ['Task', 'Email', 'ListEmail', 'Cadence', 'Call', 'LinkedIn'] },
  Type: text(40),
  WhatId: { kind: 'reference' },
  WhoId: { kind: 'reference' },
});

/** The first refusal Salesforce would answer for these Task values, if any. */
function taskFieldError(known: Record<string, FieldType>, custom: readonly string[], body: Record<string, unknown>): [string, string] | undefined {
  for (const [name, value] of Object.entries(body)) {
    const type = known[name] ?? (custom.includes(name) ? text(255) : undefined);
    if (type === undefined) return ['INVALID_FIELD', `No such column '${name}' on sobject of type Task`];
    if (value === null) continue;
    if (typeof value === 'object') return ['JSON_PARSER_ERROR', `Cannot deserialize instance of ${type.kind} from START_OBJECT value at [${name}]`];
    switch (type.kind) {
      case 'string':
        if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return ['JSON_PARSER_ERROR', `Cannot deserialize ${name}`];
        if (String(value).length > type.max) return ['STRING_TOO_LONG', `${name}: data value too large (max length=${type.max})`];
        break;
      case 'int':
        if (typeof value !== 'number' || !Number.isInteger(value) || Math.abs(value) > 99_999_999)
          return ['JSON_PARSER_ERROR', `Cannot deserialize instance of int from value ${JSON.stringify(value)} at [${name}]`];
        break;
      case 'boolean':
        if (typeof value !== 'boolean') return ['JSON_PARSER_ERROR', `Cannot deserialize instance of boolean from value ${JSON.stringify(value)} at [${name}]`];
        break;
      case 'date':
        if (
          typeof value !== 'string' ||
          !/^\d{4}-\d\d-\d\d$/.test(value) ||
          Number.isNaN(Date.parse(`${value}T00:00:00Z`)) ||
          new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) !== value
        ) {
          return ['JSON_PARSER_ERROR', `Cannot deserialize instance of date from value ${JSON.stringify(value)} at [${name}]`];
        }
        break;
      case 'datetime':
        if (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
          return ['JSON_PARSER_ERROR', `Cannot deserialize instance of datetime from value ${JSON.stringify(value)} at [${name}]`];
        break;
      case 'reference':
        if (typeof value !== 'string')
          return ['JSON_PARSER_ERROR', `Cannot deserialize instance of reference from value ${JSON.stringify(value)} at [${name}]`];
        break;
      case 'picklist':
        if (typeof value !== 'string' || !type.values.includes(value))
          return ['INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', `${name}: bad value for restricted picklist field: ${String(value)}`];
        break;
    }
  }
  return undefined;
}

interface Condition {
  field: string;
  op: '=' | '!=' | '>=';
  value: string | null | boolean;
}

/** The SOQL subset the adapter writes. */
export function parseSoql(q: string): { fields: string[]; type: string; where: Condition[]; order?: { field: string; desc: boolean }; limit?: number } {
  const m = /^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER BY\s+(\w+)(?:\s+(ASC|DESC))?)?(?:\s+LIMIT\s+(\d+))?$/i.exec(q.trim());
  if (!m) throw new Error(`unsupported SOQL: ${q}`);
  const where: Condition[] = [];
  if (m[3]) {
    const clause = /(\w+)\s*(!=|>=|=)\s*('(?:[^'\\]|\\.)*'|null|true|false|\d{4}-\d\d-\d\dT[\d:.]+Z)/gi;
    let c: RegExpExecArray | null = clause.exec(m[3]);
    while (c !== null) {
      const raw = c[3]!;
      const value = raw === 'null' ? null : raw === 'true' ? true : raw === 'false' ? false : raw.slice(1, -1).replace(/\\(.)/g, '$1');
      where.push({ field: c[1]!, op: c[2] as '=' | '!=' | '>=', value });
      c = clause.exec(m[3]);
    }
  }
  return {
    fields: m[1]!.split(',').map((f) => f.trim()),
    type: m[2]!,
    where,
    ...(m[4] ? { order: { field: m[4], desc: (m[5] ?? '').toUpperCase() === 'DESC' } } : {}),
    ...(m[6] ? { limit: Number(m[6]) } : {}),
  };
}

const digits = (v: unknown) => (typeof v === 'string' ? v.replace(/\D/g, '') : '');

export interface SalesforceFakeOptions {
  clientId: string;
  clientSecret: string;
  apiVersion?: string;
  port?: number;
  /** Rows per query batch before nextRecordsUrl (Salesforce's default batch is 2 000). */
  queryBatchSize?: number;
  /** API calls the org may make; past it every call answers 403 REQUEST_LIMIT_EXCEEDED. */
  dailyApiLimit?: number;
  /** Custom fields the org has created, per object (e.g. `{ Task: ['CallerCity__c'] }`); the Task refuses any other unknown name. */
  customFields?: Record<string, string[]>;
  /** The org's Task Status picklist values (default: Salesforce's defaults). */
  taskStatuses?: string[];
}

export async function startSalesforceFake(options: SalesforceFakeOptions): Promise<SalesforceFake> {
  const batchSize = options.queryBatchSize ?? 2000;
  const knownTaskFields = taskFields(options.taskStatuses ?? SF_DEFAULT_TASK_STATUSES);
  const customTaskFields = options.customFields?.['Task'] ?? [];
  let apiCalls = 0;
  const cursors = new Map<string, Array<Record<string, unknown>>>();
  const objects = new Map<string, Map<string, SfRecord>>();
  const of = (type: string) => {
    let t = objects.get(type);
    if (!t) {
      t = new Map();
      objects.set(type, t);
    }
    return t;
  };
  const failures = createFailures();
  const tokens = new Set<string>();
  let issued = 0;
  let counter = 0;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const version = options.apiVersion ?? '62.0';
  const base = `/services/data/v${version}`;
  let baseUrl = '';

  const newId = (type: string) => `${PREFIX[type] ?? '0XX'}5g${String(++counter).padStart(10, '0')}AAA`.slice(0, 18);
  const findAny = (id: string): { type: string; record: SfRecord } | undefined => {
    for (const [type, table] of objects) {
      const record = table.get(id);
      if (record) return { type, record };
    }
    return undefined;
  };
  const withDerived = (type: string, r: SfRecord): SfRecord => (type === 'Case' ? { ...r, IsClosed: r['Status'] === 'Closed' } : r);
  const view = (type: string, r: SfRecord, fields?: string[]) => {
    const full = withDerived(type, r);
    const picked = fields ? Object.fromEntries(fields.map((f) => [f, full[f] ?? null])) : full;
    return { attributes: { type, url: `${base}/sobjects/${type}/${r.Id}` }, ...picked, Id: r.Id };
  };

  const leadWithWhat = (task: Record<string, unknown>) =>
    typeof task['WhoId'] === 'string' && task['WhoId'].startsWith(PREFIX['Lead']!) && typeof task['WhatId'] === 'string' && task['WhatId'] !== '';
  let cursorCounter = 0;
  const batchOf = (records: Array<Record<string, unknown>>, offset: number) => {
    const slice = records.slice(offset, offset + batchSize);
    const done = offset + batchSize >= records.length;
    let cursor = '';
    if (!done) {
      cursor = `01g5g${String(++cursorCounter).padStart(13, '0')}`;
      cursors.set(cursor, records);
    }
    return { totalSize: records.length, done, records: slice, ...(done ? {} : { nextRecordsUrl: `${base}/query/${cursor}-${offset + batchSize}` }) };
  };
  const gate = (req: MockRequest, res: http.ServerResponse): boolean => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (!tokens.has(token)) {
      errors(res, 401, 'INVALID_SESSION_ID', 'Session expired or invalid');
      return true;
    }
    if (options.dailyApiLimit !== undefined && ++apiCalls > options.dailyApiLimit) {
      errors(res, 403, 'REQUEST_LIMIT_EXCEEDED', 'TotalRequests Limit exceeded.');
      return true;
    }
    return failures.apply(req, res);
  };

  const server = await startMockServer(
    'salesforce',
    [
      {
        method: 'POST',
        path: '/services/oauth2/token',
        handle: (req, res) => {
          const form = new URLSearchParams(req.body.toString('utf8'));
          if (form.get('grant_type') !== 'client_credentials')
            return sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
          if (!safeEqual(form.get('client_id') ?? '', options.clientId) || !safeEqual(form.get('client_secret') ?? '', options.clientSecret)) {
            return sendJson(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
          }
          const token = `00D5g0000000001!${randomBytes(24).toString('base64url')}`;
          tokens.add(token);
          issued++;
          sendJson(res, 200, {
            access_token: token,
            instance_url: baseUrl,
            id: `${baseUrl}/id/00D/005`,
            token_type: 'Bearer',
            issued_at: String(Date.now()),
            signature: 'c2ln',
          });
        },
      },
      {
        method: 'POST',
        path: `${base}/sobjects/:type`,
        handle: (req, res) => {
          if (gate(req, res)) return;
          const type = req.params['type']!;
          const body = jsonBody(req);
          const refused = type === 'Task' ? taskFieldError(knownTaskFields, customTaskFields, body) : undefined;
          if (refused) return errors(res, 400, refused[0], refused[1]);
          const missing = (REQUIRED[type] ?? []).filter((f) => body[f] === undefined || body[f] === '');
          if (missing.length > 0) return errors(res, 400, 'REQUIRED_FIELD_MISSING', `Required fields are missing: [${missing.join(', ')}]`);
          if (type === 'CaseComment' && !of('Case').has(String(body['ParentId'])))
            return errors(res, 400, 'FIELD_INTEGRITY_EXCEPTION', 'Parent ID: id value of incorrect type');
          if (type === 'CaseComment' && typeof body['CommentBody'] === 'string' && Buffer.byteLength(body['CommentBody']) > SF_FAKE_COMMENT_MAX_BYTES) {
            return errors(res, 400, 'STRING_TOO_LONG', `Body: data value too large (max length=${SF_FAKE_COMMENT_MAX_BYTES})`);
          }
          if (type === 'Task' && leadWithWhat(body))
            return errors(res, 400, 'FIELD_INTEGRITY_EXCEPTION', 'Related To ID: a task related to a lead cannot be related to another record');
          if (type === 'ContentVersion') {
            if (body['ContentUrl'] === undefined && (body['VersionData'] === undefined || body['PathOnClient'] === undefined)) {
              return errors(res, 400, 'REQUIRED_FIELD_MISSING', 'Required fields are missing: [PathOnClient, VersionData]');
            }
            if (body['FirstPublishLocationId'] !== undefined && !findAny(String(body['FirstPublishLocationId']))) {
              return errors(res, 400, 'INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id');
            }
          }
          for (const ref of ['WhoId', 'WhatId', 'ContactId', 'AccountId']) {
            if (typeof body[ref] === 'string' && !findAny(body[ref]))
              return errors(res, 400, 'INVALID_CROSS_REFERENCE_KEY', `${ref}: invalid cross reference id`);
          }
          const id = newId(type);
          clock += 1000;
          const record: SfRecord = { ...body, Id: id, CreatedDate: new Date(clock).toISOString() };
          if (type === 'ContentVersion' && typeof body['VersionData'] === 'string') record['ContentSize'] = Buffer.from(body['VersionData'], 'base64').length;
          of(type).set(id, record);
          sendJson(res, 201, { id, success: true, errors: [] });
        },
      },
      {
        method: 'GET',
        path: `${base}/sobjects/:type/:id`,
        handle: (req, res) => {
          if (gate(req, res)) return;
          const type = req.params['type']!;
          const record = of(type).get(req.params['id']!);
          if (!record) return errors(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
          const fields = req.query.get('fields')?.split(',');
          sendJson(res, 200, view(type, record, fields));
        },
      },
      {
        method: 'PATCH',
        path: `${base}/sobjects/:type/:id`,
        handle: (req, res) => {
          if (gate(req, res)) return;
          const record = of(req.params['type']!).get(req.params['id']!);
          if (!record) return errors(res, 404, 'NOT_FOUND', 'The requested resource does not exist');
          const body = jsonBody(req);
          const refused = req.params['type'] === 'Task' ? taskFieldError(knownTaskFields, customTaskFields, body) : undefined;
          if (refused) return errors(res, 400, refused[0], refused[1]);
          if (typeof body['WhatId'] === 'string' && !findAny(body['WhatId']))
            return errors(res, 400, 'INVALID_CROSS_REFERENCE_KEY', 'WhatId: invalid cross reference id');
          if (req.params['type'] === 'Task' && leadWithWhat({ ...record, ...body })) {
            return errors(res, 400, 'FIELD_INTEGRITY_EXCEPTION', 'Related To ID: a task related to a lead cannot be related to another record');
          }
          Object.assign(record, body, { Id: record.Id });
          res.writeHead(204).end();
        },
      },
      {
        method: 'GET',
        path: `${base}/query`,
        handle: (req, res) => {
          if (gate(req, res)) return;
          let q: ReturnType<typeof parseSoql>;
          try {
            q = parseSoql(req.query.get('q') ?? '');
          } catch (err) {
            return errors(res, 400, 'MALFORMED_QUERY', (err as Error).message);
          }
          let rows = [...of(q.type).values()].map((r) => withDerived(q.type, r));
          for (const c of q.where) {
            if (c.op === '>=') rows = rows.filter((r) => typeof r[c.field] === 'string' && String(r[c.field]) >= String(c.value));
            else rows = rows.filter((r) => ((r[c.field] ?? null) === c.value) === (c.op === '='));
          }
          if (q.order) {
            const { field, desc } = q.order;
            rows.sort((a, b) => (String(a[field]) < String(b[field]) ? -1 : 1) * (desc ? -1 : 1));
          }
          if (q.limit !== undefined) rows = rows.slice(0, q.limit);
          const records = rows.map((r) => view(q.type, r, q.fields));
          sendJson(res, 200, batchOf(records, 0));
        },
      },
      {
        method: 'GET',
        path: `${base}/query/:locator`,
        handle: (req, res) => {
          if (gate(req, res)) return;
          const [cursor, offset] = (req.params['locator'] ?? '').split('-');
          const records = cursors.get(cursor ?? '');
          if (!records) return errors(res, 400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
          sendJson(res, 200, batchOf(records, Number(offset)));
        },
      },
      {
        method: 'GET',
        path: `${base}/search`,
        handle: (req, res) => {
          if (gate(req, res)) return;
          const q = req.query.get('q') ?? '';
          const m = /^FIND \{((?:[^}\\]|\\.)*)\} IN (PHONE|EMAIL) FIELDS RETURNING (.+)$/.exec(q);
          if (!m) return errors(res, 400, 'MALFORMED_SEARCH', `unsupported SOSL: ${q}`);
          const term = m[1]!.replace(/\\(.)/g, '$1');
          const targets = [...m[3]!.matchAll(/(\w+)\(([^)]*)\)/g)].map((t) => ({ type: t[1]!, fields: t[2]!.split(',').map((f) => f.trim()) }));
          const found: unknown[] = [];
          for (const t of targets) {
            for (const r of of(t.type).values()) {
              const hit =
                m[2] === 'PHONE'
                  ? (PHONE_FIELDS[t.type] ?? []).some(
                      (f) => digits(r[f]).length >= 7 && (digits(r[f]).endsWith(digits(term)) || digits(term).endsWith(digits(r[f]))),
                    )
                  : typeof r['Email'] === 'string' && r['Email'].toLowerCase() === term.toLowerCase();
              if (hit) found.push(view(t.type, r, t.fields));
            }
          }
          sendJson(res, 200, { searchRecords: found });
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  baseUrl = server.baseUrl;
  return {
    ...server,
    objects,
    failures,
    records: (type) => [...of(type).values()],
    seed(type, fields) {
      const id = newId(type);
      clock += 1000;
      of(type).set(id, { ...fields, Id: id, CreatedDate: new Date(clock).toISOString() });
      return id;
    },
    expireTokens: () => tokens.clear(),
    get tokensIssued() {
      return issued;
    },
  };
}
