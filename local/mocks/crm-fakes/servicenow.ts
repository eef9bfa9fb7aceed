/**
 * A local ServiceNow, as far as the adapter uses it, written from the documented behaviour
 * of the Table API and the Attachment API:
 * - `GET/POST /api/now/table/{table}`, `GET/PATCH/PUT /api/now/table/{table}/{sys_id}`;
 *   answers wrapped in `{"result": …}`; encoded queries (`a=b^ORc=d^fieldLIKEx^fieldINa,b^
 *   ORDERBYDESCf`), `sysparm_fields`, `sysparm_limit`;
 * - field values are strings; journal fields (`work_notes`, `comments`) written on a task
 *   become `sys_journal_field` rows (element_id, element, value) and are not stored on it;
 * - listings page: `sysparm_limit` (default and at most 10 000, or `maxPageSize`), `sysparm_offset`,
 *   `X-Total-Count` and a `Link` header (`rel="next"` while rows remain); `^NQ` ORs whole queries;
 * - `POST /api/now/attachment/file?table_name&table_sys_id&file_name` with the raw bytes,
 *   `GET /api/now/attachment?sysparm_query=…` (rows carry `size_bytes` and a SHA-256 `hash`);
 * - errors `{"error":{"message","detail"},"status":"failure"}`: 401 without valid Basic auth,
 *   404 "No Record found" for an unknown sys_id;
 * - a table with known columns (`incident`: its standard columns plus `columns.incident`) keeps
 *   only those: a write naming another column succeeds without storing it, and `sysparm_fields`
 *   leaves it out of the answer (docs/contracts/servicenow.md: *unconfirmed* as documentation,
 *   tolerated either way by the adapter, which compares what comes back).
 */
import { createHash, randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type MockRequest, type MockServer, sendJson, startMockServer } from '../http-mock';
import { basicHeader, createFailures, type FakeFailures, jsonBody, safeEqual } from './fake-kit';

export type Row = Record<string, string>;

export interface ServiceNowFake extends MockServer {
  readonly tables: Map<string, Map<string, Row>>;
  readonly failures: FakeFailures;
  rows(table: string): Row[];
}

const JOURNAL_FIELDS = new Set(['work_notes', 'comments']);
/** Standard incident columns (task + incident) the fake knows; other names are ignored like absent columns. */
export const SN_INCIDENT_COLUMNS = [
  'sys_id',
  'sys_created_on',
  'sys_updated_on',
  'number',
  'state',
  'caller_id',
  'short_description',
  'description',
  'contact_type',
  'correlation_id',
  'correlation_display',
  'close_code',
  'close_notes',
  'priority',
  'impact',
  'urgency',
  'category',
  'subcategory',
  'assignment_group',
  'assigned_to',
  'opened_at',
  'resolved_at',
  'closed_at',
  'location',
  'company',
  'work_notes',
  'comments',
];

const failure = (res: http.ServerResponse, status: number, message: string, detail: string | null = null) =>
  sendJson(res, status, { error: { message, detail }, status: 'failure' });

/** Evaluates the subset of encoded queries the adapter writes; `^NQ` starts a new query ORed with the others, as ServiceNow does. */
export function encodedQueryFilter(query: string): { test: (row: Row) => boolean; order?: { field: string; desc: boolean } } {
  const parts = query.split('^NQ');
  if (parts.length > 1) {
    const each = parts.map((p) => encodedQueryFilter(p));
    const order = each.find((e) => e.order)?.order;
    return { test: (row) => each.some((e) => e.test(row)), ...(order ? { order } : {}) };
  }
  const groups: Array<Array<(row: Row) => boolean>> = [];
  let order: { field: string; desc: boolean } | undefined;
  for (const raw of query.split('^').filter((c) => c.length > 0)) {
    if (raw.startsWith('ORDERBYDESC')) {
      order = { field: raw.slice(11), desc: true };
      continue;
    }
    if (raw.startsWith('ORDERBY')) {
      order = { field: raw.slice(7), desc: false };
      continue;
    }
    const or = raw.startsWith('OR');
    const clause = or ? raw.slice(2) : raw;
    const m = /^([a-z0-9_.]+?)(!=|=|LIKE|IN|STARTSWITH)(.*)$/.exec(clause);
    if (!m) throw new Error(`unsupported encoded query clause: ${clause}`);
    const [, field, op, value] = m as unknown as [string, string, string, string];
    const predicate = (row: Row): boolean => {
      const v = row[field] ?? '';
      switch (op) {
        case '=':
          return v === value;
        case '!=':
          return v !== value;
        case 'LIKE':
          return v.toLowerCase().includes(value.toLowerCase());
        case 'IN':
          return value.split(',').includes(v);
        default:
          return v.startsWith(value);
      }
    };
    if (or && groups.length > 0) groups[groups.length - 1]!.push(predicate);
    else groups.push([predicate]);
  }
  return { test: (row) => groups.every((g) => g.some((p) => p(row))), ...(order ? { order } : {}) };
}

/** The Table API's default page (sysparm_limit when absent), which is also what the fake answers at most. */
export const SN_DEFAULT_LIMIT = 10_000;

/** One page of rows as the Table API answers it: sysparm_limit/sysparm_offset, X-Total-Count and a Link header. */
function page(req: MockRequest, rows: Row[], maxPageSize: number): { rows: Row[]; headers: Record<string, string> } {
  const limit = Math.min(Number(req.query.get('sysparm_limit') ?? String(SN_DEFAULT_LIMIT)) || SN_DEFAULT_LIMIT, maxPageSize);
  const offset = Math.max(0, Number(req.query.get('sysparm_offset') ?? '0') || 0);
  const slice = rows.slice(offset, offset + limit);
  const link = (o: number, rel: string) => {
    const q = new URLSearchParams(req.query);
    q.set('sysparm_limit', String(limit));
    q.set('sysparm_offset', String(o));
    return `<${req.path}?${q.toString()}>;rel="${rel}"`;
  };
  const links = [link(0, 'first')];
  if (offset + limit < rows.length) links.push(link(offset + limit, 'next'));
  links.push(link(Math.max(0, rows.length - limit), 'last'));
  return { rows: slice, headers: { 'x-total-count': String(rows.length), link: links.join(',') } };
}

export async function startServiceNowFake(options: {
  user: string;
  password: string;
  port?: number;
  maxPageSize?: number;
  /** Custom columns (e.g. `u_caller_city`) per table, beside the standard ones the fake knows. */
  columns?: Record<string, string[]>;
}): Promise<ServiceNowFake> {
  const known: Record<string, Set<string>> = { incident: new Set([...SN_INCIDENT_COLUMNS, ...(options.columns?.['incident'] ?? [])]) };
  for (const [name, extra] of Object.entries(options.columns ?? {})) if (name !== 'incident') known[name] = new Set(extra);
  const hasColumn = (tableName: string, column: string) => known[tableName]?.has(column) ?? true;
  const maxPageSize = options.maxPageSize ?? SN_DEFAULT_LIMIT;
  const tables = new Map<string, Map<string, Row>>();
  const table = (name: string) => {
    let t = tables.get(name);
    if (!t) {
      t = new Map();
      tables.set(name, t);
    }
    return t;
  };
  const failures = createFailures();
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const stamp = () => {
    clock += 1000;
    return new Date(clock).toISOString().replace('T', ' ').slice(0, 19);
  };
  const newId = () => randomBytes(16).toString('hex');

  const project = (row: Row, req: MockRequest, tableName: string): Row => {
    const fields = req.query.get('sysparm_fields');
    if (!fields) return row;
    return Object.fromEntries(
      fields
        .split(',')
        .filter((f) => hasColumn(tableName, f))
        .map((f) => [f, row[f] ?? '']),
    );
  };

  /** Auth and scripted failures first; true when the request was answered. */
  const gate = (req: MockRequest, res: http.ServerResponse): boolean => {
    if (!safeEqual(req.headers.authorization ?? '', basicHeader(options.user, options.password))) {
      failure(res, 401, 'User Not Authenticated', 'Required to provide Auth information');
      return true;
    }
    return failures.apply(req, res);
  };

  const write = (tableName: string, row: Row, values: Record<string, unknown>) => {
    for (const [k, v] of Object.entries(values)) {
      const value = v === null || v === undefined ? '' : String(v);
      if (!hasColumn(tableName, k)) continue;
      if (JOURNAL_FIELDS.has(k)) {
        if (value === '') continue;
        const id = newId();
        table('sys_journal_field').set(id, { sys_id: id, element_id: row['sys_id']!, element: k, name: tableName, value, sys_created_on: stamp() });
      } else row[k] = value;
    }
    row['sys_updated_on'] = stamp();
  };

  const server = await startMockServer(
    'servicenow',
    [
      {
        method: 'GET',
        path: '/api/now/table/:table',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const { test, order } = encodedQueryFilter(req.query.get('sysparm_query') ?? '');
          const rows = [...table(req.params['table']!).values()].filter(test);
          if (order) rows.sort((a, b) => ((a[order.field] ?? '') < (b[order.field] ?? '') ? -1 : 1) * (order.desc ? -1 : 1));
          const p = page(req, rows, maxPageSize);
          sendJson(res, 200, { result: p.rows.map((r) => project(r, req, req.params['table']!)) }, p.headers);
        },
      },
      {
        method: 'GET',
        path: '/api/now/table/:table/:id',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const row = table(req.params['table']!).get(req.params['id']!);
          if (!row) return failure(res, 404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
          sendJson(res, 200, { result: project(row, req, req.params['table']!) });
        },
      },
      {
        method: 'POST',
        path: '/api/now/table/:table',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const body = jsonBody(req);
          const id = newId();
          const row: Row = { sys_id: id, sys_created_on: stamp() };
          const name = req.params['table']!;
          if (name === 'incident') {
            row['number'] = `INC${String(table('incident').size + 1).padStart(7, '0')}`;
            row['state'] = '1';
          }
          if (name === 'sys_user' && !body['last_name'] && !body['name']) return failure(res, 400, 'Operation Failed', 'last_name is mandatory');
          if (name === 'sys_user') row['name'] = [body['first_name'], body['last_name']].filter(Boolean).join(' ');
          write(name, row, body);
          table(name).set(id, row);
          sendJson(res, 201, { result: project(row, req, name) });
        },
      },
      ...(['PATCH', 'PUT'] as const).map((method) => ({
        method,
        path: '/api/now/table/:table/:id',
        handle: (req: MockRequest, res: http.ServerResponse) => {
          if (gate(req, res)) return;
          const name = req.params['table']!;
          const row = table(name).get(req.params['id']!);
          if (!row) return failure(res, 404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
          write(name, row, jsonBody(req));
          sendJson(res, 200, { result: project(row, req, name) });
        },
      })),
      {
        method: 'POST',
        path: '/api/now/attachment/file',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const tableName = req.query.get('table_name');
          const tableSysId = req.query.get('table_sys_id');
          const fileName = req.query.get('file_name');
          if (!tableName || !tableSysId || !fileName)
            return failure(res, 400, 'Failed to create the attachment', 'table_name, table_sys_id and file_name are required');
          if (!table(tableName).has(tableSysId)) return failure(res, 400, 'Invalid table or sys_id', `no record ${tableSysId} in ${tableName}`);
          const id = newId();
          const row: Row = {
            sys_id: id,
            table_name: tableName,
            table_sys_id: tableSysId,
            file_name: fileName,
            content_type: String(req.headers['content-type'] ?? 'application/octet-stream'),
            size_bytes: String(req.body.length),
            hash: createHash('sha256').update(req.body).digest('hex'),
            sys_created_on: stamp(),
          };
          table('sys_attachment').set(id, row);
          sendJson(res, 201, { result: row });
        },
      },
      {
        method: 'GET',
        path: '/api/now/attachment',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const { test, order } = encodedQueryFilter(req.query.get('sysparm_query') ?? '');
          const rows = [...table('sys_attachment').values()].filter(test);
          if (order) rows.sort((a, b) => ((a[order.field] ?? '') < (b[order.field] ?? '') ? -1 : 1) * (order.desc ? -1 : 1));
          const p = page(req, rows, maxPageSize);
          sendJson(res, 200, { result: p.rows }, p.headers);
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  return { ...server, tables, failures, rows: (name) => [...table(name).values()] };
}
