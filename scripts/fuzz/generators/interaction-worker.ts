/**
 * interaction-worker's input: Pub/Sub pushes as the zoom-events push subscription delivers them
 * (the wrapped JSON body, with an ID token of the subscription's account, which the gateway
 * checks as Cloud Run does), sent straight to the function through the gateway. A message that can never be
 * processed must be acknowledged (2xx) or refused (4xx), never answered 5xx — Pub/Sub would
 * redeliver it for days — and must write nothing. Only malformed messages are sent: a
 * well-formed event would do real work (ledger, storage, CRM), which the chaos run covers.
 */
import type { Expectation } from '../case';
import { json, malformedJson, truncatedRaw } from './hostile';
import { type GenContext, type Generator, httpStep } from './types';

const ENDPOINT = 'interaction-worker POST / (Pub/Sub push)';
/** The push subscription's identity (local/env.ts localServiceAccounts.pubsubPush). */
const PUSH_IDENTITY = 'pubsub-push@ccbridge-local.iam.gserviceaccount.com';

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64');

/** What a push request carries; now and then the CloudEvent headers Eventarc would add (ignored). */
function pushHeaders(ctx: GenContext, id: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...(ctx.rng.bool(0.2) ? { 'ce-id': id, 'ce-specversion': '1.0', 'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished' } : {}),
  };
}

/** The bearer token Pub/Sub attaches (OIDC, audience = the function's URL). */
export async function pushAuthorization(ctx: GenContext): Promise<Record<string, string>> {
  const audience = `${ctx.target.env['PUBLIC_BASE_URL'] ?? ''}/interaction-worker`;
  return { authorization: `Bearer ${await ctx.target.mintOidc({ audience, email: PUSH_IDENTITY })}` };
}

/** Queued Zoom events that cannot be processed, each with why. */
function hostileQueuedEvent(ctx: GenContext): { what: string; data: unknown } {
  const { rng, marker } = ctx;
  const engagement = `${marker}e${rng.alnum(6)}`;
  const base = { v: 1, key: `${marker}k`, source: 'webhook', receivedAt: new Date().toISOString() };
  const variants: Array<[string, unknown]> = [
    [
      'a message of version 2',
      { ...base, v: 2, envelope: { event: 'contact_center.engagement_note_added', payload: { object: { engagement_id: engagement, note_id: 'n' } } } },
    ],
    ['no envelope', base],
    ['an envelope without an event', { ...base, envelope: { payload: { object: { engagement_id: engagement } } } }],
    ['a source that is neither webhook nor reconcile', { ...base, source: 'attacker', envelope: { event: 'contact_center.recording_completed' } }],
    [
      'a recording event without a recording id',
      { ...base, envelope: { event: 'contact_center.recording_completed', event_ts: Date.now(), payload: { object: { engagement_id: engagement } } } },
    ],
    [
      'a note event without an engagement',
      { ...base, envelope: { event: 'contact_center.engagement_note_added', event_ts: Date.now(), payload: { object: { note_id: marker, note: 'x' } } } },
    ],
    [
      'a disposition with an object id',
      {
        ...base,
        envelope: {
          event: 'contact_center.engagement_disposition_added',
          event_ts: Date.now(),
          payload: { object: { engagement_id: { marker }, disposition_id: [] } },
        },
      },
    ],
    [
      'a download URL that is not a URL',
      {
        ...base,
        envelope: {
          event: 'contact_center.recording_completed',
          event_ts: Date.now(),
          payload: { object: { engagement_id: engagement, recording_id: `${marker}r`, download_url: 'not a url' } },
        },
      },
    ],
    // Out of the Date range (±8.64e15 ms): an event time that cannot be a date.
    [
      'an event time beyond the last representable date',
      {
        ...base,
        envelope: {
          event: 'contact_center.engagement_note_added',
          event_ts: 9_000_000_000_000_000,
          payload: { object: { engagement_id: engagement, note_id: `${marker}n`, note: 'x' } },
        },
      },
    ],
    [
      'no event time and a receivedAt that is not a time',
      {
        ...base,
        receivedAt: `${marker}-not-a-time`,
        envelope: { event: 'contact_center.engagement_disposition_added', payload: { object: { engagement_id: engagement, disposition_id: `${marker}d` } } },
      },
    ],
    [
      'an unknown event type (no work)',
      { ...base, envelope: { event: `contact_center.${marker}_unknown`, payload: { object: { engagement_id: engagement } } } },
    ],
  ];
  const [what, data] = rng.pick(variants);
  return { what, data };
}

const HANDLED: Expectation = { outcome: 'handled' };

export const interactionWorkerGenerators: Generator[] = [
  {
    name: 'interaction-worker/bad-message',
    weight: 5,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const id = `${marker}m${rng.alnum(6)}`;
      const q = hostileQueuedEvent(ctx);
      const variants: Array<[string, unknown]> = [
        [
          `a queued event with ${q.what}`,
          {
            message: { data: b64(q.data), messageId: id, attributes: { event: 'x' } },
            subscription: 'projects/ccbridge-local/subscriptions/interaction-worker-push',
          },
        ],
        ['data that is not base64', { message: { data: `!!${marker}!!`, messageId: id } }],
        ['data that is not JSON', { message: { data: b64(`not json ${marker}`), messageId: id } }],
        ['data that is a JSON string', { message: { data: b64(JSON.stringify(marker)), messageId: id } }],
        ['no data', { message: { messageId: id } }],
        ['no message', { subscription: marker }],
        ['a message that is a string', { message: marker }],
        ['attributes that are not strings', { message: { data: b64(q.data), messageId: id, attributes: { n: 1, o: { marker } } } }],
        ['a delivery attempt that is text', { message: { data: b64(q.data), messageId: id }, deliveryAttempt: 'third' }],
        ['a 2 MB message', { message: { data: b64({ marker, pad: 'p'.repeat(2_000_000) }), messageId: id } }],
        [
          'data nesting 30 000 levels',
          { message: { data: Buffer.from(`${'{"a":'.repeat(30_000)}"${marker}"${'}'.repeat(30_000)}`).toString('base64'), messageId: id } },
        ],
      ];
      const [what, body] = rng.pick(variants);
      return [
        async () =>
          httpStep({
            endpoint: ENDPOINT,
            category: 'wrong-type',
            proves: `a push carrying ${what} is acknowledged or refused, never retried (no 5xx), and writes nothing`,
            method: 'POST',
            path: '/interaction-worker/',
            headers: { ...pushHeaders(ctx, id), ...(await pushAuthorization(ctx)) },
            body: json(body),
            expect: HANDLED,
          }),
      ];
    },
  },
  {
    name: 'interaction-worker/bad-delivery',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const id = `${marker}m${rng.alnum(6)}`;
      const valid = { message: { data: b64(hostileQueuedEvent(ctx).data), messageId: id } };
      const headers = pushHeaders(ctx, id);
      const drop = (...names: string[]) => Object.fromEntries(Object.entries(headers).filter(([k]) => !names.includes(k)));
      const variants: Array<[string, Record<string, string>, Buffer]> = [
        ['no CloudEvent headers', { 'content-type': 'application/json' }, json(valid)],
        ['no ce-id', drop('ce-id'), json(valid)],
        ['CloudEvents 0.3', { ...headers, 'ce-specversion': '0.3' }, json(valid)],
        ['an unknown event type', { ...headers, 'ce-type': `${marker}.unknown` }, json(valid)],
        [
          'a structured CloudEvent without data',
          { 'content-type': 'application/cloudevents+json' },
          json({ specversion: '1.0', id, source: marker, type: 'google.cloud.pubsub.topic.v1.messagePublished' }),
        ],
        [
          'a structured CloudEvent with string data',
          { 'content-type': 'application/cloudevents+json' },
          json({ specversion: '1.0', id, source: marker, type: 't', data: marker }),
        ],
        [
          'a legacy background event',
          { 'content-type': 'application/json' },
          json({ context: { eventId: id, eventType: 'google.pubsub.topic.publish' }, data: { data: b64(marker) } }),
        ],
        ['text instead of JSON', { ...headers, 'content-type': 'text/plain' }, Buffer.from(marker)],
        ['an empty body', headers, Buffer.alloc(0)],
        ['a JSON array', headers, json([valid])],
      ];
      const pick = rng.int(0, variants.length + 1);
      if (pick >= variants.length) {
        const broken = malformedJson(rng, JSON.stringify(valid));
        return [
          async () =>
            httpStep({
              endpoint: ENDPOINT,
              category: 'malformed',
              proves: `a push with ${broken.what} is refused before the handler runs, with a JSON error, and writes nothing`,
              method: 'POST',
              path: '/interaction-worker/',
              headers: { ...headers, ...broken.headers, ...(await pushAuthorization(ctx)) },
              body: broken.body,
              expect: HANDLED,
            }),
        ];
      }
      const [what, h, body] = variants[pick]!;
      return [
        async () =>
          httpStep({
            endpoint: ENDPOINT,
            category: 'malformed',
            proves: `a delivery with ${what} is acknowledged or refused (never 5xx) and writes nothing`,
            method: 'POST',
            path: '/interaction-worker/',
            headers: { ...h, ...(await pushAuthorization(ctx)) },
            body,
            expect: HANDLED,
          }),
      ];
    },
  },
  {
    name: 'interaction-worker/truncated',
    weight: 1,
    build: (ctx) => {
      const id = `${ctx.marker}m`;
      const headers = pushHeaders(ctx, id);
      const body = json({ message: { data: b64(hostileQueuedEvent(ctx).data), messageId: id } });
      return [
        async () => {
          const t = truncatedRaw(ctx.rng, {
            transport: 'http',
            method: 'POST',
            path: '/interaction-worker/',
            headers: { ...headers, ...(await pushAuthorization(ctx)) },
            body,
          });
          return {
            endpoint: ENDPOINT,
            category: 'truncated',
            proves: `a push sent with ${t.what} writes nothing`,
            request: t.raw,
            expect: { outcome: t.answers === 'none' ? 'cut' : 'handled', errorShape: 'protocol' },
          };
        },
      ];
    },
  },
];
