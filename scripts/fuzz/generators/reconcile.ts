/**
 * reconcile: `POST /` (Cloud Scheduler starts a run), `POST /slices` (its own lane pushes),
 * `GET /runs/:runId` — each behind a Google-signed OIDC token for its URL from an allowed
 * service account. Every request here is one a scheduler would never send: no token, a token
 * wrong in one respect, or a valid token with a request the function must refuse (or, for a
 * lane push, acknowledge unused) before anything runs. None may start a run, write a run
 * document or publish a slice.
 */
import { createSign, generateKeyPairSync } from 'node:crypto';
import { json, malformedJson, truncatedRaw, wrongTypeValue } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';
import { withoutTrailingSlash } from '../../../shared/http/url';

/** Who may call, and for which audience (local/env.ts: RECONCILE_AUDIENCE, RECONCILE_INVOKERS, RECONCILE_PUSH_INVOKERS). */
export function callers(ctx: GenContext): { audience: string; scheduler: string; push: string } {
  const env = ctx.target.env;
  const first = (v: string | undefined, fallback: string) => v?.split(',')[0]?.trim() || fallback;
  return {
    audience: env['RECONCILE_AUDIENCE'] ?? `${withoutTrailingSlash(env['PUBLIC_BASE_URL'] ?? '')}/reconcile`,
    scheduler: first(env['RECONCILE_INVOKERS'], 'reconcile-scheduler@ccbridge-local.iam.gserviceaccount.com'),
    push: first(env['RECONCILE_PUSH_INVOKERS'], 'fn-reconcile@ccbridge-local.iam.gserviceaccount.com'),
  };
}

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** A token signed by a key nobody trusts, with otherwise perfect claims. */
function foreignToken(audience: string, email: string): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
  const now = Math.floor(Date.now() / 1000);
  const head =
    `${b64url({ alg: 'RS256', kid: 'fuzz', typ: 'JWT' })}.` +
    `${b64url({ iss: 'https://accounts.google.com', aud: audience, email, email_verified: true, iat: now, exp: now + 600, sub: '1' })}`;
  return `${head}.${createSign('RSA-SHA256').update(head).sign(privateKey).toString('base64url')}`;
}

const ROUTES: Array<{ endpoint: string; method: string; path: (marker: string) => string; body: boolean }> = [
  { endpoint: 'reconcile POST /', method: 'POST', path: () => '/reconcile/', body: true },
  { endpoint: 'reconcile POST /slices', method: 'POST', path: () => '/reconcile/slices', body: true },
  { endpoint: 'reconcile GET /runs/:runId', method: 'GET', path: (m) => `/reconcile/runs/${m}run`, body: false },
];

export const reconcileGenerators: Generator[] = [
  {
    name: 'reconcile/bad-caller',
    weight: 5,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const { audience, scheduler, push } = callers(ctx);
      const route = rng.pick(ROUTES);
      const rightCaller = route.endpoint === 'reconcile POST /slices' ? push : scheduler;
      const wrongCaller = route.endpoint === 'reconcile POST /slices' ? scheduler : push;
      const now = Math.floor(Date.now() / 1000);
      const mint = (input: Parameters<GenContext['target']['mintOidc']>[0]) => ctx.target.mintOidc(input);
      const variants: Array<[string, () => Promise<string | undefined>, number]> = [
        ['no token', async () => undefined, 401],
        ['a token that is not a JWT', async () => `Bearer ${rng.alnum(60)}`, 401],
        ['a valid token without "Bearer"', async () => mint({ audience, email: rightCaller }), 401],
        ['a token for another audience', async () => `Bearer ${await mint({ audience: `${audience}-other`, email: rightCaller })}`, 401],
        [
          'a token of a service account that may not call it',
          async () => `Bearer ${await mint({ audience, email: `intruder-${marker}@evil.iam.gserviceaccount.com` })}`,
          403,
        ],
        ['a token of the other allowed caller', async () => `Bearer ${await mint({ audience, email: wrongCaller })}`, 403],
        ['an expired token', async () => `Bearer ${await mint({ audience, email: rightCaller, issuedAt: now - 7200, expiresInSeconds: 3600 })}`, 401],
        ['a token from another issuer', async () => `Bearer ${await mint({ audience, email: rightCaller, issuer: 'https://evil.example' })}`, 401],
        ['a token signed by an unknown key', async () => `Bearer ${foreignToken(audience, rightCaller)}`, 401],
        [
          'an unsigned token',
          async () =>
            `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.` +
            `${b64url({ aud: audience, email: rightCaller, iss: 'https://accounts.google.com', exp: now + 600 })}.`,
          401,
        ],
        [
          'an HS256 token',
          async () => `Bearer ${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({ aud: audience, email: rightCaller, exp: now + 600 })}.${rng.alnum(43)}`,
          401,
        ],
        [
          'a token with a header that is not JSON',
          async () => `Bearer ${Buffer.from('{nope').toString('base64url')}.${b64url({ aud: audience })}.${rng.alnum(43)}`,
          401,
        ],
      ];
      const [what, token, status] = rng.pick(variants);
      return [
        async () => {
          const authorization = await token();
          return httpStep({
            endpoint: route.endpoint,
            category: 'wrong-signature',
            proves: `a call with ${what} is refused (${status}) and starts, writes and publishes nothing`,
            method: route.method,
            path: route.path(marker),
            headers: { ...(authorization ? { authorization } : {}), ...(route.body ? { 'content-type': 'application/json' } : {}) },
            ...(route.body ? { body: json({ trigger: 'scheduler', dryRun: true, marker }) } : {}),
            ...(authorization ? { credentials: [authorization.replace(/^Bearer /, '')] } : {}),
            expect: refused([status]),
          });
        },
      ];
    },
  },
  {
    name: 'reconcile/bad-run-request',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const { audience, scheduler } = callers(ctx);
      const wrong = wrongTypeValue(rng, marker);
      const future = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
      const variants: Array<[string, Buffer]> = [
        ['from after to', json({ from: '2026-11-07', to: '2026-11-01', marker })],
        ['dates that are not dates', json({ from: marker, to: 'tomorrow' })],
        ['a window of ten years', json({ from: '2016-01-01', to: '2026-01-01', marker })],
        ['a window in the future', json({ from: future, to: future, marker })],
        ['from without to', json({ from: '2026-11-01', marker })],
        ['from as a number', json({ from: 20261101, to: '2026-11-02', marker })],
        [`to as ${wrong.what}`, json({ from: '2026-11-01', to: wrong.value, marker })],
        ['dryRun as text', json({ dryRun: 'yes', marker })],
        ['a 41-character trigger', json({ trigger: 't'.repeat(41), marker })],
        ['a JSON array', json([{ trigger: 'scheduler', marker }])],
        ['broken JSON', malformedJson(rng, JSON.stringify({ trigger: 'scheduler', marker })).body],
        ['objects nested 2 000 deep', Buffer.from(`${'{"a":'.repeat(2_000)}"${marker}"${'}'.repeat(2_000)}`)],
      ];
      // (Not the other absurd bodies: `{}` or unknown keys are a valid request for yesterday's run.)
      const [what, body] = rng.pick(variants);
      return [
        async () => {
          const token = await ctx.target.mintOidc({ audience, email: scheduler });
          return httpStep({
            endpoint: 'reconcile POST /',
            category: 'wrong-type',
            proves: `a run request from the scheduler with ${what} is refused before a run starts`,
            method: 'POST',
            path: '/reconcile/',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body,
            credentials: [token],
            expect: refused([400, 413]),
          });
        },
      ];
    },
  },
  {
    name: 'reconcile/bad-lane-push',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const { audience, push } = callers(ctx);
      const data = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');
      const variants: Array<[string, unknown]> = [
        ['no message', { subscription: marker }],
        ['data that is not JSON', { message: { data: data(`not json ${marker}`), messageId: marker } }],
        ['data that is not base64', { message: { data: `!!${marker}!!`, messageId: marker } }],
        ['a lane message without a run', { message: { data: data({ lane: 0, step: 0, marker }), messageId: marker } }],
        ['a negative lane', { message: { data: data({ runId: `${marker}run`, lane: -1, step: 0 }), messageId: marker } }],
        ['a run that does not exist', { message: { data: data({ runId: `${marker}run`, lane: 0, step: 0 }), messageId: marker } }],
        ['attributes that are not strings', { message: { data: data({ runId: `${marker}run`, lane: 0, step: 0 }), attributes: { n: 1 }, messageId: marker } }],
        ['data nesting 30 000 levels', { message: { data: data(`${'{"a":'.repeat(30_000)}"${marker}"${'}'.repeat(30_000)}`), messageId: marker } }],
      ];
      const [what, body] = rng.pick(variants);
      return [
        async () => {
          const token = await ctx.target.mintOidc({ audience, email: push });
          return httpStep({
            endpoint: 'reconcile POST /slices',
            category: 'wrong-type',
            proves: `a lane push with ${what} is acknowledged unused (or refused), never retried, and writes nothing`,
            method: 'POST',
            path: '/reconcile/slices',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
            body: json(body),
            credentials: [token],
            expect: { outcome: 'handled' },
          });
        },
      ];
    },
  },
  {
    name: 'reconcile/unknown-run',
    weight: 1,
    build: (ctx) => {
      const { audience, scheduler } = callers(ctx);
      const id = ctx.rng.pick([`${ctx.marker}run`, `${ctx.marker}${'r'.repeat(600)}`, `${ctx.marker}%2F..%2F..`]);
      return [
        async () => {
          const token = await ctx.target.mintOidc({ audience, email: scheduler });
          return httpStep({
            endpoint: 'reconcile GET /runs/:runId',
            category: 'wrong-type',
            proves: 'the report of a run that does not exist is a 404 (or 400 for an id that cannot be one)',
            method: 'GET',
            path: `/reconcile/runs/${id}`,
            headers: { authorization: `Bearer ${token}` },
            credentials: [token],
            expect: refused([400, 404]),
          });
        },
      ];
    },
  },
  {
    name: 'reconcile/truncated',
    weight: 1,
    build: (ctx) => {
      const t = truncatedRaw(ctx.rng, {
        transport: 'http',
        method: 'POST',
        path: '/reconcile/',
        headers: { 'content-type': 'application/json' },
        body: json({ trigger: 'scheduler', marker: ctx.marker }),
      });
      return [
        () => ({
          endpoint: 'reconcile POST /',
          category: 'truncated',
          proves: `a run request sent with ${t.what} starts nothing`,
          request: t.raw,
          expect: { outcome: t.answers === 'none' ? 'cut' : 'rejected', errorShape: 'protocol' },
        }),
      ];
    },
  },
];
