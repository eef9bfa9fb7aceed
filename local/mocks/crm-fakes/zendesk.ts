/**
 * A local Zendesk Support, as far as the adapter uses it, written from the documented API:
 * - API-token auth: Basic base64("{email}/token:{token}"); otherwise 401
 *   `{"error":"Couldn't authenticate you"}`;
 * - users: `POST /api/v2/users.json`, `GET|PUT /api/v2/users/{id}.json`,
 *   `GET /api/v2/users/search.json?external_id=`, `GET /api/v2/users/{id}/tickets/requested.json`;
 *   a second user with the same email is 422 RecordInvalid / DuplicateValue;
 * - `GET /api/v2/search.json?query=type:user role:end-user phone:<digits>|email:<email>`;
 * - tickets: `POST /api/v2/tickets.json` (the first comment from `comment`),
 *   `GET|PUT /api/v2/tickets/{id}.json` (a `comment` in a PUT adds a comment and answers an
 *   audit with a Comment event; `additional_tags` adds tags), `GET /api/v2/tickets.json?external_id=`,
 *   `GET /api/v2/tickets/{id}/comments.json`;
 * - `POST /api/v2/uploads.json?filename=` (raw bytes) → `{upload: {token, attachment}}`; a
 *   comment's `uploads` tokens become its attachments;
 * - unknown ids → 404 `{"error":"RecordNotFound","description":"Not found"}`;
 * - rules of docs/contracts/zendesk.md enforced: a phone search matches the stored format
 *   only, a leading `*` matches any format; new users reach the search index only
 *   `indexDelayMs` after creation (injected clock); a ticket cannot be solved without an
 *   assignee (422); listings page (cursor `page[size]`/`page[after]` with `meta.has_more` and
 *   `links.next`, or offset `next_page`), at most `pageSize` (100) a page.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type MockRequest, type MockServer, sendJson, startMockServer } from '../http-mock';
import { createFailures, type FakeFailures, jsonBody, safeEqual } from './fake-kit';

export interface ZdUser {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  external_id: string | null;
  role: string;
  /** Fake clock time of creation (the search index sees the user indexDelayMs later). */
  created_ms: number;
}
export interface ZdAttachment {
  id: number;
  file_name: string;
  content_type: string;
  size: number;
}
export interface ZdComment {
  id: number;
  body: string;
  public: boolean;
  author_id: number;
  attachments: ZdAttachment[];
}
export interface ZdTicket {
  id: number;
  subject: string;
  status: string;
  assignee_id: number | null;
  requester_id: number | null;
  external_id: string | null;
  tags: string[];
  custom_fields: Array<{ id: number; value: unknown }>;
  created_at: string;
  comments: ZdComment[];
}

export interface ZendeskFake extends MockServer {
  readonly users: Map<number, ZdUser>;
  readonly tickets: Map<number, ZdTicket>;
  readonly failures: FakeFailures;
  readonly uploads: Map<string, ZdAttachment>;
}

/**
 * Zendesk's phone search: digits only, matched against the stored format; a leading `*`
 * matches the number however it was typed (stored digits ending with the term's).
 */
export function phoneMatches(stored: string | null, term: string): boolean {
  if (!stored) return false;
  const wildcard = term.startsWith('*');
  const digits = (wildcard ? term.slice(1) : term).trim();
  if (!/^\d{4,}$/.test(digits)) return false;
  const storedDigits = stored.replace(/\D/g, '');
  return wildcard ? storedDigits.endsWith(digits) : storedDigits === digits && !/[^\d+]/.test(stored.trim());
}

const notFound = (res: http.ServerResponse) => sendJson(res, 404, { error: 'RecordNotFound', description: 'Not found' });

export interface ZendeskFakeOptions {
  email: string;
  apiToken: string;
  port?: number;
  /** The fake's clock (tests inject one to step past the indexing delay). */
  now?: () => number;
  /** How long a new user stays out of search results ("up to a few minutes"); 120 s by default. */
  indexDelayMs?: number;
  /** Items per page at most (100, as most Zendesk listings). */
  pageSize?: number;
}

export async function startZendeskFake(options: ZendeskFakeOptions): Promise<ZendeskFake> {
  const now = options.now ?? Date.now;
  const indexDelayMs = options.indexDelayMs ?? 120_000;
  const maxPage = options.pageSize ?? 100;
  const users = new Map<number, ZdUser>();
  const tickets = new Map<number, ZdTicket>();
  const uploads = new Map<string, ZdAttachment>();
  const failures = createFailures();
  let nextId = 1000;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const agentId = 1;
  const expected = `Basic ${Buffer.from(`${options.email}/token:${options.apiToken}`).toString('base64')}`;

  const gate = (req: MockRequest, res: http.ServerResponse): boolean => {
    if (!safeEqual(req.headers.authorization ?? '', expected)) {
      sendJson(res, 401, { error: "Couldn't authenticate you" });
      return true;
    }
    return failures.apply(req, res);
  };
  const idParam = (req: MockRequest) => Number((req.params['id'] ?? '').replace(/\.json$/, ''));
  const ticketView = (t: ZdTicket) => {
    const { comments: _comments, ...rest } = t;
    return rest;
  };

  const addComment = (t: ZdTicket, c: Record<string, unknown>) => {
    const tokens = Array.isArray(c['uploads']) ? (c['uploads'] as string[]) : [];
    const comment: ZdComment = {
      id: ++nextId,
      body: String(c['body'] ?? ''),
      public: c['public'] !== false,
      author_id: agentId,
      attachments: tokens.map((tok) => uploads.get(tok)).filter((a): a is ZdAttachment => a !== undefined),
    };
    t.comments.push(comment);
    return comment;
  };

  const userInput = (body: Record<string, unknown>) => (body['user'] ?? {}) as Record<string, unknown>;
  const userView = (u: ZdUser) => {
    const { created_ms: _created, ...rest } = u;
    return rest;
  };

  /** A listing as Zendesk pages it: cursor pagination with page[size], offset (next_page) otherwise. */
  const paged = (req: MockRequest, key: string, items: unknown[], extra: Record<string, unknown> = {}) => {
    const size = req.query.get('page[size]');
    const self = (params: Record<string, string>) => {
      const q = new URLSearchParams(req.query);
      for (const [k, v] of Object.entries(params)) q.set(k, v);
      return `${server.baseUrl}${req.path}?${q.toString()}`;
    };
    if (size !== null) {
      const n = Math.min(Math.max(1, Number(size) || maxPage), maxPage);
      const after = Number(req.query.get('page[after]') ?? '0') || 0;
      const slice = items.slice(after, after + n);
      const hasMore = after + n < items.length;
      return {
        [key]: slice,
        ...extra,
        meta: { has_more: hasMore, after_cursor: hasMore ? String(after + n) : null, before_cursor: String(after) },
        links: { next: hasMore ? self({ 'page[after]': String(after + n) }) : null, prev: null },
      };
    }
    const perPage = Math.min(Number(req.query.get('per_page') ?? maxPage) || maxPage, maxPage);
    const pageNo = Math.max(1, Number(req.query.get('page') ?? '1') || 1);
    const slice = items.slice((pageNo - 1) * perPage, pageNo * perPage);
    const more = pageNo * perPage < items.length;
    return {
      [key]: slice,
      ...extra,
      count: items.length,
      next_page: more ? self({ page: String(pageNo + 1), per_page: String(perPage) }) : null,
      previous_page: null,
    };
  };
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : null);

  const server = await startMockServer(
    'zendesk',
    [
      {
        method: 'POST',
        path: '/api/v2/users.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const u = userInput(jsonBody(req));
          if (!str(u['name']))
            return sendJson(res, 422, {
              error: 'RecordInvalid',
              description: 'Record validation errors',
              details: { name: [{ description: 'Name: cannot be blank', error: 'BlankValue' }] },
            });
          const email = str(u['email'])?.toLowerCase() ?? null;
          if (email && [...users.values()].some((x) => x.email === email)) {
            return sendJson(res, 422, {
              error: 'RecordInvalid',
              description: 'Record validation errors',
              details: { email: [{ description: `Email: ${email} is already being used by another user`, error: 'DuplicateValue' }] },
            });
          }
          const user: ZdUser = {
            id: ++nextId,
            name: String(u['name']),
            email,
            phone: str(u['phone']),
            external_id: str(u['external_id']),
            role: str(u['role']) ?? 'end-user',
            created_ms: now(),
          };
          users.set(user.id, user);
          sendJson(res, 201, { user: userView(user) });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/users/search.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const ext = req.query.get('external_id');
          sendJson(res, 200, { users: [...users.values()].filter((u) => ext !== null && u.external_id === ext).map(userView), count: 0 });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/users/me.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          sendJson(res, 200, { user: { id: agentId, name: 'Integration agent', email: options.email, role: 'admin' } });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/users/:id',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const user = users.get(idParam(req));
          return user ? sendJson(res, 200, { user: userView(user) }) : notFound(res);
        },
      },
      {
        method: 'PUT',
        path: '/api/v2/users/:id',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const user = users.get(idParam(req));
          if (!user) return notFound(res);
          const u = userInput(jsonBody(req));
          for (const k of ['name', 'phone', 'external_id'] as const) if (str(u[k])) user[k] = String(u[k]);
          if (str(u['email'])) user.email = String(u['email']).toLowerCase();
          sendJson(res, 200, { user: userView(user) });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/users/:id/tickets/requested.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const userId = Number(req.params['id']);
          if (!users.has(userId)) return notFound(res);
          const list = [...tickets.values()].filter((t) => t.requester_id === userId).sort((a, b) => b.created_at.localeCompare(a.created_at));
          sendJson(res, 200, paged(req, 'tickets', list.map(ticketView)));
        },
      },
      {
        method: 'GET',
        path: '/api/v2/search.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const query = req.query.get('query') ?? '';
          const terms = Object.fromEntries(query.split(/\s+/).map((t) => t.split(':') as [string, string]));
          if (terms['type'] !== 'user') return sendJson(res, 200, { results: [], count: 0 });
          const results = [...users.values()].filter(
            (u) =>
              // The search index sees a new user only after the indexing delay.
              u.created_ms + indexDelayMs <= now() &&
              (!terms['role'] || u.role === terms['role']) &&
              (!terms['phone'] || phoneMatches(u.phone, terms['phone'])) &&
              (!terms['email'] || u.email === terms['email'].toLowerCase()),
          );
          sendJson(
            res,
            200,
            paged(
              req,
              'results',
              results.map((u) => ({ ...userView(u), result_type: 'user' })),
            ),
          );
        },
      },
      {
        method: 'POST',
        path: '/api/v2/tickets.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const t = (jsonBody(req)['ticket'] ?? {}) as Record<string, unknown>;
          const comment = (t['comment'] ?? {}) as Record<string, unknown>;
          if (!str(comment['body']))
            return sendJson(res, 422, {
              error: 'RecordInvalid',
              description: 'Record validation errors',
              details: { base: [{ description: 'Description: cannot be blank' }] },
            });
          const requester = typeof t['requester_id'] === 'number' ? t['requester_id'] : null;
          if (requester !== null && !users.has(requester))
            return sendJson(res, 422, {
              error: 'RecordInvalid',
              description: 'Record validation errors',
              details: { requester: [{ description: 'Requester: is invalid' }] },
            });
          clock += 1000;
          const ticket: ZdTicket = {
            id: ++nextId,
            subject: String(t['subject'] ?? ''),
            status: 'new',
            assignee_id: typeof t['assignee_id'] === 'number' ? t['assignee_id'] : null,
            requester_id: requester,
            external_id: str(t['external_id']),
            tags: Array.isArray(t['tags']) ? (t['tags'] as string[]) : [],
            custom_fields: [],
            created_at: new Date(clock).toISOString(),
            comments: [],
          };
          addComment(ticket, comment);
          tickets.set(ticket.id, ticket);
          sendJson(res, 201, { ticket: ticketView(ticket), audit: { id: ++nextId, events: [] } });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/tickets.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const ext = req.query.get('external_id');
          sendJson(res, 200, paged(req, 'tickets', [...tickets.values()].filter((t) => ext === null || t.external_id === ext).map(ticketView)));
        },
      },
      {
        method: 'GET',
        path: '/api/v2/tickets/:id',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const ticket = tickets.get(idParam(req));
          return ticket ? sendJson(res, 200, { ticket: ticketView(ticket) }) : notFound(res);
        },
      },
      {
        method: 'PUT',
        path: '/api/v2/tickets/:id',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const ticket = tickets.get(idParam(req));
          if (!ticket) return notFound(res);
          const t = (jsonBody(req)['ticket'] ?? {}) as Record<string, unknown>;
          const events: Array<Record<string, unknown>> = [];
          const assignee = typeof t['assignee_id'] === 'number' ? t['assignee_id'] : ticket.assignee_id;
          if (t['status'] === 'solved' && assignee === null) {
            return sendJson(res, 422, {
              error: 'RecordInvalid',
              description: 'Record validation errors',
              details: { assignee: [{ description: 'Assignee: is required when solving a ticket', error: 'InvalidValue' }] },
            });
          }
          if (typeof t['assignee_id'] === 'number') ticket.assignee_id = t['assignee_id'];
          if (typeof t['status'] === 'string') {
            events.push({ id: ++nextId, type: 'Change', field_name: 'status', value: t['status'], previous_value: ticket.status });
            ticket.status = t['status'];
          }
          if (Array.isArray(t['additional_tags'])) ticket.tags = [...new Set([...ticket.tags, ...(t['additional_tags'] as string[])])];
          if (Array.isArray(t['custom_fields'])) {
            for (const f of t['custom_fields'] as Array<{ id: number; value: unknown }>) {
              ticket.custom_fields = [...ticket.custom_fields.filter((x) => x.id !== f.id), f];
            }
          }
          if (t['comment'] && typeof t['comment'] === 'object') {
            const c = addComment(ticket, t['comment'] as Record<string, unknown>);
            events.push({ id: c.id, type: 'Comment', body: c.body, public: c.public, attachments: c.attachments });
          }
          if (ticket.status === 'new' && events.some((e) => e['type'] === 'Comment')) ticket.status = 'open';
          sendJson(res, 200, { ticket: ticketView(ticket), audit: { id: ++nextId, events } });
        },
      },
      {
        method: 'GET',
        path: '/api/v2/tickets/:id/comments.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const ticket = tickets.get(Number(req.params['id']));
          if (!ticket) return notFound(res);
          const list = req.query.get('sort_order') === 'desc' ? [...ticket.comments].reverse() : ticket.comments;
          sendJson(res, 200, paged(req, 'comments', list));
        },
      },
      {
        method: 'POST',
        path: '/api/v2/uploads.json',
        handle: (req, res) => {
          if (gate(req, res)) return;
          const filename = req.query.get('filename');
          if (!filename) return sendJson(res, 400, { error: 'InvalidEndpoint', description: 'filename is required' });
          const attachment: ZdAttachment = {
            id: ++nextId,
            file_name: filename,
            content_type: String(req.headers['content-type'] ?? 'application/binary'),
            size: req.body.length,
          };
          const token = randomBytes(12).toString('hex');
          uploads.set(token, attachment);
          sendJson(res, 201, { upload: { token, expires_at: new Date(Date.now() + 3 * 86_400_000).toISOString(), attachment, attachments: [attachment] } });
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  return { ...server, users, tickets, failures, uploads };
}
