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
import * as z from 'zod';
import type { Secret } from '../../config';
import { compact } from '../contract';
import { ambiguousMatch, crmConflict, crmNotFound, crmRejected } from '../errors';
import { normalizePhone, type PhoneOptions, samePhone } from '../phone';
import type { Channel, CrmAccount, CrmClient, CrmRecord, NewAccount } from '../port';
import { createUpstream, refMarker, type UpstreamFailureInfo, withMarker } from './upstream';

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
}

const CRM = 'Zendesk';
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
  requester_id: id.nullish(),
  external_id: opt,
  tags: z.array(z.string()).default([]),
  custom_fields: z.array(z.object({ id: z.number(), value: z.unknown() })).default([]),
});
const commentSchema = z.looseObject({ id, body: z.string().default(''), attachments: z.array(z.looseObject({ id })).default([]) });
const errorSchema = z.object({ error: z.union([z.string(), z.object({ title: z.string().optional(), message: z.string().optional() })]), description: z.string().optional(), details: z.unknown().optional() });

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

export function createZendeskCrm(options: ZendeskOptions): CrmClient {
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
    return compact({ id: u.id, name: u.name, phone: u.phone ? (normalizePhone(u.phone, options.phone) ?? u.phone) : undefined, email: u.email, externalId: u.external_id, type: 'end-user' });
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
      url: `${options.baseUrl.replace(/\/+$/, '')}/agent/tickets/${t.id}`,
    });
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

  const comments = async (ticketId: string) => {
    const res = await upstream.send({
      method: 'GET',
      path: `api/v2/tickets/${ticketId}/comments.json`,
      searchParams: { sort_order: 'desc' },
      idempotent: true,
      notFound: { what: 'record', id: ticketId },
    });
    return upstream.parse(res.body, z.object({ comments: z.array(commentSchema) }), 'comment list').comments;
  };

  /** Posts an internal note (with uploads) unless the marker shows it was posted already. */
  const note = async (ticketId: string, body: string, marker: string | undefined, uploads: string[] = [], extra: Record<string, unknown> = {}, checked = false) => {
    if (marker && !checked) {
      const hit = (await comments(ticketId)).find((c) => c.body.includes(marker));
      if (hit) return { comment: hit, posted: false };
    }
    const res = await upstream.send({
      method: 'PUT',
      path: `api/v2/tickets/${ticketId}.json`,
      json: { ticket: { ...extra, comment: compact({ body: withMarker(body, marker), public: false, uploads: uploads.length > 0 ? uploads : undefined }) } },
      // Each PUT with a comment adds a note: only a keyed one is safe to repeat.
      idempotent: marker !== undefined,
      notFound: { what: 'record', id: ticketId },
    });
    const parsed = upstream.parse(res.body, z.object({ audit: z.object({ events: z.array(z.looseObject({ type: z.string(), id: id.optional() })) }) }), 'ticket update');
    const event = parsed.audit.events.find((e) => e.type === 'Comment');
    return { comment: { id: event?.id ?? `${ticketId}:comment`, body, attachments: [] as Array<{ id: string }> }, posted: true };
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

  const search = async (query: string) => {
    const res = await upstream.send({ method: 'GET', path: 'api/v2/search.json', searchParams: { query }, idempotent: true });
    return upstream.parse(res.body, z.object({ results: z.array(z.unknown()) }), 'search result').results;
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
        const found = (await search(`type:user role:end-user phone:${e164.replace(/\D/g, '')}`)).map(toAccount);
        return pick(found.filter((a) => samePhone(a.phone, e164, options.phone)));
      }
      if (q.email !== undefined) {
        const email = q.email.toLowerCase();
        const found = (await search(`type:user role:end-user email:${email}`)).map(toAccount);
        return pick(found.filter((a) => a.email?.toLowerCase() === email));
      }
      return undefined;
    },

    async createAccount(input) {
      const res = await upstream.send({ method: 'POST', path: 'api/v2/users.json', json: { user: userBody(input, true) }, idempotent: false });
      return toAccount(upstream.parse(res.body, z.object({ user: z.unknown() }), 'created user').user);
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
        const res = await upstream.send({ method: 'GET', path: 'api/v2/tickets.json', searchParams: { external_id: q.sessionId }, idempotent: true });
        const tickets = upstream.parse(res.body, z.object({ tickets: z.array(z.unknown()) }), 'ticket list').tickets.map(toRecord);
        return tickets[0];
      }
      if (q.accountId !== undefined) {
        if (!numericId(q.accountId)) return undefined;
        const res = await upstream.sendOrMissing({
          method: 'GET',
          path: `api/v2/users/${q.accountId}/tickets/requested.json`,
          searchParams: { sort_by: 'created_at', sort_order: 'desc' },
          idempotent: true,
        });
        if (!res) return undefined;
        const tickets = upstream.parse(res.body, z.object({ tickets: z.array(z.unknown()) }), 'ticket list').tickets.map(toRecord);
        return tickets.find((t) => t.status === 'open');
      }
      return undefined;
    },

    async createRecord(input) {
      const existing = await this.findRecord({ sessionId: input.sessionId });
      if (existing) return existing;
      if (input.accountId !== undefined) {
        const user = numericId(input.accountId) ? await upstream.sendOrMissing({ method: 'GET', path: `api/v2/users/${input.accountId}.json`, idempotent: true }) : undefined;
        if (!user) throw crmNotFound('account', input.accountId);
      }
      const description = [`Session ${input.sessionId}`, input.queue ? `Queue ${input.queue}` : undefined, input.direction ? `Direction ${input.direction}` : undefined]
        .filter(Boolean)
        .join('\n');
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
      await requireTicket(ticketId);
      const ticket: Record<string, unknown> = {};
      if (update.status !== undefined) ticket['status'] = update.status === 'closed' ? 'solved' : 'open';
      if (update.disposition !== undefined) {
        ticket['additional_tags'] = [`ccbridge_disposition_${update.disposition.toLowerCase().replace(/[^a-z0-9]+/g, '_')}`];
        if (options.dispositionFieldId !== undefined) ticket['custom_fields'] = [{ id: options.dispositionFieldId, value: update.disposition }];
      }
      const lines = [
        update.disposition !== undefined ? `Disposition: ${update.disposition}` : undefined,
        update.notes,
        update.durationSeconds !== undefined ? `Duration: ${update.durationSeconds} s` : undefined,
      ].filter((l): l is string => l !== undefined && l !== '');
      if (lines.length > 0) {
        const text = `Wrap-up\n${lines.join('\n')}`;
        // Keyed by content: a repeated wrap-up finds its note and only sets fields again.
        const marker = refMarker(`wrapup:${createHash('sha256').update(text).digest('hex')}`);
        const { posted } = await note(ticketId, text, marker, [], ticket);
        if (!posted && Object.keys(ticket).length > 0) {
          await upstream.send({ method: 'PUT', path: `api/v2/tickets/${ticketId}.json`, json: { ticket }, idempotent: true, notFound: { what: 'record', id: ticketId } });
        }
      } else if (Object.keys(ticket).length > 0) {
        await upstream.send({ method: 'PUT', path: `api/v2/tickets/${ticketId}.json`, json: { ticket }, idempotent: true, notFound: { what: 'record', id: ticketId } });
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
