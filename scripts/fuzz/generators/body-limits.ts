/**
 * What must be refused before the Functions Framework reads a body (issue #13, High 1), on
 * every function that takes one: compressed bodies (a gzip bomb, deflate, br, unknown and
 * stacked codings) → 415; a declared Content-Length over the function's limit → 413 without
 * the body being sent; a chunked body growing past the limit → 413 as it crosses it. Each
 * request carries valid credentials (CRM auth, a Zoom signature over the bytes sent), so the
 * limit is the only thing between it and a write — the store check proves none happened.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import type { Expectation, RawRequestSpec } from '../case';
import { json } from './hostile';
import { pushAuthorization } from './interaction-worker';
import { callers } from './reconcile';
import { type GenContext, type Generator, httpStep } from './types';
import { zoomSignature } from './zoom-webhook';

const MIB = 1024 * 1024;

interface Target {
  endpoint: string;
  path: string;
  /** Headers a real caller would send besides the body's (credentials: signatures, the platform's OIDC token). */
  headers: (ctx: GenContext, body: Buffer) => Record<string, string> | Promise<Record<string, string>>;
  /** A valid body of this endpoint, carrying the case's marker. */
  body: (ctx: GenContext) => Buffer;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

const TARGETS: Target[] = [
  {
    endpoint: 'crm POST /accounts',
    path: '/crm/accounts',
    headers: (ctx) => ({ 'x-api-key': ctx.target.credentials.crmApiKey }),
    body: (ctx) => json({ name: `${ctx.marker} Caller`, phone: '+14155550100', externalId: `${ctx.marker}x` }),
  },
  {
    endpoint: 'ui-connector POST /register-app',
    path: '/ui-connector/register-app',
    headers: () => ({}),
    body: (ctx) => json({ accountSid: ctx.target.credentials.twilioAccountSid, authToken: ctx.target.credentials.twilioAuthToken, note: ctx.marker }),
  },
  {
    endpoint: 'zoom-webhook POST /',
    path: '/zoom-webhook/',
    headers: (ctx, body) => {
      const ts = nowSeconds();
      return { 'x-zm-request-timestamp': String(ts), 'x-zm-signature': zoomSignature(ctx.target.credentials.zoomWebhookSecret, ts, body) };
    },
    body: (ctx) =>
      json({
        event: 'contact_center.engagement_note_added',
        event_ts: Date.now(),
        payload: { account_id: ctx.target.credentials.zoomAccountId, object: { engagement_id: `${ctx.marker}e`, note_id: `${ctx.marker}n`, note: 'x' } },
      }),
  },
  {
    // Behind Cloud Run's invoker check (played by the local gateway): the push subscription's token.
    endpoint: 'interaction-worker POST / (Pub/Sub push)',
    path: '/interaction-worker/',
    headers: (ctx) => pushAuthorization(ctx),
    body: (ctx) =>
      json({
        message: { data: Buffer.from(JSON.stringify({ v: 1, key: `${ctx.marker}k` })).toString('base64'), messageId: `${ctx.marker}m`, attributes: {} },
        subscription: 'projects/ccbridge-local/subscriptions/s',
      }),
  },
  {
    endpoint: 'reconcile POST /',
    path: '/reconcile/',
    headers: async (ctx) => {
      const { audience, scheduler } = callers(ctx);
      return { authorization: `Bearer ${await ctx.target.mintOidc({ audience, email: scheduler })}` };
    },
    body: (ctx) => json({ from: '2026-11-01', to: '2026-11-02', note: ctx.marker }),
  },
];

let bomb: Buffer | undefined;
/** ~50 kB of gzip inflating to 48 MiB of `[{},{},…]`: what took a plain Framework server to 1.7 GB. */
function gzipBomb(): Buffer {
  bomb ??= gzipSync(Buffer.from(`[${'{},'.repeat(16 * MIB)}{}]`), { level: 9 });
  return bomb;
}

const refusedWith = (status: number): Expectation => ({ outcome: 'rejected', status: [status], errorShape: 'contract' });

function head(method: string, path: string, headers: Record<string, string>): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`);
}

export const bodyLimitGenerators: Generator[] = [
  {
    name: 'body-limits/compressed',
    weight: 3,
    build: (ctx) => {
      const { rng } = ctx;
      const target = rng.pick(TARGETS);
      const plain = target.body(ctx);
      const variants: Array<[string, string, () => Buffer]> = [
        ['a gzip bomb (50 kB inflating to 48 MiB of empty objects)', 'gzip', gzipBomb],
        ['a valid gzip body', 'gzip', () => gzipSync(plain)],
        ['a valid deflate body', 'deflate', () => deflateSync(plain)],
        ['a valid brotli body', 'br', () => brotliCompressSync(plain)],
        ['zstd', 'zstd', () => plain],
        ['an unknown coding', rng.pick(['x-hostile', 'compress', 'x-gzip', 'br2']), () => plain],
        ['stacked codings', 'gzip, gzip', () => gzipSync(gzipSync(plain))],
        ['identity then gzip', 'identity, gzip', () => gzipSync(plain)],
        ['upper-case GZIP', 'GZIP', () => gzipSync(plain)],
      ];
      const [what, coding, make] = rng.pick(variants);
      const body = make();
      return [
        async () =>
          httpStep({
            endpoint: target.endpoint,
            category: 'malformed',
            proves: `${what} (Content-Encoding: ${coding}) is refused with 415 before anything inflates it, and writes nothing`,
            method: 'POST',
            path: target.path,
            headers: { 'content-type': 'application/json', 'content-encoding': coding, ...(await target.headers(ctx, body)) },
            body,
            expect: refusedWith(415),
          }),
      ];
    },
  },
  {
    name: 'body-limits/declared-oversized',
    weight: 2,
    build: (ctx) => {
      const { rng } = ctx;
      const target = rng.pick(TARGETS);
      const start = target.body(ctx);
      // 2 MiB of JSON is over every function's limit for parsed bodies; the others over every limit.
      const declared = rng.pick([2 * MIB + 1, 40 * MIB, 1024 * MIB, 8 * 1024 * MIB]);
      const type = declared === 2 * MIB + 1 ? 'application/json' : rng.pick(['application/json', 'application/octet-stream', 'text/plain']);
      return [
        async () => ({
          endpoint: target.endpoint,
          category: 'oversized',
          proves: `a body declaring ${declared} bytes of ${type} is refused with 413 before it is sent, and writes nothing`,
          request: {
            transport: 'raw',
            method: 'POST',
            path: target.path,
            // Only the first bytes are ever sent: the answer must come without the rest.
            chunks: [head('POST', target.path, { 'content-type': type, 'content-length': String(declared), ...(await target.headers(ctx, start)) }), start],
            ending: 'wait',
          } satisfies RawRequestSpec,
          expect: refusedWith(413),
        }),
      ];
    },
  },
  {
    name: 'body-limits/chunked-oversized',
    weight: 2,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const target = rng.pick(TARGETS);
      // 64 kB chunks of a JSON array that never closes, past every parsed-body limit (1 MiB at most).
      const chunk = Buffer.from(`{"m":"${marker}"},`.repeat(Math.ceil((64 * 1024) / (marker.length + 10))));
      const count = Math.ceil((1.25 * MIB) / chunk.length) + rng.int(0, 8);
      const frame = (b: Buffer) => Buffer.concat([Buffer.from(`${b.length.toString(16)}\r\n`), b, Buffer.from('\r\n')]);
      return [
        async () => ({
          endpoint: target.endpoint,
          category: 'oversized',
          proves: `a chunked JSON body of ${count} × ${chunk.length} bytes is cut with 413 once it passes the limit, and writes nothing`,
          request: {
            transport: 'raw',
            method: 'POST',
            path: target.path,
            chunks: [
              head('POST', target.path, {
                'content-type': 'application/json',
                'transfer-encoding': 'chunked',
                ...(await target.headers(ctx, Buffer.alloc(0))),
              }),
              frame(Buffer.from('[')),
              ...Array.from({ length: count }, () => frame(chunk)),
              Buffer.from('0\r\n\r\n'),
            ],
            ending: 'wait',
          } satisfies RawRequestSpec,
          expect: refusedWith(413),
        }),
      ];
    },
  },
];
