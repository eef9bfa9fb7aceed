/**
 * call-log: `POST /twilio/status` (Twilio's call status callback, X-Twilio-Signature over the
 * configured public URL), `POST /events` and `POST /sweep` (Google OIDC tokens). Every
 * request here is one Twilio or Google would never send, or a signed callback of a status
 * that makes no log: none may write a call state (its write lease is a field of it) or a CRM record.
 */
import twilio from 'twilio';
import { json, malformedJson, phone } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';
import { withoutTrailingSlash } from '../../../shared/http/url';

const publicUrlOf = (ctx: GenContext) => ctx.target.env['CALL_LOG_PUBLIC_URL'] ?? `${withoutTrailingSlash(ctx.target.env['PUBLIC_BASE_URL'] ?? '')}/call-log`;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A CallSid no other case uses (CA + 32 hex), from the case index. */
const callSidOf = (ctx: GenContext) => `CA${ctx.index.toString(16).padStart(8, '0')}${'f'.repeat(24)}`;

function callback(ctx: GenContext, overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CallSid: callSidOf(ctx),
    AccountSid: ctx.target.credentials.twilioAccountSid,
    CallStatus: 'completed',
    CallDuration: String(ctx.rng.int(0, 3600)),
    From: phone(ctx.rng, ctx.index).text,
    To: '+14155550199',
    Direction: 'inbound',
    CallerName: ctx.marker,
    ...overrides,
  };
}

const form = (params: Record<string, string>) => Buffer.from(new URLSearchParams(params).toString());
const sign = (ctx: GenContext, params: Record<string, string>, url = `${publicUrlOf(ctx)}/twilio/status`, token = ctx.target.credentials.twilioAuthToken) =>
  twilio.getExpectedTwilioSignature(token, url, params);

export const callLogGenerators: Generator[] = [
  {
    name: 'call-log/status-signature',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const params = callback(ctx);
      const variants: Array<[string, string | undefined, Record<string, string>]> = [
        ['no signature', undefined, params],
        ['a signature for another host (spoofed Host cannot help)', sign(ctx, params, `https://evil.example/call-log/twilio/status`), params],
        ['a signature with another auth token', sign(ctx, params, undefined, `${rng.alnum(32)}`), params],
        ['a signature of other parameters (duration changed after signing)', sign(ctx, { ...params, CallDuration: '1' }), params],
        ['a signature of the URL with a query added', sign(ctx, params, `${publicUrlOf(ctx)}/twilio/status?x=${marker}`), params],
        ['random base64', Buffer.from(rng.alnum(20)).toString('base64'), params],
      ];
      const [what, signature, body] = rng.pick(variants);
      return [
        () =>
          httpStep({
            endpoint: 'call-log POST /twilio/status',
            category: 'wrong-signature',
            proves: `a status callback with ${what} is refused (401) and writes nothing`,
            method: 'POST',
            path: '/call-log/twilio/status',
            headers: { ...FORM, ...(signature ? { 'x-twilio-signature': signature } : {}) },
            body: form(body),
            pii: [body['From']!],
            expect: refused([401]),
          }),
      ];
    },
  },
  {
    name: 'call-log/status-body',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const signedForm = (params: Record<string, string>) => ({ headers: { ...FORM, 'x-twilio-signature': sign(ctx, params) }, body: form(params) });
      const variants: Array<[string, 'malformed' | 'wrong-type' | 'oversized', () => { headers: Record<string, string>; body: Buffer }, number[]]> = [
        ['a CallSid that is no call SID', 'wrong-type', () => signedForm(callback(ctx, { CallSid: `CA${marker}` })), [400]],
        ['an unknown CallStatus', 'wrong-type', () => signedForm(callback(ctx, { CallStatus: marker })), [400]],
        ['a negative duration', 'wrong-type', () => signedForm(callback(ctx, { CallDuration: '-5' })), [400]],
        ['no AccountSid', 'malformed', () => signedForm(Object.fromEntries(Object.entries(callback(ctx)).filter(([k]) => k !== 'AccountSid'))), [400]],
        ['a 10 kB From', 'oversized', () => signedForm(callback(ctx, { From: `${marker}${'9'.repeat(10_000)}` })), [400]],
        ['a body past the limit', 'oversized', () => signedForm(callback(ctx, { Padding: `${marker}${'x'.repeat(70_000)}` })), [413]],
        [
          'JSON instead of a form',
          'malformed',
          () => ({ headers: { 'content-type': 'application/json', 'x-twilio-signature': sign(ctx, {}) }, body: json(callback(ctx)) }),
          [415],
        ],
        [
          'broken JSON as text',
          'malformed',
          () => ({ headers: { 'content-type': 'text/plain' }, body: malformedJson(rng, JSON.stringify(callback(ctx))).body }),
          [415],
        ],
      ];
      const [what, category, build, status] = rng.pick(variants);
      return [
        () => {
          const { headers, body } = build();
          return httpStep({
            endpoint: 'call-log POST /twilio/status',
            category,
            proves: `a callback with ${what} is refused (${status.join('/')}) and writes nothing`,
            method: 'POST',
            path: '/call-log/twilio/status',
            headers,
            body,
            expect: refused(status),
          });
        },
      ];
    },
  },
  {
    name: 'call-log/status-not-final',
    weight: 2,
    build: (ctx) => {
      const params = callback(ctx, { CallStatus: ctx.rng.pick(['initiated', 'ringing', 'in-progress', 'queued']) });
      delete params['CallDuration'];
      return [
        () =>
          httpStep({
            endpoint: 'call-log POST /twilio/status',
            category: 'valid',
            proves: `a signed ${params['CallStatus']} callback is acknowledged (204) and makes no log`,
            method: 'POST',
            path: '/call-log/twilio/status',
            headers: { ...FORM, 'x-twilio-signature': sign(ctx, params) },
            body: form(params),
            pii: [params['From']!],
            expect: { outcome: 'accepted', status: [204] },
          }),
      ];
    },
  },
  {
    name: 'call-log/bad-caller',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const audience = ctx.target.env['CALL_LOG_AUDIENCE'] ?? publicUrlOf(ctx);
      const route = rng.pick(['/events', '/sweep']);
      const mint = (email: string, aud = audience) => ctx.target.mintOidc({ audience: aud, email });
      const other = route === '/events' ? ctx.target.env['CALL_LOG_SWEEP_INVOKERS'] : ctx.target.env['CALL_LOG_PUSH_INVOKERS'];
      const variants: Array<[string, () => Promise<string | undefined>, number]> = [
        ['no token', async () => undefined, 401],
        ['a token that is not a JWT', async () => `Bearer ${rng.alnum(60)}`, 401],
        ['a token for another audience', async () => `Bearer ${await mint(other ?? 'x@y', `${audience}-other`)}`, 401],
        ['a token of an account that may not call it', async () => `Bearer ${await mint(`intruder-${marker}@evil.iam.gserviceaccount.com`)}`, 403],
        ["a token of the other endpoint's caller", async () => `Bearer ${await mint(other ?? 'x@y')}`, 403],
      ];
      const [what, token, status] = rng.pick(variants);
      return [
        async () => {
          const authorization = await token();
          return httpStep({
            endpoint: `call-log POST ${route}`,
            category: 'wrong-signature',
            proves: `a call with ${what} is refused (${status}) and writes nothing`,
            method: 'POST',
            path: `/call-log${route}`,
            headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
            body: json({ message: { data: Buffer.from(JSON.stringify({ type: 'conversation.registered', marker })).toString('base64'), messageId: marker } }),
            ...(authorization ? { credentials: [authorization.replace(/^Bearer /, '')] } : {}),
            expect: refused([status]),
          });
        },
      ];
    },
  },
];
