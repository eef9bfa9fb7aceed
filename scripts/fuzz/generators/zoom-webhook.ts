/**
 * zoom-webhook: `POST /` (signed Zoom events) and `GET /artifacts/<engagement>/<artifact>`.
 * Signatures are computed here from Zoom's documented algorithm, not by the code under test.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { Secret } from '../../../shared/config';
import { IAP_ASSERTION_HEADER } from '../../../shared/http/iap-assertion';
import { artifactLinkToken } from '../../../shared/zoom/artifact-link';
import type { Category, Effect, Expectation, StepBuilder } from '../case';
import { absurdJson, json, malformedJson, oversizedJson, phone, truncatedRaw, wrongMediaType, wrongTypeValue } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';

const POST = 'zoom-webhook POST /';
const ARTIFACTS = 'zoom-webhook GET /artifacts/:engagement/:artifact';
const MAX_EVENT_BYTES = 256 * 1024;

export function zoomSignature(secret: string, timestamp: string | number, body: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

interface ZoomEvent {
  body: Buffer;
  event: string;
  pii: string[];
}

/** A plausible Zoom event whose ids carry the case marker. */
function zoomEvent(ctx: GenContext, kind?: string): ZoomEvent {
  const { rng, marker } = ctx;
  const engagement = `${marker}e${rng.alnum(8)}`;
  const caller = phone(rng);
  const kinds: Record<string, () => Record<string, unknown>> = {
    'contact_center.recording_completed': () => ({
      recording_id: `${marker}r${rng.alnum(8)}`,
      engagement_id: engagement,
      download_url: `https://zoom.example/rec/${rng.alnum(12)}?token=${rng.alnum(20)}`,
      recording_duration: rng.int(1, 3600),
      channel_type: 'voice',
      direction: 'inbound',
    }),
    'contact_center.engagement_note_added': () => ({
      engagement_id: engagement,
      note_id: `${marker}n${rng.alnum(6)}`,
      note: `Caller asked to be called back on ${caller.text}`,
    }),
    'contact_center.engagement_disposition_added': () => ({
      engagement_id: engagement,
      disposition_id: `${marker}d${rng.alnum(6)}`,
      disposition_name: 'Resolved',
    }),
    'contact_center.voicemail_transcript_completed': () => ({
      engagement_id: engagement,
      voicemail_id: `${marker}v${rng.alnum(6)}`,
      transcript_url: `https://zoom.example/vm/${rng.alnum(10)}`,
    }),
    'contact_center.fuzz_unknown_event': () => ({ engagement_id: engagement, anything: marker, caller_number: caller.text }),
  };
  const event = kind ?? rng.pick(Object.keys(kinds));
  const object = kinds[event]!();
  const envelope = { event, event_ts: Date.now() + rng.int(0, 1_000_000), payload: { account_id: ctx.target.credentials.zoomAccountId, object } };
  return { body: json(envelope), event, pii: [caller.text] };
}

function signedHeaders(secret: string, body: Buffer, timestamp: string | number = nowSeconds()): Record<string, string> {
  return { 'content-type': 'application/json', 'x-zm-request-timestamp': String(timestamp), 'x-zm-signature': zoomSignature(secret, timestamp, body) };
}

/** What one accepted new event leaves behind: its key document, published, and one message. */
function newEventEffects(signatures: number, duplicates: number): Effect[] {
  return [
    {
      store: 'firestore',
      collection: 'zoomEventKeys',
      count: 1,
      check: (doc) => {
        const sigs = Array.isArray(doc['signatures']) ? doc['signatures'].length : 0;
        if (doc['published'] !== true) return 'the event key is not marked published';
        if (sigs !== signatures) return `the event key lists ${sigs} signatures, expected ${signatures}`;
        if ((doc['duplicates'] ?? 0) !== duplicates) return `the event key counts ${String(doc['duplicates'] ?? 0)} duplicates, expected ${duplicates}`;
        return undefined;
      },
    },
    { store: 'pubsub', topic: 'zoom-events', count: 1 },
  ];
}

const secretOf = (ctx: GenContext) => ctx.target.credentials.zoomWebhookSecret;

export const zoomWebhookGenerators: Generator[] = [
  {
    name: 'zoom-webhook/valid-event',
    weight: 3,
    build: (ctx) => {
      const ev = zoomEvent(ctx);
      return [
        () =>
          httpStep({
            endpoint: POST,
            category: 'valid',
            proves: `a correctly signed ${ev.event} is recorded once and published once`,
            method: 'POST',
            path: '/zoom-webhook/',
            headers: signedHeaders(secretOf(ctx), ev.body),
            body: ev.body,
            pii: ev.pii,
            expect: { outcome: 'accepted', status: [200], effects: newEventEffects(1, 0) },
          }),
      ];
    },
  },
  {
    name: 'zoom-webhook/url-validation',
    weight: 1,
    build: (ctx) => {
      const body = json({ event: 'endpoint.url_validation', event_ts: Date.now(), payload: { plainToken: `${ctx.marker}${ctx.rng.alnum(16)}` } });
      return [
        () =>
          httpStep({
            endpoint: POST,
            category: 'valid',
            proves: 'a signed URL validation is answered and writes nothing',
            method: 'POST',
            path: '/zoom-webhook/',
            headers: signedHeaders(secretOf(ctx), body),
            body,
            expect: { outcome: 'accepted', status: [200] },
          }),
      ];
    },
  },
  {
    name: 'zoom-webhook/exact-replay',
    weight: 3,
    build: (ctx) => {
      const ev = zoomEvent(ctx);
      const headers = signedHeaders(secretOf(ctx), ev.body);
      const replays = ctx.rng.int(1, 3);
      const first: StepBuilder = () =>
        httpStep({
          endpoint: POST,
          category: 'valid',
          proves: 'the original delivery is accepted',
          method: 'POST',
          path: '/zoom-webhook/',
          headers,
          body: ev.body,
          pii: ev.pii,
          expect: { outcome: 'accepted', status: [200], effects: newEventEffects(1, 0) },
        });
      const replay: StepBuilder = () =>
        httpStep({
          endpoint: POST,
          category: 'replayed',
          proves: 'an exact replay (same body, same signature) is refused and records or publishes nothing',
          method: 'POST',
          path: '/zoom-webhook/',
          headers,
          body: ev.body,
          pii: ev.pii,
          expect: refused([401]),
        });
      return [first, ...Array.from({ length: replays }, () => replay)];
    },
  },
  {
    name: 'zoom-webhook/resigned-duplicate',
    weight: 1,
    build: (ctx) => {
      const ev = zoomEvent(ctx);
      const ts = nowSeconds();
      return [
        () =>
          httpStep({
            endpoint: POST,
            category: 'valid',
            proves: 'the original delivery is accepted',
            method: 'POST',
            path: '/zoom-webhook/',
            headers: signedHeaders(secretOf(ctx), ev.body, ts),
            body: ev.body,
            pii: ev.pii,
            expect: { outcome: 'accepted', status: [200], effects: newEventEffects(2, 1) },
          }),
        () =>
          httpStep({
            endpoint: POST,
            category: 'replayed',
            proves: "Zoom's own duplicate (same event, signed again) is acknowledged and not published twice",
            method: 'POST',
            path: '/zoom-webhook/',
            headers: signedHeaders(secretOf(ctx), ev.body, ts - 1),
            body: ev.body,
            pii: ev.pii,
            expect: { outcome: 'accepted', status: [200] },
          }),
      ];
    },
  },
  {
    name: 'zoom-webhook/bad-signature',
    weight: 8,
    build: (ctx) => {
      const { rng } = ctx;
      const ev = zoomEvent(ctx);
      const secret = secretOf(ctx);
      const ts = nowSeconds();
      const good = zoomSignature(secret, ts, ev.body);
      const variants: Array<[string, Record<string, string>, Buffer]> = [
        ['no signature headers', { 'content-type': 'application/json' }, ev.body],
        ['no timestamp', { 'content-type': 'application/json', 'x-zm-signature': good }, ev.body],
        ['no signature', { 'content-type': 'application/json', 'x-zm-request-timestamp': String(ts) }, ev.body],
        ['a signature made with another secret', signedHeaders(`${secret}-wrong`, ev.body, ts), ev.body],
        ['a signature of another timestamp', { ...signedHeaders(secret, ev.body, ts), 'x-zm-request-timestamp': String(ts + 1) }, ev.body],
        // An hour old is a possible Zoom retry of an event not yet published: taken (functions/zoom-webhook/README.md, "Retries").
        ['a timestamp three hours old, past any Zoom retry (correctly signed)', signedHeaders(secret, ev.body, ts - 3 * 3600), ev.body],
        ['a timestamp an hour ahead (correctly signed)', signedHeaders(secret, ev.body, ts + 3600), ev.body],
        ['a timestamp in milliseconds (correctly signed)', signedHeaders(secret, ev.body, Date.now()), ev.body],
        ['a non-numeric timestamp (correctly signed)', signedHeaders(secret, ev.body, `${ts}abc`), ev.body],
        ['a negative timestamp (correctly signed)', signedHeaders(secret, ev.body, -ts), ev.body],
        ['a 40-digit timestamp (correctly signed)', signedHeaders(secret, ev.body, '9'.repeat(40)), ev.body],
        [
          'the body edited after signing',
          { ...signedHeaders(secret, ev.body, ts) },
          Buffer.from(ev.body.toString('utf8').replace(ctx.marker, `${ctx.marker}x`)),
        ],
        [
          'the body re-serialised after signing',
          signedHeaders(secret, ev.body, ts),
          Buffer.from(JSON.stringify(JSON.parse(ev.body.toString('utf8')), null, 2)),
        ],
        ['a signature without the v0= prefix', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': good.slice(3) }, ev.body],
        ['a v1= signature', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': `v1=${good.slice(3)}` }, ev.body],
        ['a truncated signature', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': good.slice(0, 40) }, ev.body],
        ['a signature of random hex', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': `v0=${rng.hex(64)}` }, ev.body],
        ['a signature that is not hex', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': `v0=${'z'.repeat(64)}` }, ev.body],
        ['a 10 000-character signature', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': `v0=${'a'.repeat(10_000)}` }, ev.body],
        ['two signatures joined', { ...signedHeaders(secret, ev.body, ts), 'x-zm-signature': `v0=${rng.hex(64)}, ${good}` }, ev.body],
        ['the signature of an empty body', signedHeaders(secret, Buffer.alloc(0), ts), ev.body],
      ];
      const [what, headers, body] = rng.pick(variants);
      return [
        () =>
          httpStep({
            endpoint: POST,
            category: 'wrong-signature',
            proves: `an event with ${what} is refused (401) before anything is recorded or published`,
            method: 'POST',
            path: '/zoom-webhook/',
            headers,
            body,
            pii: ev.pii,
            expect: refused([401]),
          }),
      ];
    },
  },
  {
    name: 'zoom-webhook/signed-garbage',
    weight: 7,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const secret = secretOf(ctx);
      const ev = zoomEvent(ctx);
      const valid = ev.body.toString('utf8');
      const pick = rng.int(0, 6);
      let what: string;
      let body: Buffer;
      let headers: Record<string, string>;
      let expect: Expectation = refused();
      let category: Category = 'malformed';
      if (pick === 0) {
        const v = malformedJson(rng, valid);
        ({ what, body } = v);
        headers = { ...v.headers };
      } else if (pick === 1) {
        const v = wrongMediaType(rng, valid);
        ({ what, body } = v);
        headers = { ...v.headers };
        // The signature covers the bytes and events are read from them whatever the label says:
        // intact bytes are a valid event unless the Framework refuses the label itself.
        if (v.intact) expect = { outcome: 'handled', effects: newEventEffects(1, 0) };
      } else if (pick === 2) {
        const v = absurdJson(rng, marker);
        ({ what, body } = v);
        headers = { ...v.headers };
        category = 'wrong-type';
        expect = refused([400, 413]);
      } else if (pick === 3) {
        const v = oversizedJson(rng, marker, MAX_EVENT_BYTES);
        ({ what, body } = v);
        headers = { ...v.headers };
        category = 'oversized';
        expect = refused([413]);
      } else if (pick === 4) {
        const envelope = JSON.parse(valid) as Record<string, unknown>;
        const field = rng.pick(['event', 'event_ts', 'payload']);
        const wrong = wrongTypeValue(rng, marker);
        envelope[field] = wrong.value;
        what = `${field} as ${wrong.what}`;
        body = json(envelope);
        headers = { 'content-type': 'application/json' };
        category = 'wrong-type';
        // Envelopes are parsed leniently on purpose (any event name is kept, event_ts is coerced):
        // some of these are valid events; those must then be recorded exactly once.
        expect = { outcome: 'handled', effects: newEventEffects(1, 0) };
      } else if (pick === 5) {
        // A valid envelope whose object nests deep: the key derivation and the publish walk it.
        const depth = rng.pick([100, 5_000, 40_000]);
        what = `an event object nesting ${depth} levels`;
        body = Buffer.from(
          `{"event":"contact_center.${marker}_nested","event_ts":${Date.now()},"payload":{"object":${'{"a":'.repeat(depth)}"${marker}"${'}'.repeat(depth)}}}`,
        );
        headers = { 'content-type': rng.pick(['application/json', 'text/plain']) };
        category = 'wrong-type';
        expect = refused([400]);
      } else {
        const plainToken = rng.pick([undefined, '', 42, 'x'.repeat(2000), { marker }]);
        what = `a URL validation with plainToken ${JSON.stringify(plainToken)?.slice(0, 20) ?? 'missing'}`;
        body = json({ event: 'endpoint.url_validation', event_ts: Date.now(), payload: plainToken === undefined ? { marker } : { plainToken, marker } });
        headers = { 'content-type': 'application/json' };
        category = 'wrong-type';
        expect = refused([400]);
      }
      // Correctly signed: only the body's content is wrong, so the refusal must come from parsing it.
      const ts = nowSeconds();
      headers['x-zm-request-timestamp'] = String(ts);
      headers['x-zm-signature'] = zoomSignature(secret, ts, body);
      return [
        () =>
          httpStep({
            endpoint: POST,
            category,
            proves:
              `a correctly signed body with ${what} is refused before anything is ` +
              `recorded${expect.outcome === 'handled' ? ' (or, where still a valid event, recorded once)' : ''}`,
            method: 'POST',
            path: '/zoom-webhook/',
            headers,
            body,
            pii: ev.pii,
            expect,
          }),
      ];
    },
  },
  {
    name: 'zoom-webhook/truncated',
    weight: 4,
    build: (ctx) => {
      const ev = zoomEvent(ctx);
      const spec = { transport: 'http' as const, method: 'POST', path: '/zoom-webhook/', headers: signedHeaders(secretOf(ctx), ev.body), body: ev.body };
      const t = truncatedRaw(ctx.rng, spec);
      return [
        () => ({
          endpoint: POST,
          category: 'truncated',
          proves: `a signed event sent with ${t.what} records and publishes nothing`,
          request: t.raw,
          pii: ev.pii,
          expect: { outcome: t.answers === 'none' ? 'cut' : 'rejected', errorShape: 'protocol' },
        }),
      ];
    },
  },
  {
    name: 'zoom-webhook/artifact-links',
    weight: 4,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const engagement = `${marker}e${rng.alnum(6)}`;
      const artifact = rng.pick(['recording', 'transcript', `voicemail-${rng.alnum(4)}`]);
      const secret = new Secret(ctx.target.credentials.artifactLinkSecret);
      const good = artifactLinkToken(secret, engagement, artifact);
      const other = artifactLinkToken(secret, `${engagement}x`, artifact);
      // A URL over Node's 16 kB header limit is refused by the HTTP parser (431), before any code of ours.
      const variants: Array<[string, string, number[]]> = [
        ['no token', '', [403]],
        ['an empty token', '?t=', [403]],
        ['a random token', `?t=${rng.alnum(43)}`, [403]],
        ['the token of another engagement', `?t=${other}`, [403]],
        ['a token made with another secret', `?t=${artifactLinkToken(new Secret('another-artifact-link-secret-000'), engagement, artifact)}`, [403]],
        ['a valid token for an artifact that was never stored', `?t=${good}`, [404]],
        ['two tokens', `?t=${rng.alnum(43)}&t=${good}`, [403]],
        ['a 20 000-character token', `?t=${'t'.repeat(20_000)}`, [403, 431]],
      ];
      const [what, query, status] = rng.pick(variants);
      return [
        async () =>
          httpStep({
            endpoint: ARTIFACTS,
            category: status[0] === 404 ? 'valid' : 'wrong-signature',
            proves: `an artifact link with ${what} is refused (${status.join('/')}) and redirects nowhere`,
            method: 'GET',
            path: `/zoom-webhook/artifacts/${encodeURIComponent(engagement)}/${encodeURIComponent(artifact)}${query}`,
            // The stack requires an IAP identity: a genuine one, so only the token decides.
            headers: { [IAP_ASSERTION_HEADER]: await ctx.target.mintIap({ audience: iapAudience(ctx), email: `agent.${rng.alnum(4)}@example.com` }) },
            credentials: [good],
            expect: { ...refused(status), ...(status.includes(431) ? { errorShape: 'protocol' as const } : {}) },
          }),
      ];
    },
  },
  {
    name: 'zoom-webhook/artifact-identity',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const engagement = `${marker}e${rng.alnum(6)}`;
      const artifact = rng.pick(['recording', 'transcript']);
      const good = artifactLinkToken(new Secret(ctx.target.credentials.artifactLinkSecret), engagement, artifact);
      const audience = iapAudience(ctx);
      const agent = `agent.${rng.alnum(4)}@example.com`;
      const now = Math.floor(Date.now() / 1000);
      // A valid link token throughout: the identity alone decides (404: the artifact was never stored).
      const variants: Array<[string, () => Promise<Record<string, string>>, number]> = [
        ['no identity at all', async () => ({}), 401],
        ['a spoofed x-goog-authenticated-user-email', async () => ({ 'x-goog-authenticated-user-email': `accounts.google.com:${agent}` }), 401],
        [
          'both spoofed unsigned identity headers',
          async () => ({ 'x-goog-authenticated-user-email': `accounts.google.com:${agent}`, 'x-goog-authenticated-user-id': 'accounts.google.com:1' }),
          401,
        ],
        ['an assertion signed by a key of its own', async () => ({ [IAP_ASSERTION_HEADER]: await selfSignedAssertion(audience, agent) }), 401],
        ['an unsigned assertion (alg none)', async () => ({ [IAP_ASSERTION_HEADER]: unsignedAssertion(audience, agent) }), 401],
        [
          'a Google ID token instead of an IAP assertion',
          async () => ({ [IAP_ASSERTION_HEADER]: await ctx.target.mintOidc({ audience, email: agent, issuer: 'https://cloud.google.com/iap' }) }),
          401,
        ],
        [
          'an assertion for another audience',
          async () => ({ [IAP_ASSERTION_HEADER]: await ctx.target.mintIap({ audience: '/projects/1/apps/another-app', email: agent }) }),
          401,
        ],
        [
          'an expired assertion',
          async () => ({ [IAP_ASSERTION_HEADER]: await ctx.target.mintIap({ audience, email: agent, issuedAt: now - 7200, expiresInSeconds: 600 }) }),
          401,
        ],
        [
          'an assertion from another issuer',
          async () => ({ [IAP_ASSERTION_HEADER]: await ctx.target.mintIap({ audience, email: agent, issuer: 'https://accounts.google.com' }) }),
          401,
        ],
        [
          'a genuine assertion from a domain not allowed',
          async () => ({ [IAP_ASSERTION_HEADER]: await ctx.target.mintIap({ audience, email: `eve.${rng.alnum(4)}@evil.test` }) }),
          403,
        ],
        [
          'a genuine assertion and a spoofed header naming someone else',
          async () => ({
            [IAP_ASSERTION_HEADER]: await ctx.target.mintIap({ audience, email: agent }),
            'x-goog-authenticated-user-email': 'accounts.google.com:boss@example.com',
          }),
          404,
        ],
      ];
      const [what, headers, status] = rng.pick(variants);
      return [
        async () =>
          httpStep({
            endpoint: ARTIFACTS,
            category: status === 404 ? 'valid' : 'wrong-signature',
            proves: `an artifact link opened with ${what} is answered ${status} and redirects nowhere`,
            method: 'GET',
            path: `/zoom-webhook/artifacts/${encodeURIComponent(engagement)}/${encodeURIComponent(artifact)}?t=${good}`,
            headers: await headers(),
            credentials: [good],
            expect: refused([status]),
          }),
      ];
    },
  },
];

const iapAudience = (ctx: GenContext) => ctx.target.env['ARTIFACT_IAP_AUDIENCE'] ?? '';

async function selfSignedAssertion(audience: string, email: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new SignJWT({ email })
    .setProtectedHeader({ alg: 'ES256', kid: 'fuzz-own-key' })
    .setIssuer('https://cloud.google.com/iap')
    .setAudience(audience)
    .setSubject('accounts.google.com:1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}

function unsignedAssertion(audience: string, email: string): string {
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const iat = Math.floor(Date.now() / 1000);
  return (
    `${b64({ alg: 'none', typ: 'JWT' })}.` +
    `${b64({ iss: 'https://cloud.google.com/iap', aud: audience, email, sub: 'accounts.google.com:1', iat, exp: iat + 300 })}.`
  );
}
