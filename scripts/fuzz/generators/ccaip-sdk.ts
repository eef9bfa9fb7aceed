/**
 * ccaip-sdk: `GET|POST /token` (the Web SDK's authenticate callback) and `POST /sign` (the
 * mobile SDKs' payload). Valid ID tokens come from the stack's identity provider; hostile
 * ones are wrong in every way an ID token can be; bodies try to smuggle an identity in (it is
 * ignored on /token and left out on /sign; the unit tests check the claims). Each
 * case is its own client (its own X-Forwarded-For address), so the per-client rate limit
 * answers only what a case sends itself. The function writes nothing anywhere.
 */
import { SignJWT } from 'jose';
import type { Category, Expectation, StepBuilder } from '../case';
import { email as emailOf, json, malformedJson, oversizedJson, phone, wrongTypeValue } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';

const TOKEN_GET = 'ccaip-sdk GET /token';
const TOKEN_POST = 'ccaip-sdk POST /token';
const SIGN = 'ccaip-sdk POST /sign';
const MAX_BODY_BYTES = 8 * 1024;

const audienceOf = (ctx: GenContext) => (ctx.target.env['SDK_OIDC_AUDIENCE'] ?? 'ccbridge-local-web').split(',')[0]!;
/** A documentation address (RFC 5737 / 2544 ranges) per case: the rate limit counts per client. */
const clientOf = (ctx: GenContext) => ({ 'x-forwarded-for': `198.18.${Math.floor(ctx.index / 250) % 250}.${(ctx.index % 250) + 1}` });

interface SignedInUser {
  idToken: string;
  pii: string[];
}

async function signedIn(ctx: GenContext, overrides: { audience?: string; expiresInSeconds?: number; issuedAt?: number } = {}): Promise<SignedInUser> {
  const p = phone(ctx.rng, ctx.index).text.replace(/^tel:/, '');
  const mail = emailOf(ctx.rng, ctx.marker);
  const claims = { sub: `${ctx.marker}-${ctx.rng.hex(12)}`, name: `Fuzz ${ctx.marker}`, email: mail, email_verified: true, phone_number: p };
  const idToken = await ctx.target.mintIdToken({ audience: overrides.audience ?? audienceOf(ctx), claims, ...overrides });
  return { idToken, pii: [mail, p] };
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** Authorization values that must all be refused with 401 (guests do not rescue a bad ID token). */
async function hostileAuthorization(ctx: GenContext): Promise<{ what: string; authorization: string }> {
  const { rng } = ctx;
  const good = (await signedIn(ctx)).idToken;
  const [h, p, s] = good.split('.') as [string, string, string];
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  const now = Math.floor(Date.now() / 1000);
  const companySecret = new TextEncoder().encode(ctx.target.env['CCAIP_COMPANY_SECRET'] ?? 'x');
  const variants: Array<() => Promise<[string, string]>> = [
    async () => ['an expired ID token', `Bearer ${(await signedIn(ctx, { issuedAt: now - 7200, expiresInSeconds: 3600 })).idToken}`],
    async () => ['an ID token for another client', `Bearer ${(await signedIn(ctx, { audience: `other-${ctx.marker}` })).idToken}`],
    async () => ['an ID token issued an hour in the future', `Bearer ${(await signedIn(ctx, { issuedAt: now + 3600 })).idToken}`],
    async () => ['a payload swapped under a valid signature', `Bearer ${h}.${b64url({ ...payload, sub: `victim-${ctx.marker}` })}.${s}`],
    async () => ['an unsigned (alg none) token', `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${p}.`],
    async () => [
      'an HS256 token signed with the company secret',
      'Bearer ' +
        (await new SignJWT(payload)
          .setProtectedHeader({ alg: 'HS256', kid: (JSON.parse(Buffer.from(h, 'base64url').toString()) as { kid: string }).kid })
          .sign(companySecret)),
    ],
    async () => ['a truncated signature', `Bearer ${good.slice(0, -6)}`],
    async () => ['random text', `Bearer ${rng.alnum(rng.int(1, 300))}`],
    async () => ['a raw token without "Bearer"', good],
    async () => ['two tokens', `Bearer ${good} ${good}`],
    async () => ['a Basic credential', `Basic ${Buffer.from(`user:${ctx.marker}`).toString('base64')}`],
    async () => ['a 12 000-character token', `Bearer ${'e'.repeat(12_000)}`],
  ];
  const [what, authorization] = await rng.pick(variants)();
  return { what, authorization };
}

const accepted: Expectation = { outcome: 'accepted', status: [200] };

export const ccaipSdkGenerators: Generator[] = [
  {
    name: 'ccaip-sdk/token',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const post = rng.bool();
      // A POST body naming someone else is ignored: the token is the ID token's user's.
      const smuggle = post && rng.bool() ? json({ identifier: `victim-${marker}`, email: `victim.${marker}@example.com`, phone: '+14155550000' }) : undefined;
      return [
        async () => {
          const user = await signedIn(ctx);
          return httpStep({
            endpoint: post ? TOKEN_POST : TOKEN_GET,
            category: 'valid',
            proves: `a valid ID token gets a CCAI Platform token${smuggle ? ' (a body naming another user is ignored)' : ''}`,
            method: post ? 'POST' : 'GET',
            path: '/ccaip-sdk/token',
            headers: { authorization: `Bearer ${user.idToken}`, ...clientOf(ctx), ...(smuggle ? { 'content-type': 'application/json' } : {}) },
            ...(smuggle ? { body: smuggle } : {}),
            expect: accepted,
            pii: user.pii,
            credentials: [user.idToken],
          });
        },
      ];
    },
  },
  {
    name: 'ccaip-sdk/hostile-id-token',
    weight: 4,
    build: (ctx) => [
      async () => {
        const { what, authorization } = await hostileAuthorization(ctx);
        const post = ctx.rng.bool();
        return httpStep({
          endpoint: post ? TOKEN_POST : TOKEN_GET,
          category: 'wrong-signature',
          proves: `${what} is refused with 401, no token`,
          method: post ? 'POST' : 'GET',
          path: '/ccaip-sdk/token',
          headers: { authorization, ...clientOf(ctx) },
          expect: refused([401]),
          credentials: authorization.length > 40 ? [authorization.replace(/^(Bearer|Basic)\s+/, '')] : [],
        });
      },
    ],
  },
  {
    name: 'ccaip-sdk/sign',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const valid = JSON.stringify({ device_token: `${marker}${rng.hex(32)}` });
      const variants: Array<() => { what: string; category: Category; body: Buffer; headers: Record<string, string>; expect: Expectation }> = [
        () => ({
          what: 'an allowed device token',
          category: 'valid',
          body: Buffer.from(valid),
          headers: { 'content-type': 'application/json' },
          expect: accepted,
        }),
        () => ({
          what: 'the payload wrapped in "payload"',
          category: 'valid',
          body: json({ payload: JSON.parse(valid) }),
          headers: { 'content-type': 'application/json' },
          expect: accepted,
        }),
        // Identity keys and fields not allowed are left out (named in the answer), never signed.
        () => {
          const key = rng.pick(['identifier', 'email', 'phone', 'name', 'iss', 'exp']);
          return {
            what: `an identity field (${key}, left out)`,
            category: 'wrong-type',
            body: json({ ...JSON.parse(valid), [key]: `victim-${marker}` }),
            headers: { 'content-type': 'application/json' },
            expect: accepted,
          };
        },
        () => ({
          what: 'a field that is not allowed (left out)',
          category: 'wrong-type',
          body: json({ ...JSON.parse(valid), [`x_${marker}`]: 'admin' }),
          headers: { 'content-type': 'application/json' },
          expect: accepted,
        }),
        () => {
          const wrong = wrongTypeValue(rng, marker);
          return {
            what: `device_token as ${wrong.what}`,
            category: 'wrong-type',
            body: json({ device_token: wrong.value }),
            headers: { 'content-type': 'application/json' },
            expect: refused([400, 413]),
          };
        },
        () => {
          const v = malformedJson(rng, valid);
          return { what: v.what, category: v.category, body: v.body, headers: v.headers, expect: v.intact ? accepted : refused([400, 413, 415]) };
        },
        () => {
          const v = oversizedJson(rng, marker, MAX_BODY_BYTES);
          return { what: v.what, category: 'oversized', body: v.body, headers: v.headers, expect: refused([413]) };
        },
      ];
      return [
        async () => {
          const user = await signedIn(ctx);
          const v = rng.pick(variants)();
          return httpStep({
            endpoint: SIGN,
            category: v.category,
            proves: `a mobile payload with ${v.what} answers ${v.expect.status?.join('/')}; the identity is the ID token's`,
            method: 'POST',
            path: '/ccaip-sdk/sign',
            headers: { authorization: `Bearer ${user.idToken}`, ...clientOf(ctx), ...v.headers },
            body: v.body,
            expect: v.expect,
            pii: user.pii,
            credentials: [user.idToken],
          });
        },
      ];
    },
  },
  {
    name: 'ccaip-sdk/guest',
    weight: 2,
    build: (ctx) => {
      const steps: StepBuilder[] = [
        () =>
          httpStep({
            endpoint: TOKEN_POST,
            category: 'valid',
            proves: 'a visitor without an ID token gets a guest token (guests are on locally)',
            method: 'POST',
            path: '/ccaip-sdk/token',
            headers: clientOf(ctx),
            expect: accepted,
          }),
        (previous) => {
          const guest = (JSON.parse(previous[0]?.body.toString('utf8') || '{}') as { guest?: string }).guest ?? '';
          const tamper = ctx.rng.bool();
          const value = tamper ? `${guest.slice(0, -4)}AAAA` : guest;
          return httpStep({
            endpoint: TOKEN_POST,
            category: tamper ? 'wrong-signature' : 'replayed',
            proves: tamper ? 'a guest value with a broken signature is not believed (a fresh guest instead)' : 'the same guest value again is the same guest',
            method: 'POST',
            path: '/ccaip-sdk/token',
            headers: { 'x-ccaip-guest': value, ...clientOf(ctx) },
            expect: accepted,
          });
        },
      ];
      return steps;
    },
  },
  {
    name: 'ccaip-sdk/foreign-origin',
    weight: 1,
    build: (ctx) => [
      async () => {
        const user = await signedIn(ctx);
        return httpStep({
          endpoint: TOKEN_POST,
          category: 'wrong-signature',
          proves: 'a browser on a site that is not configured gets no token (403)',
          method: 'POST',
          path: '/ccaip-sdk/token',
          headers: { authorization: `Bearer ${user.idToken}`, origin: `https://${ctx.marker}.evil.example`, ...clientOf(ctx) },
          expect: refused([403]),
          pii: user.pii,
          credentials: [user.idToken],
        });
      },
    ],
  },
];
