/**
 * Be Aware 360 as the CRM. What is documented of it is a screen-pop integration, not a data
 * API: an external-system token (`POST {api}/ba360/apir/v10/login/authexternalsystem` with
 * user, pass, company, secretkey, clientkey) and an integration URL (new format)
 * `https://{instance}/integracionview/{platform}/{channel}/{interactionId}/{"contacto","empresa","caso"}/{token}`
 * that opens the interaction for the agent; Be Aware 360 itself searches case → account →
 * contact from those parameters, and creates what is missing.
 *
 * So in the contract's terms:
 * - accounts are the lookup keys Be Aware 360 will search with (a phone or email is a
 *   "contacto", an external id an "empresa"); finding one always succeeds;
 * - a record is a signed token carrying channel, interaction id and those keys — its id — and
 *   its URL is this bundle's redirect endpoint, which obtains a fresh token server-side and
 *   redirects to the integration URL, so the credentials never appear in a URL a browser
 *   logs, and only links this bundle signed can be opened;
 * - comments, attachments and wrap-up have no documented API: they answer 501 and say so.
 * Channels are checked against the accepted list; the interaction id is at most 120 chars.
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { type Secret, ConfigError } from '../../config';
import { constantTimeEqual } from '../../constant-time';
import { notImplemented } from '../../errors';
import { compact } from '../contract';
import { crmAuthFailed, crmContractViolation, crmRejected } from '../errors';
import { CHANNELS, type Channel, type CrmClient, type CrmRecord } from '../port';
import { createUpstream } from './upstream';
import { withoutTrailingSlash } from '../../http/url';

const BA360_CHANNELS = ['Voz', 'Call', 'Chat', 'Email', 'SMS', 'TWDirect', 'Messenger', 'Facebook', 'Whatsapp', 'Telegram', 'Hangout', 'Instagram'] as const;
const MAX_INTERACTION_ID = 120;

export interface Ba360Options {
  apiUrl: string;
  instanceUrl: string;
  user: string;
  password: Secret;
  company: string;
  secretKey: Secret;
  clientKey: Secret;
  platform: string;
  channelMap: Record<Channel, string>;
  linkSecret: Secret;
  /** Public URL of the crm function (for the redirect links). */
  publicUrl: string | undefined;
  timeoutMs: number;
  retryLimit: number;
  /** How long an `open` link may be used (its expiry is inside the signed id); 7 days by default. */
  linkTtlSeconds?: number;
  /** How long a Be Aware 360 token is reused before logging in again; 300 s by default (its lifetime is undocumented). */
  tokenTtlSeconds?: number;
  now?: () => number;
}

/** Expiries are rounded up to the hour, so a create repeated within the hour signs the same id. */
const EXPIRY_STEP_S = 3600;

export interface Ba360Link {
  channel: string;
  interactionId: string;
  contact?: string | undefined;
  account?: string | undefined;
  case?: string | undefined;
}

export interface Ba360 {
  crm: CrmClient;
  /** The record id of a link: its parameters, signed. */
  sign(link: Ba360Link): string;
  /** The parameters of a record id this bundle signed; undefined for anything else (and, with `fresh`, for an expired link). */
  verify(recordId: string, options?: { fresh?: boolean }): Ba360Link | undefined;
  /** A fresh token and the integration URL it opens. */
  integrationUrl(link: Ba360Link): Promise<string>;
  /** Checks a link's channel and interaction id; throws a 400 naming the problem. */
  check(link: Ba360Link): Ba360Link;
  redirectUrl(recordId: string): string | undefined;
}

const CRM = 'Be Aware 360';
const linkSchema = z.object({
  ch: z.string(),
  i: z.string(),
  c: z.string().optional(),
  e: z.string().optional(),
  k: z.string().optional(),
  x: z.number().int().optional(),
});

/** "voice=Voz,chat=Chat": our channels to Be Aware 360's; every value must be an accepted one. */
export function parseChannelMap(spec: string): Record<Channel, string> {
  const problems: string[] = [];
  const map: Partial<Record<Channel, string>> = {};
  for (const pair of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [ours, theirs] = pair.split('=').map((s) => s.trim());
    if (!ours || !theirs || !(CHANNELS as readonly string[]).includes(ours))
      problems.push(`BA360_CHANNEL_MAP: "${pair}" must be <${CHANNELS.join('|')}>=<Be Aware 360 channel>`);
    else if (!acceptedChannel(theirs)) problems.push(`BA360_CHANNEL_MAP: "${theirs}" is not an accepted channel (${BA360_CHANNELS.join(', ')})`);
    else map[ours as Channel] = acceptedChannel(theirs)!;
  }
  if (problems.length > 0) throw new ConfigError('crm client', problems);
  return map as Record<Channel, string>;
}

function acceptedChannel(v: string): string | undefined {
  return BA360_CHANNELS.find((c) => c.toLowerCase() === v.trim().toLowerCase());
}

/**
 * The token response's shape is *unconfirmed* in public documentation: accept the token as
 * the whole body or at `token`, `data.token`, `access_token`.
 */
function readToken(body: unknown): string | undefined {
  if (typeof body === 'string' && /^[\w.~+/=-]{8,}$/.test(body.trim())) return body.trim();
  if (body === null || typeof body !== 'object') return undefined;
  const o = body as Record<string, unknown>;
  const nested = o['data'] !== null && typeof o['data'] === 'object' ? (o['data'] as Record<string, unknown>) : {};
  for (const v of [o['token'], o['Token'], nested['token'], o['access_token']]) if (typeof v === 'string' && v.length > 0) return v;
  return undefined;
}

export function createBa360(options: Ba360Options): Ba360 {
  const upstream = createUpstream({ crm: CRM, baseUrl: options.apiUrl, timeoutMs: options.timeoutMs, retryLimit: options.retryLimit, authHeaders: () => ({}) });
  const mac = (payload: string) => createHmac('sha256', options.linkSecret.reveal()).update(payload).digest('base64url').slice(0, 22);

  const check = (link: Ba360Link): Ba360Link => {
    const channel = acceptedChannel(link.channel);
    if (!channel)
      throw crmRejected(CRM, `channel ${link.channel} is not accepted (${BA360_CHANNELS.join(', ')})`, [
        { path: 'channel', message: 'not an accepted channel' },
      ]);
    if (link.interactionId.length === 0 || link.interactionId.length > MAX_INTERACTION_ID) {
      throw crmRejected(CRM, `the interaction id must be 1-${MAX_INTERACTION_ID} characters`, [
        { path: 'sessionId', message: `at most ${MAX_INTERACTION_ID} characters` },
      ]);
    }
    return { ...link, channel };
  };

  const now = options.now ?? Date.now;
  const linkTtl = options.linkTtlSeconds ?? 7 * 86_400;
  const sign = (link: Ba360Link): string => {
    const expires = Math.ceil((now() / 1000 + linkTtl) / EXPIRY_STEP_S) * EXPIRY_STEP_S;
    const payload = Buffer.from(
      JSON.stringify(compact({ ch: link.channel, i: link.interactionId, c: link.contact, e: link.account, k: link.case, x: expires })),
    ).toString('base64url');
    return `${payload}.${mac(payload)}`;
  };

  const verify = (recordId: string, verifyOptions: { fresh?: boolean } = {}): Ba360Link | undefined => {
    const [payload, signature, extra] = recordId.split('.');
    if (!payload || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(mac(payload));
    const given = Buffer.from(signature);
    if (!constantTimeEqual(expected, given)) return undefined;
    try {
      const l = linkSchema.parse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
      // A link without an expiry (signed before links expired) or past it does not open.
      if (verifyOptions.fresh && (l.x === undefined || l.x * 1000 <= now())) return undefined;
      return compact({ channel: l.ch, interactionId: l.i, contact: l.c, account: l.e, case: l.k });
    } catch {
      return undefined;
    }
  };

  const redirectUrl = (recordId: string) => (options.publicUrl ? `${withoutTrailingSlash(options.publicUrl)}/ba360/open/${recordId}` : undefined);

  // One login per token lifetime, shared by concurrent visits, instead of one per visit.
  const tokenTtlMs = (options.tokenTtlSeconds ?? 300) * 1000;
  let cached: { token: string; until: number } | undefined;
  let pending: Promise<string> | undefined;
  const token = async (): Promise<string> => {
    if (cached && cached.until > now()) return cached.token;
    pending ??= login()
      .then((t) => {
        cached = { token: t, until: now() + tokenTtlMs };
        return t;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };

  const login = async (): Promise<string> => {
    let res: Awaited<ReturnType<typeof upstream.send>>;
    try {
      res = await upstream.send({
        method: 'POST',
        path: 'ba360/apir/v10/login/authexternalsystem',
        json: {
          user: options.user,
          pass: options.password.reveal(),
          company: options.company,
          secretkey: options.secretKey.reveal(),
          clientkey: options.clientKey.reveal(),
        },
        // Obtaining a token changes nothing: safe to repeat.
        idempotent: true,
        anonymous: true,
      });
    } catch (err) {
      // A refused login may come back as 400 as well as 401 (then already mapped): both are configuration.
      if ((err as { status?: number }).status === 400) throw crmAuthFailed(CRM, 400);
      throw err;
    }
    const token = readToken(res.body);
    if (!token) throw crmContractViolation(CRM, 'the login answer carries no token');
    return token;
  };

  const integrationUrl = async (link: Ba360Link): Promise<string> => {
    const checked = check(link);
    const current = await token();
    // Key order as documented; null for what is unknown.
    const params = JSON.stringify({ contacto: checked.contact ?? null, empresa: checked.account ?? null, caso: checked.case ?? null });
    return [
      withoutTrailingSlash(options.instanceUrl),
      'integracionview',
      encodeURIComponent(options.platform),
      encodeURIComponent(checked.channel),
      encodeURIComponent(checked.interactionId),
      encodeURIComponent(params),
      encodeURIComponent(current),
    ].join('/');
  };

  const toRecord = (id: string, link: Ba360Link): CrmRecord => {
    const channel = (Object.entries(options.channelMap) as Array<[Channel, string]>).find(([, v]) => v === link.channel)?.[0];
    return compact({
      id,
      accountId: link.contact !== undefined ? `c:${link.contact}` : link.account !== undefined ? `e:${link.account}` : undefined,
      sessionId: link.interactionId,
      channel,
      status: 'open' as const,
      url: redirectUrl(id),
    });
  };

  const unsupported = (what: string) => () => {
    throw notImplemented(`Be Aware 360 has no documented API to ${what}; agents record it in Be Aware 360 (open the record's url)`);
  };

  const crm: CrmClient = {
    kind: 'ba360',
    async findAccount(q) {
      // Be Aware 360 searches when the agent opens the interaction; the key is the account.
      if (q.phone !== undefined) return { id: `c:${q.phone}`, phone: q.phone, type: 'contacto' };
      if (q.email !== undefined) return { id: `c:${q.email}`, email: q.email, type: 'contacto' };
      if (q.externalId !== undefined) return { id: `e:${q.externalId}`, externalId: q.externalId, type: 'empresa' };
      return undefined;
    },
    async createAccount(input) {
      const found = await crm.findAccount(compact({ phone: input.phone, email: input.email, externalId: input.externalId }));
      if (!found) throw crmRejected(CRM, 'an account needs a phone, email or external id');
      return compact({ ...found, name: input.name });
    },
    updateAccount: unsupported('update accounts'),
    async findRecord(q) {
      if (q.id === undefined) return undefined;
      const link = verify(q.id);
      return link ? toRecord(q.id, link) : undefined;
    },
    async createRecord(input) {
      const key = input.accountId;
      const link = check(
        compact({
          channel: options.channelMap[input.channel] ?? input.channel,
          interactionId: input.sessionId,
          contact: key?.startsWith('c:') ? key.slice(2) : undefined,
          account: key?.startsWith('e:') ? key.slice(2) : undefined,
        }),
      );
      if (key !== undefined && !key.startsWith('c:') && !key.startsWith('e:'))
        throw crmRejected(CRM, `account ${key} is not a Be Aware 360 lookup key (c:… or e:…)`);
      const id = sign(link);
      return compact({ ...toRecord(id, link), channel: input.channel, subject: input.subject, queue: input.queue });
    },
    updateRecord: unsupported('update records (wrap-up)'),
    addComment: unsupported('add comments'),
    addAttachment: unsupported('add attachments'),
  };

  return { crm, sign, verify, integrationUrl, check, redirectUrl };
}
