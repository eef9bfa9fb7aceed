/**
 * ui-connector: `POST /register-app`, and `POST`/`GET`/`DELETE /conversation-name` behind
 * the JWT the first one issues. Valid tokens are signed here with the configured key and a
 * role (`twilio` as register-app issues them, `agent` as /register does), hostile ones in
 * every way a JWT can be wrong. Writes are signed as the shipped Twilio Function signs them
 * (the stack runs with the production default: unsigned writes refused); forged signatures
 * include ones Twilio would really make for a foreign host, replayed with that host spoofed.
 */
import { createHash, createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { normalisePhone } from '../../../shared/phone';
import type { Category, Effect, Expectation, StepBuilder } from '../case';
import { absurdJson, json, malformedJson, oversizedJson, phone, truncatedRaw, wrongMediaType, wrongTypeValue } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';
import { withoutTrailingSlash } from '../../../shared/http/url';

const REGISTER = 'ui-connector POST /register-app';
const POST = 'ui-connector POST /conversation-name';
const GET = 'ui-connector GET /conversation-name';
const DELETE = 'ui-connector DELETE /conversation-name';
const MAX_BODY_BYTES = 16 * 1024;

const projectOf = (ctx: GenContext) => ctx.target.env['AGENT_ASSIST_PROJECT'] ?? ctx.target.env['GCP_PROJECT'] ?? 'ccbridge-local';

async function signToken(key: string, claims: Record<string, unknown>, options: { alg?: string; expiresIn?: number; omitExp?: boolean } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT' }).setIssuedAt(now);
  if (!options.omitExp) jwt.setExpirationTime(now + (options.expiresIn ?? 600));
  return jwt.sign(new TextEncoder().encode(key));
}

function validToken(ctx: GenContext, role: 'twilio' | 'agent' = 'twilio'): Promise<string> {
  return signToken(ctx.target.credentials.uiConnectorJwtSecret, {
    gcp_agent_assist_project: projectOf(ctx),
    gcp_agent_assist_user: `${role}:${ctx.marker}`,
    ccbridge_role: role,
  });
}

/** The function's public URL, the one Twilio signs (PUBLIC_BASE_URL + /ui-connector). */
const publicUrlOf = (ctx: GenContext) => `${withoutTrailingSlash(ctx.target.env['PUBLIC_BASE_URL'] ?? '')}/ui-connector`;

/**
 * A request signed as Twilio signs a JSON body: `?bodySHA256=<hex>` added to the path, the
 * full URL under `base` signed. Returns the path to send and the X-Twilio-Signature.
 */
function signJson(
  ctx: GenContext,
  path: string,
  body: Buffer,
  base = publicUrlOf(ctx),
  authToken = ctx.target.credentials.twilioAuthToken,
): { path: string; signature: string } {
  const withHash = `${path}${path.includes('?') ? '&' : '?'}bodySHA256=${createHash('sha256').update(body).digest('hex')}`;
  return { path: `/ui-connector${withHash}`, signature: twilioSignature(authToken, `${base}${withHash}`) };
}

/** base64(HMAC-SHA1(authToken, url + sorted key+value)), Twilio's documented signature. */
function twilioSignature(authToken: string, url: string, params: Array<[string, string]> = []): string {
  const hmac = createHmac('sha1', authToken).update(url);
  for (const [k, v] of [...params].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) hmac.update(k + v);
  return hmac.digest('base64');
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Tokens that must all be refused with 401, each with what is wrong with it. */
async function hostileToken(ctx: GenContext): Promise<{ what: string; authorization: string | undefined }> {
  const { rng } = ctx;
  const key = ctx.target.credentials.uiConnectorJwtSecret;
  const project = projectOf(ctx);
  const good = await validToken(ctx);
  const [h, p] = good.split('.');
  const variants: Array<() => Promise<[string, string | undefined]>> = [
    async () => ['no Authorization header', undefined],
    async () => ['an empty Authorization header', ''],
    async () => ['"Bearer" and nothing else', 'Bearer '],
    async () => ['the text "undefined"', 'undefined'],
    async () => ['random text', rng.alnum(rng.int(1, 300))],
    async () => ['a token signed with another key', await signToken(`${key}-other-key-000000000000`, { gcp_agent_assist_project: project })],
    async () => ['an expired token', await signToken(key, { gcp_agent_assist_project: project }, { expiresIn: -3600 })],
    async () => ['a token without exp', await signToken(key, { gcp_agent_assist_project: project }, { omitExp: true })],
    async () => ['a token for another project', await signToken(key, { gcp_agent_assist_project: `${project}-other` })],
    async () => ['a token without a project', await signToken(key, { gcp_agent_assist_user: 'x' })],
    async () => ['a token whose project is a number', await signToken(key, { gcp_agent_assist_project: 42 })],
    async () => ['an HS512 token', await signToken(key, { gcp_agent_assist_project: project }, { alg: 'HS512' })],
    async () => ['an unsigned (alg none) token', `${b64url({ alg: 'none', typ: 'JWT' })}.${p}.`],
    async () => [
      'a payload swapped under a valid signature',
      `${h}.${b64url({ gcp_agent_assist_project: project, exp: 9_999_999_999, admin: true })}.${good.split('.')[2]}`,
    ],
    async () => ['a truncated signature', good.slice(0, -6)],
    async () => ['a token with a fourth part', `${good}.AAAA`],
    async () => ['two tokens', `Bearer ${good} ${good}`],
    async () => ['a header that is not JSON', `${Buffer.from('{not json').toString('base64url')}.${p}.${good.split('.')[2]}`],
    async () => [
      'a Basic credential',
      `Basic ${Buffer.from(`${ctx.target.credentials.twilioAccountSid}:${ctx.target.credentials.twilioAuthToken}`).toString('base64')}`,
    ],
    async () => ['a 12 000-character token', `Bearer ${'e'.repeat(12_000)}`],
  ];
  const [what, authorization] = await rng.pick(variants)();
  return { what, authorization };
}

function conversationName(ctx: GenContext, callerE164?: string): string {
  const { rng, marker } = ctx;
  // Conversation IDs as Dialogflow accepts them ([a-zA-Z][a-zA-Z0-9_-]*, 3-64): the seed's TW-<phone>-<CallSid> without the "+".
  const id = callerE164 && rng.bool(0.3) ? `TW-${callerE164.replace('+', '')}-${marker}CA${rng.hex(16)}` : `${marker}CA${rng.hex(30)}`;
  return rng.bool() ? `projects/${projectOf(ctx)}/locations/global/conversations/${id}` : `projects/${projectOf(ctx)}/conversations/${id}`;
}

/** The caller key: a phone number in some spelling, or an opaque key. */
function integrationKey(ctx: GenContext): { key: string; e164: string | undefined; pii: string[] } {
  if (ctx.rng.bool(0.25)) return { key: `${ctx.marker}key-${ctx.rng.alnum(10)}`, e164: undefined, pii: [] };
  const p = phone(ctx.rng, ctx.index);
  const text = p.text.replace(/^tel:/, '');
  return { key: text, e164: normalisePhone(text, { defaultCountry: 'US' }), pii: [text] };
}

/** The query as the agent desktop writes it: E.164 keys often with a bare "+" (which arrives as a space). */
function keyQuery(ctx: GenContext, key: string): string {
  const raw = /^\+\d+$/.test(key) && ctx.rng.bool() ? key : encodeURIComponent(key);
  return `?conversationIntegrationKey=${raw}`;
}

const registeredEffects = (docs: number): Effect[] => [
  { store: 'firestore', collection: 'conversations', count: docs },
  { store: 'pubsub', topic: 'conversation-events', count: 1 },
];

const authHeaders = (authorization: string | undefined, extra: Record<string, string> = {}) => ({
  ...(authorization === undefined ? {} : { authorization }),
  ...extra,
});

export const uiConnectorGenerators: Generator[] = [
  {
    name: 'ui-connector/register-app',
    weight: 5,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const { twilioAccountSid: sid, twilioAuthToken: token } = ctx.target.credentials;
      const form = rng.bool(0.3);
      const variants: Array<[string, Record<string, unknown>, Category, Expectation]> = [
        ['the configured account and its token', { accountSid: sid, authToken: token }, 'valid', { outcome: 'accepted', status: [200] }],
        ['a wrong auth token', { accountSid: sid, authToken: `${token.slice(0, -4)}beef` }, 'wrong-signature', refused([401])],
        ['an account that is not configured', { accountSid: `AC${rng.hex(32)}`, authToken: token }, 'wrong-signature', refused([401])],
        ['an account SID that is not one', { accountSid: `${marker}AC`, authToken: token }, 'wrong-type', refused([400])],
        ['no auth token', { accountSid: sid }, 'wrong-type', refused([400])],
        ['placeholders', { accountSid: 'undefined', authToken: 'null' }, 'wrong-type', refused([400])],
        ['an empty body', {}, 'wrong-type', refused([400])],
      ];
      const pick = rng.int(0, 9);
      if (pick < variants.length) {
        const [what, body, category, expect] = variants[pick]!;
        const encoded = form ? Buffer.from(new URLSearchParams(Object.entries(body).map(([k, v]) => [k, String(v)])).toString()) : json(body);
        return [
          () =>
            httpStep({
              endpoint: REGISTER,
              category,
              proves: `register-app with ${what} (${form ? 'form' : 'JSON'}) answers ${expect.status?.join('/') ?? 'as expected'} and writes nothing`,
              method: 'POST',
              path: '/ui-connector/register-app',
              headers: { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' },
              body: encoded,
              expect,
            }),
        ];
      }
      const field = rng.pick(['accountSid', 'authToken']);
      const wrong = wrongTypeValue(rng, marker);
      const body = { accountSid: sid, authToken: token, [field]: wrong.value };
      return [
        () =>
          httpStep({
            endpoint: REGISTER,
            category: 'wrong-type',
            proves: `register-app with ${field} as ${wrong.what} is refused and writes nothing`,
            method: 'POST',
            path: '/ui-connector/register-app',
            headers: { 'content-type': 'application/json' },
            body: json(body),
            // Numbers are accepted as text on purpose (the reference's clients send them): a numeric token then fails at Twilio.
            expect: refused(field === 'authToken' ? [400, 401, 413] : [400, 413]),
          }),
      ];
    },
  },
  {
    name: 'ui-connector/lifecycle',
    weight: 5,
    build: (ctx) => {
      const { rng } = ctx;
      const k = integrationKey(ctx);
      const name = conversationName(ctx, k.e164);
      const body = json({ conversationIntegrationKey: k.key, conversationName: name });
      let token = '';
      let agent = '';
      /** A DELETE as Twilio sends it: the signature is over the exact query sent. */
      const signedDelete = (): { path: string; headers: Record<string, string> } => {
        const path = `/conversation-name${keyQuery(ctx, k.key)}`;
        return {
          path: `/ui-connector${path}`,
          headers: authHeaders(token, { 'x-twilio-signature': twilioSignature(ctx.target.credentials.twilioAuthToken, `${publicUrlOf(ctx)}${path}`) }),
        };
      };
      const steps: StepBuilder[] = [
        async () => {
          token = await validToken(ctx);
          agent = await validToken(ctx, 'agent');
          const signed = signJson(ctx, '/conversation-name', body);
          return httpStep({
            endpoint: POST,
            category: 'valid',
            proves: 'a signed registration with a twilio token is stored once and announced once',
            method: 'POST',
            path: signed.path,
            headers: authHeaders(rng.bool() ? `Bearer ${token}` : token, { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }),
            body,
            pii: k.pii,
            credentials: [token],
            expect: { outcome: 'accepted', status: [200], effects: registeredEffects(1) },
          });
        },
        () =>
          httpStep({
            endpoint: GET,
            category: 'valid',
            proves: 'the registered name is read back with an agent token',
            method: 'GET',
            path: `/ui-connector/conversation-name${keyQuery(ctx, k.key)}`,
            headers: authHeaders(agent),
            pii: k.pii,
            expect: { outcome: 'accepted', status: [200] },
          }),
      ];
      if (rng.bool(0.4)) {
        steps.push(() => {
          const signed = signJson(ctx, '/conversation-name', body);
          return httpStep({
            endpoint: POST,
            category: 'replayed',
            proves: 'the same signed registration repeated leaves one mapping and is announced again',
            method: 'POST',
            path: signed.path,
            headers: authHeaders(token, { 'content-type': 'application/json', 'x-twilio-signature': signed.signature }),
            body,
            pii: k.pii,
            expect: { outcome: 'accepted', status: [200], effects: registeredEffects(1) },
          });
        });
      }
      if (rng.bool(0.6)) {
        steps.push(
          () =>
            httpStep({
              endpoint: DELETE,
              category: 'valid',
              proves: 'Twilio (its token, the request signed) deletes the mapping',
              method: 'DELETE',
              ...signedDelete(),
              pii: k.pii,
              expect: { outcome: 'accepted', status: [200], effects: [{ store: 'firestore', collection: 'conversations', count: 0 }] },
            }),
          () =>
            httpStep({
              endpoint: GET,
              category: 'valid',
              proves: 'a deleted mapping is not found',
              method: 'GET',
              path: `/ui-connector/conversation-name${keyQuery(ctx, k.key)}`,
              headers: authHeaders(agent),
              pii: k.pii,
              expect: refused([404]),
            }),
          () =>
            httpStep({
              endpoint: DELETE,
              category: 'replayed',
              proves: 'a repeated delete is a 404 and changes nothing',
              method: 'DELETE',
              ...signedDelete(),
              pii: k.pii,
              expect: refused([404]),
            }),
        );
      }
      return steps;
    },
  },
  {
    name: 'ui-connector/bad-token',
    weight: 8,
    build: (ctx) => {
      const { rng } = ctx;
      const k = integrationKey(ctx);
      const method = rng.pick(['POST', 'GET', 'DELETE']);
      return [
        async () => {
          const t = await hostileToken(ctx);
          const over = (t.authorization?.length ?? 0) > 10_000;
          const body = method === 'POST' ? json({ conversationIntegrationKey: k.key, conversationName: conversationName(ctx, k.e164) }) : undefined;
          // Signed as Twilio would sign it, so the token is what is judged.
          const signed = body ? signJson(ctx, '/conversation-name', body) : undefined;
          const path = signed ? signed.path : `/ui-connector/conversation-name${keyQuery(ctx, k.key)}`;
          const signature = signed
            ? signed.signature
            : twilioSignature(ctx.target.credentials.twilioAuthToken, `${publicUrlOf(ctx)}${path.slice('/ui-connector'.length)}`);
          return httpStep({
            endpoint: method === 'POST' ? POST : method === 'GET' ? GET : DELETE,
            category: 'wrong-signature',
            proves: `${method} /conversation-name with ${t.what} is refused (401) and writes nothing`,
            method,
            path,
            headers: authHeaders(t.authorization, { ...(method === 'POST' ? { 'content-type': 'application/json' } : {}), 'x-twilio-signature': signature }),
            ...(body ? { body } : {}),
            pii: k.pii,
            ...(t.authorization ? { credentials: [t.authorization.replace(/^Bearer /, '')] } : {}),
            expect: { ...refused(over ? [401, 431] : [401]), ...(over ? { errorShape: 'protocol' as const } : {}) },
          });
        },
      ];
    },
  },
  {
    name: 'ui-connector/wrong-role',
    weight: 3,
    build: (ctx) => {
      const { rng } = ctx;
      const k = integrationKey(ctx);
      return [
        async () => {
          const pick = rng.int(0, 3);
          if (pick === 0) {
            // An agent token (any Salesforce user's) must not rewrite which conversation a caller belongs to, even signed.
            const token = await validToken(ctx, 'agent');
            const body = json({ conversationIntegrationKey: k.key, conversationName: conversationName(ctx, k.e164) });
            const signed = signJson(ctx, '/conversation-name', body);
            return httpStep({
              endpoint: POST,
              category: 'wrong-signature',
              proves: 'a signed registration with an agent token is refused (403) and writes nothing',
              method: 'POST',
              path: signed.path,
              headers: { 'content-type': 'application/json', authorization: token, 'x-twilio-signature': signed.signature },
              body,
              pii: k.pii,
              credentials: [token],
              expect: refused([403]),
            });
          }
          if (pick === 1) {
            const token = await validToken(ctx);
            const body = json({ conversationIntegrationKey: k.key, conversationName: conversationName(ctx, k.e164) });
            return httpStep({
              endpoint: POST,
              category: 'wrong-signature',
              proves: 'an unsigned registration with a valid twilio token is refused (401: unsigned writes are off) and writes nothing',
              method: 'POST',
              path: '/ui-connector/conversation-name',
              headers: { 'content-type': 'application/json', authorization: token },
              body,
              pii: k.pii,
              credentials: [token],
              expect: refused([401]),
            });
          }
          const token = await validToken(ctx, pick === 2 ? 'agent' : 'twilio');
          const method = pick === 2 ? 'DELETE' : 'GET';
          return httpStep({
            endpoint: method === 'GET' ? GET : DELETE,
            category: 'wrong-signature',
            proves: `${method} /conversation-name with a ${pick === 2 ? 'agent' : 'twilio'} token is refused (403) and changes nothing`,
            method,
            path: `/ui-connector/conversation-name${keyQuery(ctx, k.key)}`,
            headers: { authorization: token },
            pii: k.pii,
            credentials: [token],
            expect: refused([403]),
          });
        },
      ];
    },
  },
  {
    name: 'ui-connector/bad-body',
    weight: 8,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const k = integrationKey(ctx);
      const valid = JSON.stringify({ conversationIntegrationKey: k.key, conversationName: conversationName(ctx, k.e164) });
      return [
        async () => {
          const token = await validToken(ctx);
          const pick = rng.int(0, 5);
          let what: string;
          let body: Buffer;
          let headers: Record<string, string> = {};
          let category: Category = 'malformed';
          let expect: Expectation = refused();
          if (pick === 0) {
            const v = malformedJson(rng, valid);
            ({ what, body } = v);
            headers = v.headers;
          } else if (pick === 1) {
            const v = wrongMediaType(rng, valid);
            ({ what, body } = v);
            headers = v.headers;
            if (v.mayBeAccepted) expect = { outcome: 'handled', effects: registeredEffects(1) };
          } else if (pick === 2) {
            const v = absurdJson(rng, marker);
            ({ what, body } = v);
            headers = v.headers;
            category = 'wrong-type';
            expect = refused([400, 413]);
          } else if (pick === 3) {
            const v = oversizedJson(rng, marker, MAX_BODY_BYTES);
            ({ what, body } = v);
            headers = v.headers;
            category = 'oversized';
            expect = refused([413]);
          } else {
            const field = rng.pick(['conversationIntegrationKey', 'conversationName']);
            const wrong = wrongTypeValue(rng, marker);
            const parsed = JSON.parse(valid) as Record<string, unknown>;
            parsed[field] = wrong.value;
            what = `${field} as ${wrong.what}`;
            body = json(parsed);
            headers = { 'content-type': 'application/json' };
            category = 'wrong-type';
            // A number is taken as a key on purpose (the reference's clients send numbers as text).
            expect = field === 'conversationIntegrationKey' ? { outcome: 'handled', effects: registeredEffects(1) } : refused([400, 413]);
          }
          const signed = signJson(ctx, '/conversation-name', body);
          return httpStep({
            endpoint: POST,
            category,
            proves: `a signed registration with ${what} and a valid token is refused before anything is stored or published`,
            method: 'POST',
            path: signed.path,
            headers: { ...headers, authorization: token, 'x-twilio-signature': signed.signature },
            body,
            pii: k.pii,
            credentials: [token],
            expect,
          });
        },
      ];
    },
  },
  {
    name: 'ui-connector/bad-query',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const method = rng.pick(['GET', 'DELETE']);
      const variants: Array<[string, string, number[]]> = [
        ['no key', '', [400]],
        ['an empty key', '?conversationIntegrationKey=', [400]],
        ['a blank key', '?conversationIntegrationKey=%20%20', [400]],
        ['the key "undefined"', '?conversationIntegrationKey=undefined', [400]],
        ['a 300-character key', `?conversationIntegrationKey=${marker}${'k'.repeat(300)}`, [400]],
        ['a key that was never registered', `?conversationIntegrationKey=${marker}never`, [404]],
        ['an invalid percent-encoding', `?conversationIntegrationKey=%E0%A4%A${marker}`, [400, 404]],
        ['the key twice', `?conversationIntegrationKey=${marker}a&conversationIntegrationKey=${marker}b`, [404]],
        ['a key as an array', `?conversationIntegrationKey[]=${marker}`, [400]],
      ];
      const [what, query, status] = rng.pick(variants);
      return [
        async () => {
          // GET as the agent desktop; DELETE as Twilio, signed.
          const token = await validToken(ctx, method === 'GET' ? 'agent' : 'twilio');
          const signature = twilioSignature(ctx.target.credentials.twilioAuthToken, `${publicUrlOf(ctx)}/conversation-name${query}`);
          return httpStep({
            endpoint: method === 'GET' ? GET : DELETE,
            category: 'wrong-type',
            proves: `${method} /conversation-name with ${what} answers ${status.join('/')} and changes nothing`,
            method,
            path: `/ui-connector/conversation-name${query}`,
            headers: { authorization: token, ...(method === 'DELETE' ? { 'x-twilio-signature': signature } : {}) },
            credentials: [token],
            expect: refused(status),
          });
        },
      ];
    },
  },
  {
    name: 'ui-connector/twilio-signature',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const { twilioAccountSid: sid, twilioAuthToken: token } = ctx.target.credentials;
      // The URL Twilio called: the function's public URL (PUBLIC_BASE_URL + /ui-connector) and the path.
      const publicUrl = `${publicUrlOf(ctx)}/register-app`;
      const params: Array<[string, string]> = [
        ['accountSid', sid],
        ['authToken', token],
      ];
      const form = Buffer.from(new URLSearchParams(params).toString());
      const jsonBody = json({ accountSid: sid, authToken: token });
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };
      const jsonHeaders = { 'content-type': 'application/json' };
      const variants: Array<[string, string, Record<string, string>, Buffer, Expectation]> = [
        [
          'a valid form signature',
          '',
          { ...formHeaders, 'x-twilio-signature': twilioSignature(token, publicUrl, params) },
          form,
          { outcome: 'accepted', status: [200] },
        ],
        [
          'a valid JSON signature (bodySHA256)',
          `?bodySHA256=${sha(jsonBody)}`,
          { ...jsonHeaders, 'x-twilio-signature': twilioSignature(token, `${publicUrl}?bodySHA256=${sha(jsonBody)}`) },
          jsonBody,
          { outcome: 'accepted', status: [200] },
        ],
        [
          'a form signature over other parameters',
          '',
          { ...formHeaders, 'x-twilio-signature': twilioSignature(token, publicUrl, [...params, ['extra', marker]]) },
          form,
          refused([401]),
        ],
        [
          'a form signature made with another token',
          '',
          { ...formHeaders, 'x-twilio-signature': twilioSignature(`${token}0`, publicUrl, params) },
          form,
          refused([401]),
        ],
        [
          'a form signature for another URL',
          '',
          { ...formHeaders, 'x-twilio-signature': twilioSignature(token, `${publicUrl}x`, params) },
          form,
          refused([401]),
        ],
        [
          'a JSON body that does not match its signed bodySHA256',
          `?bodySHA256=${sha(json({ other: marker }))}`,
          { ...jsonHeaders, 'x-twilio-signature': twilioSignature(token, `${publicUrl}?bodySHA256=${sha(json({ other: marker }))}`) },
          jsonBody,
          refused([401]),
        ],
        ['a random signature', '', { ...formHeaders, 'x-twilio-signature': Buffer.from(rng.bytes(20)).toString('base64') }, form, refused([401])],
        ['a signature that is not base64', '', { ...formHeaders, 'x-twilio-signature': `not base64 ${marker}` }, form, refused([401])],
        ['a 5 000-character signature', '', { ...formHeaders, 'x-twilio-signature': 'a'.repeat(5000) }, form, refused([401])],
        // An empty header counts as unsigned; register-app with the auth token in the body may be unsigned (reads-only).
        ['an empty signature (unsigned)', '', { ...formHeaders, 'x-twilio-signature': '' }, form, { outcome: 'accepted', status: [200] }],
      ];
      const [what, query, headers, body, expect] = rng.pick(variants);
      return [
        () =>
          httpStep({
            endpoint: REGISTER,
            category: expect.outcome === 'accepted' ? 'valid' : 'wrong-signature',
            proves: `register-app with ${what} is ${expect.outcome === 'accepted' ? 'accepted' : 'refused (401)'} and writes nothing`,
            method: 'POST',
            path: `/ui-connector/register-app${query}`,
            headers,
            body,
            expect,
          }),
      ];
    },
  },
  {
    name: 'ui-connector/foreign-host-signature',
    weight: 4,
    build: (ctx) => {
      const { rng } = ctx;
      const k = integrationKey(ctx);
      // What anyone can get from Twilio: a genuine signature, made with the real auth token, for a URL on
      // their own host (a Studio flow or Function pointed at it). Replayed to us with that host spoofed.
      const foreignBase = rng.pick([
        'https://evil.example/ui-connector',
        'https://evil.example',
        `https://${ctx.marker.toLowerCase()}.evil.example/ui-connector`,
      ]);
      const foreignHost = new URL(foreignBase).host;
      const spoof = rng.pick<Record<string, string>>([
        { 'x-forwarded-proto': 'https', 'x-forwarded-host': foreignHost },
        { 'x-forwarded-proto': 'https', 'x-forwarded-host': `${foreignHost}, ${foreignHost}` },
        { host: foreignHost },
        { 'x-forwarded-proto': 'https', 'x-forwarded-host': foreignHost, host: foreignHost, forwarded: `host=${foreignHost};proto=https` },
      ]);
      return [
        async () => {
          const token = await validToken(ctx);
          const body = json({ conversationIntegrationKey: k.key, conversationName: conversationName(ctx, k.e164) });
          const write = rng.bool(0.7);
          if (write) {
            const signed = signJson(ctx, '/conversation-name', body, foreignBase);
            return httpStep({
              endpoint: POST,
              category: 'wrong-signature',
              proves:
                `a registration signed by Twilio for ${foreignBase}, sent with ` +
                `${Object.keys(spoof).join('+')} spoofed, is refused (401) and writes nothing`,
              method: 'POST',
              path: signed.path,
              headers: { 'content-type': 'application/json', authorization: token, 'x-twilio-signature': signed.signature, ...spoof },
              body,
              pii: k.pii,
              credentials: [token],
              expect: refused([401]),
            });
          }
          const path = `/conversation-name${keyQuery(ctx, k.key)}`;
          return httpStep({
            endpoint: DELETE,
            category: 'wrong-signature',
            proves: `a delete signed by Twilio for ${foreignBase}, sent with ${Object.keys(spoof).join('+')} spoofed, is refused (401) and deletes nothing`,
            method: 'DELETE',
            path: `/ui-connector${path}`,
            headers: { authorization: token, 'x-twilio-signature': twilioSignature(ctx.target.credentials.twilioAuthToken, `${foreignBase}${path}`), ...spoof },
            pii: k.pii,
            credentials: [token],
            expect: refused([401]),
          });
        },
      ];
    },
  },
  {
    name: 'ui-connector/truncated',
    weight: 3,
    build: (ctx) => {
      const k = integrationKey(ctx);
      return [
        async () => {
          const token = await validToken(ctx);
          const body = json({ conversationIntegrationKey: k.key, conversationName: conversationName(ctx, k.e164) });
          const t = truncatedRaw(ctx.rng, {
            transport: 'http',
            method: 'POST',
            path: '/ui-connector/conversation-name',
            headers: { 'content-type': 'application/json', authorization: token },
            body,
          });
          return {
            endpoint: POST,
            category: 'truncated',
            proves: `a registration sent with ${t.what} stores and publishes nothing`,
            request: t.raw,
            pii: k.pii,
            credentials: [token],
            expect: { outcome: t.answers === 'none' ? 'cut' : 'rejected', errorShape: 'protocol' },
          };
        },
      ];
    },
  },
];
