/**
 * Zendesk Support as the CRM, with API-token auth (`{email}/token:{api_token}` as Basic).
 * - Accounts are end-users: found by phone through the Search API
 *   (`type:user role:end-user phone:<digits>`, then compared in E.164), by email, or by
 *   `external_id` (users/search); created with the role end-user.
 * - Records are tickets; the session id is the ticket's `external_id`, so "one ticket per
 *   session" is a lookup. Comments are internal notes (a ticket update with a comment); files
 *   are uploads (`/uploads.json` → token) attached through such a note.
 * - Ticket comments cannot carry an idempotency key, so a keyed note ends with a short
 *   marker and the ticket's comments are searched for it before writing. The wrap-up note is
 *   keyed by its own content, so a repeated wrap-up does not post it twice.
 */
import { createHash } from 'node:crypto';
import { parsePhoneNumberFromString } from 'libphonenumber-js/min';
import * as z from 'zod';
import type { Secret } from '../../config';
import { compact } from '../contract';
import { ambiguousMatch, crmConflict, crmContractViolation, crmNotFound, crmRejected } from '../errors';
import { normalizePhone, type PhoneOptions, samePhone } from '../phone';
import type { Channel, CrmAccount, CrmClient, CrmRecord, NewAccount } from '../port';
import { recordFieldProblems } from '../record-fields';
import { createUpstream, keyedWrite, refMarker, type UpstreamAnswer, type UpstreamFailureInfo, withMarker } from './upstream';
import { sessionDescription } from './record-description';
import { withoutTrailingSlash } from '../../http/url';

export interface ZendeskOptions {
  baseUrl: string;
  email: string;
  apiToken: Secret;
  defaultAccountName: string;
  /** Id of a ticket custom field that holds the disposition; tags only when absent. */
  dispositionFieldId?: number | undefined;
  phone: PhoneOptions;
  timeoutMs: number;
  retryLimit: number;
  /** Agent a ticket is assigned to when solved unassigned (a ticket cannot be solved without one); the API user by default. */
  solveAssigneeId?: number | undefined;
  /** How long this instance remembers the users it created, for the search index's delay (900 s). */
  recentCreateWindowSeconds?: number;
  now?: () => number;
}

const CRM = 'Zendesk';
/** Listings stop after this many pages (search answers at most 1 000 results anyway). */
const MAX_PAGES = 50;
const CLOSED = ['solved', 'closed'];
const CHANNEL_TAG = (c: Channel) => `ccbridge_${c}`;

const opt = z
  .string()
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : v));
const id = z.union([z.number(), z.string()]).transform(String);
const userSchema = z.looseObject({ id, name: opt, email: opt, phone: opt, external_id: opt, role: opt });
const ticketSchema = z.looseObject({
  id,
  subject: opt,
  status: z.string(),
  assignee_id: id.nullish(),
  requester_id: id.nullish(),
  external_id: opt,
  tags: z.array(z.string()).default([]),
  custom_fields: z.array(z.object({ id: z.number(), value: z.unknown() })).default([]),
});
const commentSchema = z.looseObject({ id, body: z.string().default(''), attachments: z.array(z.looseObject({ id })).default([]) });
const errorSchema = z.object({
  error: z.union([z.string(), z.object({ title: z.string().optional(), message: z.string().optional() })]),
  description: z.string().optional(),
  details: z.unknown().optional(),
});

function mapZendeskError(f: UpstreamFailureInfo) {
  const parsed = errorSchema.safeParse(f.body);
  if (f.status === 422 && parsed.success) {
    const details = JSON.stringify(parsed.data.details ?? '');
    if (/DuplicateValue|already being used|already exists/i.test(details)) return crmConflict(`${CRM}: ${parsed.data.description ?? 'duplicate value'}`);
    return crmRejected(CRM, parsed.data.description ?? 'record invalid', parsed.data.details);
  }
  return undefined;
}

const numericId = (v: string) => /^\d{1,19}$/.test(v);

const pageSchema = z.looseObject({
  meta: z.object({ has_more: z.boolean().optional() }).nullish(),
  links: z.object({ next: z.string().nullish() }).nullish(),
  next_page: z.string().nullish(),
});

export function createZendeskCrm(options: ZendeskOptions): CrmClient {
  const now = options.now ?? Date.now;
  const windowMs = (options.recentCreateWindowSeconds ?? 900) * 1000;
  /** Users this instance created, by phone/email: the search index does not see them for minutes. */
  const recent = new Map<string, { id: string; at: number }>();
  const remember = (account: CrmAccount) => {
    for (const k of [account.phone ? `phone:${account.phone}` : undefined, account.email ? `email:${account.email.toLowerCase()}` : undefined]) {
      if (k) recent.set(k, { id: account.id, at: now() });
    }
  };
  const recalled = (key: string) => {
    const hit = recent.get(key);
    if (!hit) return undefined;
    if (now() - hit.at > windowMs) {
      recent.delete(key);
      return undefined;
    }
    return hit.id;
  };
  let me: Promise<string> | undefined;
  const upstream = createUpstream({
    crm: CRM,
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    retryLimit: options.retryLimit,
    authHeaders: () => ({ authorization: `Basic ${Buffer.from(`${options.email}/token:${options.apiToken.reveal()}`).toString('base64')}` }),
    mapError: mapZendeskError,
  });

  const toAccount = (raw: unknown): CrmAccount => {
    const u = userSchema.parse(raw);
    return compact({
      id: u.id,
      name: u.name,
      phone: u.phone ? (normalizePhone(u.phone, options.phone) ?? u.phone) : undefined,
      email: u.email,
      externalId: u.external_id,
      type: 'end-user',
    });
  };

  const toRecord = (raw: unknown): CrmRecord => {
    const t = ticketSchema.parse(raw);
    const channelTag = t.tags.find((tag) => tag.startsWith('ccbridge_') && !tag.startsWith('ccbridge_disposition'));
    const disposition = options.dispositionFieldId === undefined ? undefined : t.custom_fields.find((f) => f.id === options.dispositionFieldId)?.value;
    return compact({
      id: t.id,
      accountId: t.requester_id ?? undefined,
      sessionId: t.external_id,
      channel: channelTag ? (channelTag.slice('ccbridge_'.length) as Channel) : undefined,
      status: CLOSED.includes(t.status) ? ('closed' as const) : ('open' as const),
      subject: t.subject,
      disposition: typeof disposition === 'string' && disposition !== '' ? disposition : undefined,
      url: `${withoutTrailingSlash(options.baseUrl)}/agent/tickets/${t.id}`,
    });
  };

  /**
   * Every item of a listing: cursor pagination (page[size], then links.next while meta.has_more),
   * or offset pagination (next_page) for endpoints such as search that only have that.
   */
  /** A next-page link must stay on the configured Zendesk (credentials go with it). */
  const base = withoutTrailingSlash(options.baseUrl);
  const sameSite = (url: string) => {
    if (!url.startsWith(`${base}/`)) throw crmContractViolation(CRM, 'a next-page link points outside the configured Zendesk');
    return url.slice(base.length + 1);
  };
  const listAll = async (path: string, key: string, searchParams: Record<string, string>, cursor: boolean, notFound?: { what: string; id: string }) => {
    const items: unknown[] = [];
    let answer: UpstreamAnswer | undefined = await upstream.send({
      method: 'GET',
      path,
      searchParams: cursor ? { ...searchParams, 'page[size]': '100' } : { ...searchParams, per_page: '100' },
      idempotent: true,
      ...(notFound ? { notFound } : {}),
    });
    for (let n = 0; answer && n < MAX_PAGES; n++) {
      const body = upstream.parse(answer.body, z.object({ [key]: z.array(z.unknown()) }), `${key} list`);
      items.push(...(body[key] as unknown[]));
      const page = pageSchema.parse(answer.body);
      const next = page.meta?.has_more ? page.links?.next : page.meta ? undefined : page.next_page;
      answer = next ? await upstream.send({ method: 'GET', path: sameSite(next), idempotent: true }) : undefined;
    }
    return items;
  };

  const getTicket = async (ticketId: string) => {
    if (!numericId(ticketId)) return undefined;
    const res = await upstream.sendOrMissing({ method: 'GET', path: `api/v2/tickets/${ticketId}.json`, idempotent: true });
    return res ? toRecord(upstream.parse(res.body, z.object({ ticket: z.unknown() }), 'ticket').ticket) : undefined;
  };

  const requireTicket = async (ticketId: string) => {
    const t = await getTicket(ticketId);
    if (!t) throw crmNotFound('record', ticketId);
    return t;
  };

  const comments = async (ticketId: string) =>
    (await listAll(`api/v2/tickets/${ticketId}/comments.json`, 'comments', { sort_order: 'desc' }, true, { what: 'record', id: ticketId })).map((c) =>
      commentSchema.parse(c),
    );

  const findNote = async (ticketId: string, marker: string) => {
    const hit = (await comments(ticketId)).find((c) => c.body.includes(marker));
    return hit ? { comment: hit, posted: false } : undefined;
  };

  /** Posts an internal note (with uploads) unless the marker shows it was posted already; never repeated blindly. */
  const note = async (
    ticketId: string,
    body: string,
    marker: string | undefined,
    uploads: string[] = [],
    extra: Record<string, unknown> = {},
    checked = false,
  ) => {
    if (marker && !checked) {
      const hit = await findNote(ticketId, marker);
      if (hit) return hit;
    }
    const write = async () => {
      const res = await upstream.send({
        method: 'PUT',
        path: `api/v2/tickets/${ticketId}.json`,
        json: { ticket: { ...extra, comment: compact({ body: withMarker(body, marker), public: false, uploads: uploads.length > 0 ? uploads : undefined }) } },
        // Each PUT with a comment adds a note: the HTTP client never repeats it.
        idempotent: false,
        notFound: { what: 'record', id: ticketId },
      });
      const parsed = upstream.parse(
        res.body,
        z.object({ audit: z.object({ events: z.array(z.looseObject({ type: z.string(), id: id.optional() })) }) }),
        'ticket update',
      );
      const event = parsed.audit.events.find((e) => e.type === 'Comment');
      return { comment: { id: event?.id ?? `${ticketId}:comment`, body, attachments: [] as Array<{ id: string }> }, posted: true };
    };
    if (!marker) return write();
    return keyedWrite({ retries: options.retryLimit, find: () => findNote(ticketId, marker), write });
  };

  const meId = () => {
    me ??= upstream
      .send({ method: 'GET', path: 'api/v2/users/me.json', idempotent: true })
      .then((res) => upstream.parse(res.body, z.object({ user: z.looseObject({ id }) }), 'current user').user.id)
      .catch((err: unknown) => {
        me = undefined;
        throw err;
      });
    return me;
  };

  const userBody = (input: NewAccount, creating: boolean) =>
    compact({
      name: input.name ?? (creating ? options.defaultAccountName : undefined),
      phone: input.phone,
      email: input.email,
      external_id: input.externalId,
      role: creating ? 'end-user' : undefined,
      // Zendesk sends a welcome email to new users unless told not to.
      verified: creating ? true : undefined,
    });

  const search = (query: string) => listAll('api/v2/search.json', 'results', { query }, false);

  /** A user this instance created within the window and that still holds the value. */
  const recentUser = async (key: string, holds: (a: CrmAccount) => boolean) => {
    const userId = recalled(key);
    if (!userId) return undefined;
    const res = await upstream.sendOrMissing({ method: 'GET', path: `api/v2/users/${userId}.json`, idempotent: true });
    const account = res ? toAccount(upstream.parse(res.body, z.object({ user: z.unknown() }), 'user').user) : undefined;
    return account && holds(account) ? account : undefined;
  };
  const withRecent = async (found: CrmAccount[], key: string, holds: (a: CrmAccount) => boolean) => {
    const mine = found.some((a) => a.id === recalled(key)) ? undefined : await recentUser(key, holds);
    return mine ? [...found, mine] : found;
  };

  const pick = (accounts: CrmAccount[]) => {
    if (accounts.length > 1) throw ambiguousMatch(accounts.map((a) => compact({ id: a.id, type: a.type, name: a.name })));
    return accounts[0];
  };

  return {
    kind: 'zendesk',

    async findAccount(q) {
      if (q.externalId !== undefined) {
        const res = await upstream.send({ method: 'GET', path: 'api/v2/users/search.json', searchParams: { external_id: q.externalId }, idempotent: true });
        return pick(upstream.parse(res.body, z.object({ users: z.array(z.unknown()) }), 'user search').users.map(toAccount));
      }
      if (q.phone !== undefined) {
        const e164 = q.phone;
        // Phone search matches the stored format only; a leading * matches every format (no +).
        const national = parsePhoneNumberFromString(e164)?.nationalNumber ?? e164.replace(/\D/g, '');
        const matches = (a: CrmAccount) => samePhone(a.phone, e164, options.phone);
        const found = (await search(`type:user role:end-user phone:*${national}`)).map(toAccount).filter(matches);
        return pick(await withRecent(found, `phone:${e164}`, matches));
      }
      if (q.email !== undefined) {
        const email = q.email.toLowerCase();
        const matches = (a: CrmAccount) => a.email?.toLowerCase() === email;
        const found = (await search(`type:user role:end-user email:${email}`)).map(toAccount).filter(matches);
        return pick(await withRecent(found, `email:${email}`, matches));
      }
      return undefined;
    },

    async createAccount(input) {
      const res = await upstream.send({ method: 'POST', path: 'api/v2/users.json', json: { user: userBody(input, true) }, idempotent: false });
      const account = toAccount(upstream.parse(res.body, z.object({ user: z.unknown() }), 'created user').user);
      remember(account);
      return account;
    },

    async updateAccount(accountId, patch) {
      if (!numericId(accountId)) throw crmNotFound('account', accountId);
      const res = await upstream.send({
        method: 'PUT',
        path: `api/v2/users/${accountId}.json`,
        json: { user: userBody(patch, false) },
        idempotent: true,
        notFound: { what: 'account', id: accountId },
      });
      return toAccount(upstream.parse(res.body, z.object({ user: z.unknown() }), 'updated user').user);
    },

    async findRecord(q) {
      if (q.id !== undefined) return getTicket(q.id);
      if (q.sessionId !== undefined) {
        const tickets = (await listAll('api/v2/tickets.json', 'tickets', { external_id: q.sessionId }, true)).map(toRecord);
        return tickets.find((t) => t.sessionId === q.sessionId) ?? tickets[0];
      }
      if (q.accountId !== undefined) {
        if (!numericId(q.accountId)) return undefined;
        let tickets: CrmRecord[];
        try {
          tickets = (
            await listAll(`api/v2/users/${q.accountId}/tickets/requested.json`, 'tickets', { sort_by: 'created_at', sort_order: 'desc' }, true, {
              what: 'account',
              id: q.accountId,
            })
          ).map(toRecord);
        } catch (err) {
          if ((err as { status?: number }).status === 404) return undefined;
          throw err;
        }
        return tickets.find((t) => t.status === 'open');
      }
      return undefined;
    },

    async createRecord(input) {
      const existing = await this.findRecord({ sessionId: input.sessionId });
      if (existing) return existing;
      if (input.accountId !== undefined) {
        const user = numericId(input.accountId)
          ? await upstream.sendOrMissing({ method: 'GET', path: `api/v2/users/${input.accountId}.json`, idempotent: true })
          : undefined;
        if (!user) throw crmNotFound('account', input.accountId);
      }
      const description = sessionDescription(input);
      const res = await upstream.send({
        method: 'POST',
        path: 'api/v2/tickets.json',
        json: {
          ticket: compact({
            subject: input.subject,
            comment: { body: description, public: false },
            requester_id: input.accountId === undefined ? undefined : Number(input.accountId),
            external_id: input.sessionId,
            tags: ['ccbridge', CHANNEL_TAG(input.channel)],
          }),
        },
        idempotent: false,
      });
      const record = toRecord(upstream.parse(res.body, z.object({ ticket: z.unknown() }), 'created ticket').ticket);
      return compact({ ...record, queue: input.queue });
    },

    async updateRecord(ticketId, update) {
      if (!numericId(ticketId)) throw crmNotFound('record', ticketId);
      const raw = await upstream.sendOrMissing({ method: 'GET', path: `api/v2/tickets/${ticketId}.json`, idempotent: true });
      if (!raw) throw crmNotFound('record', ticketId);
      const current = ticketSchema.parse(upstream.parse(raw.body, z.object({ ticket: z.unknown() }), 'ticket').ticket);
      const ticket: Record<string, unknown> = {};
      if (update.status !== undefined) ticket['status'] = update.status === 'closed' ? 'solved' : 'open';
      // A ticket cannot be solved without an assignee.
      if (update.status === 'closed' && (current.assignee_id === null || current.assignee_id === undefined))
        ticket['assignee_id'] = Number(options.solveAssigneeId ?? (await meId()));
      // Mapped fields are ticket custom fields by numeric id; the disposition field, when configured, wins.
      const badIds = recordFieldProblems('zendesk', Object.keys(update.fields ?? {}), 'fields');
      if (badIds.length > 0) throw crmRejected(CRM, badIds.join('; '));
      const customFields = new Map(Object.entries(update.fields ?? {}).map(([fieldId, value]) => [Number(fieldId), value as unknown]));
      if (update.disposition !== undefined) {
        ticket['additional_tags'] = [`ccbridge_disposition_${update.disposition.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`];
        if (options.dispositionFieldId !== undefined) customFields.set(options.dispositionFieldId, update.disposition);
      }
      if (customFields.size > 0) ticket['custom_fields'] = [...customFields].map(([fieldId, value]) => ({ id: fieldId, value }));
      const lines = [
        update.disposition !== undefined ? `Disposition: ${update.disposition}` : undefined,
        update.notes,
        update.durationSeconds !== undefined ? `Duration: ${update.durationSeconds} s` : undefined,
      ].filter((l): l is string => l !== undefined && l !== '');
      // The wrap-up note carries the ticket's fields; without a note (none to write, or the same
      // wrap-up already posted) the fields are set on their own.
      let posted = false;
      if (lines.length > 0) {
        const text = `Wrap-up\n${lines.join('\n')}`;
        // Keyed by content: a repeated wrap-up finds its note and only sets fields again.
        const marker = refMarker(`wrapup:${createHash('sha256').update(text).digest('hex')}`);
        ({ posted } = await note(ticketId, text, marker, [], ticket));
      }
      if (!posted && Object.keys(ticket).length > 0) {
        await upstream.send({
          method: 'PUT',
          path: `api/v2/tickets/${ticketId}.json`,
          json: { ticket },
          idempotent: true,
          notFound: { what: 'record', id: ticketId },
        });
      }
      const record = await requireTicket(ticketId);
      return compact({ ...record, disposition: record.disposition ?? update.disposition, notes: update.notes, durationSeconds: update.durationSeconds });
    },

    async addComment(ticketId, comment) {
      await requireTicket(ticketId);
      const body = comment.author ? `${comment.body}\n— ${comment.author}` : comment.body;
      const { comment: c } = await note(ticketId, body, comment.idempotencyKey === undefined ? undefined : refMarker(comment.idempotencyKey));
      return { id: c.id };
    },

    async addAttachment(ticketId, a) {
      await requireTicket(ticketId);
      const marker = a.idempotencyKey === undefined ? undefined : refMarker(a.idempotencyKey);
      if (marker) {
        const hit = (await comments(ticketId)).find((c) => c.body.includes(marker));
        if (hit) return { id: hit.attachments[0]?.id ?? hit.id };
      }
      if (a.content === undefined) {
        const { comment } = await note(ticketId, `Attachment ${a.fileName}: ${a.url ?? ''}`, marker, [], {}, true);
        return { id: comment.id };
      }
      const upload = await upstream.send({
        method: 'POST',
        path: 'api/v2/uploads.json',
        searchParams: { filename: a.fileName },
        body: a.content,
        headers: { 'content-type': a.contentType },
        idempotent: false,
      });
      const parsed = upstream.parse(upload.body, z.object({ upload: z.object({ token: z.string().min(1), attachment: z.looseObject({ id }) }) }), 'upload');
      await note(ticketId, `Attachment ${a.fileName}`, marker, [parsed.upload.token], {}, true);
      return { id: parsed.upload.attachment.id };
    },
  };
}
