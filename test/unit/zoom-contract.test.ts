/**
 * Zoom's own shapes replayed through the parsers, and the client's requests checked against
 * Zoom's documented parameters (docs/contracts/zoom.md). The fixtures under
 * test/fixtures/zoom/ carry their source: the REST ones are assembled from the example values
 * of Zoom's Contact Center OpenAPI description; the webhook ones (no public payload schema)
 * wrap those REST items in Zoom's documented envelope.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { planEvent } from '../../functions/interaction-worker/plan';
import { Secret } from '../../shared/config';
import { entriesOfEngagement, entriesOfRecording, entriesOfVoicemail } from '../../shared/reconcile/expected';
import { createZoomApiClient, createZoomHttp, ZOOM_PAGE_SIZE_MAX } from '../../shared/zoom/api-client';
import { engagementsPageSchema, notesPageSchema, recordingsPageSchema, voicemailsPageSchema, zoomEngagementSchema } from '../../shared/zoom/api-schemas';
import { businessKeyOf, ZOOM_EVENTS, zoomEnvelopeSchema } from '../../shared/zoom/events';
import { createZoomTokenProvider } from '../../shared/zoom/oauth';
import { startZoomMock, type ZoomMock } from '../../local/mocks/zoom';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

const FIXTURES = fileURLToPath(new URL('../fixtures/zoom', import.meta.url));
const fixture = (path: string): { _source: string; body: Record<string, unknown> } => JSON.parse(readFileSync(join(FIXTURES, path), 'utf8'));

describe("Zoom's documented REST examples", () => {
  it('every fixture names its source', () => {
    for (const dir of ['rest', 'webhooks']) for (const f of readdirSync(join(FIXTURES, dir))) expect(fixture(`${dir}/${f}`)._source).toMatch(/Zoom|OpenAPI/);
  });

  it.each([
    ['engagements-list.json', engagementsPageSchema],
    ['recordings-list.json', recordingsPageSchema],
    ['engagement-recordings.json', recordingsPageSchema],
    ['engagement-notes.json', notesPageSchema],
    ['inbox-messages.json', voicemailsPageSchema],
  ] as const)('%s parses with every item kept', (file, schema) => {
    const page = schema.parse(fixture(`rest/${file}`).body);
    expect(page.skipped).toEqual([]);
    expect(page.items).toHaveLength(1);
    expect(page.next_page_token).toBe(fixture(`rest/${file}`).body['next_page_token']);
  });

  it("the engagement details parse, with the queue's queue_id and the messaging transcript_url", () => {
    const e = zoomEngagementSchema.parse(fixture('rest/engagement.json').body);
    expect(e.queues[0]).toMatchObject({ queue_id: 'd95avl1eRJ-H162PZUJ-qg', cc_queue_id: 'd95avl1eRJ-H162PZUJ-qg' });
    expect(e.transcript_url).toMatch(/^https:\/\/api\.zoom\.us\/v2\/contact_center\/engagements\/transcripts\/download\//);
  });

  it('the listed engagement becomes a note, a disposition and a messaging transcript the worker can queue', () => {
    const page = engagementsPageSchema.parse(fixture('rest/engagements-list.json').body);
    const entries = entriesOfEngagement(page.items[0]!, 'acct');
    expect(entries.map((e) => e.type).sort()).toEqual(['disposition', 'messaging_transcript', 'note']);
    for (const entry of entries) {
      const plan = planEvent({
        v: 1,
        key: 'k',
        source: 'reconcile',
        receivedAt: new Date().toISOString(),
        envelope: zoomEnvelopeSchema.parse(entry.envelope!()),
      });
      expect(plan?.engagementId).toBe('W_VATTk_Q5aW6z5rZtBxAQ');
    }
    // The listing's queue is a cc_queue_id: the backfilled disposition carries it.
    expect(entries.find((e) => e.type === 'disposition')!.envelope!().payload!.object).toMatchObject({ queue_id: 'd95avl1eRJ-H162PZUJ-qg' });
  });

  it('a listed recording and voicemail become their artifacts, dated as Zoom dates them', () => {
    const recording = recordingsPageSchema.parse(fixture('rest/recordings-list.json').body).items[0]!;
    expect(entriesOfRecording(recording, 'acct').map((e) => e.key)).toEqual([
      'recording-ghyetrjj_sdfsdgfkdjfl111',
      'recording-ghyetrjj_sdfsdgfkdjfl111-transcript',
    ]);
    const voicemail = voicemailsPageSchema.parse(fixture('rest/inbox-messages.json').body).items[0]!;
    const entries = entriesOfVoicemail(voicemail, 'acct');
    expect(entries.map((e) => e.key)).toEqual(['voicemail-4Q0ILNMfTA2nJolNxhg0Rw', 'voicemail-4Q0ILNMfTA2nJolNxhg0Rw-transcript']);
    const plan = planEvent({
      v: 1,
      key: 'k',
      source: 'reconcile',
      receivedAt: new Date().toISOString(),
      envelope: zoomEnvelopeSchema.parse(entries[0]!.envelope!()),
    });
    expect(plan!.artifacts[0]!.time).toBe('2022-05-23T14:15:57Z');
  });
});

describe('webhook events shaped from Zoom documentation', () => {
  const files = readdirSync(join(FIXTURES, 'webhooks'));
  it('cover every event the bundle handles', () => {
    const events = files.map((f) => fixture(`webhooks/${f}`).body['event']);
    for (const event of Object.values(ZOOM_EVENTS)) if (event !== ZOOM_EVENTS.urlValidation) expect(events).toContain(event);
  });

  it.each(files)('%s parses, has a business key, and plans work', (file) => {
    const body = fixture(`webhooks/${file}`).body;
    const envelope = zoomEnvelopeSchema.parse(body);
    expect(businessKeyOf(envelope, Buffer.from(JSON.stringify(body))).key).not.toMatch(/\|body:/);
    const plan = planEvent({ v: 1, key: 'k', source: 'webhook', receivedAt: new Date().toISOString(), envelope });
    expect(plan).toBeDefined();
    expect(plan!.artifacts.length + plan!.items.length).toBeGreaterThan(0);
  });
});

describe("the client's requests against Zoom's documented parameters", () => {
  type Param = { type: string; maximum?: number; minimum?: number; enum?: string[] };
  const endpoints = (
    JSON.parse(readFileSync(join(FIXTURES, 'rest', 'parameters.json'), 'utf8')) as {
      endpoints: Record<string, { rateLimitLabel: string; query: Record<string, Param> }>;
    }
  ).endpoints;
  let zoom: ZoomMock;
  beforeAll(async () => {
    zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
    zoom.generateDay({ seed: 'contract', date: '2026-11-21', engagements: 250, recordingBytes: { min: 100, max: 200 } });
  });
  afterAll(() => zoom.stop());

  const templateOf = (path: string) => `GET ${path.replace(/^(\/v2\/contact_center\/engagements\/)[^/]+(\/|$)/, (_m, a: string, b: string) => `${a}{id}${b}`)}`;

  it('names only documented parameters, within their ranges and enums, and never a path Zoom lacks', async () => {
    const http = createZoomHttp();
    const tokens = createZoomTokenProvider({
      http,
      credentials: {
        tokenUrl: `${zoom.baseUrl}/oauth/token`,
        accountId: ZOOM_CREDENTIALS.accountId,
        clientId: ZOOM_CREDENTIALS.clientId,
        clientSecret: new Secret(ZOOM_CREDENTIALS.clientSecret),
      },
    });
    const api = createZoomApiClient(
      { apiBaseUrl: `${zoom.baseUrl}/v2`, tokens, downloadHosts: [new URL(zoom.baseUrl).host], retry: { limit: 0, baseDelayMs: 1, maxDelayMs: 1 } },
      http,
    );
    const range = { from: '2026-11-21T00:00:00Z', to: '2026-11-21T23:59:59Z' };
    // Every request the client can make: all pages of each listing, a details read, an engagement's notes and recordings.
    for await (const _ of api.listEngagements(range));
    for await (const _ of api.listRecordings(range));
    for await (const _ of api.listVoicemails(range));
    const page = await api.listEngagementsPage({ ...range, pageSize: 10_000 });
    await api.listRecordingsPage({ ...range, pageSize: 10_000 });
    await api.listVoicemailsPage({ ...range, pageSize: 0 });
    const id = page.items[0]!.engagement_id;
    await api.getEngagement(id);
    for await (const _ of api.listEngagementNotes(id));
    for await (const _ of api.listEngagementRecordings(id));

    const requests = zoom.requests.filter((r) => r.path.startsWith('/v2/contact_center/'));
    const seen = new Set<string>();
    for (const r of requests) {
      const endpoint = endpoints[templateOf(r.path)];
      expect({ path: r.path, documented: endpoint !== undefined }).toEqual({ path: r.path, documented: true });
      seen.add(templateOf(r.path));
      for (const [name, value] of new URLSearchParams(r.query)) {
        const param = endpoint!.query[name];
        expect({ path: r.path, name, documented: param !== undefined }).toEqual({ path: r.path, name, documented: true });
        if (param!.type === 'integer') {
          const n = Number(value);
          expect(Number.isInteger(n)).toBe(true);
          expect(n).toBeGreaterThanOrEqual(param!.minimum ?? 1);
          if (param!.maximum !== undefined) expect(n).toBeLessThanOrEqual(param!.maximum);
        }
        if (param!.enum) expect(param!.enum).toContain(value);
      }
    }
    expect([...seen].sort()).toEqual(Object.keys(endpoints).sort());
    // The client's maxima are Zoom's.
    expect(endpoints['GET /v2/contact_center/engagements']!.query['page_size']!.maximum).toBe(ZOOM_PAGE_SIZE_MAX.engagements);
    expect(endpoints['GET /v2/contact_center/recordings']!.query['page_size']!.maximum).toBe(ZOOM_PAGE_SIZE_MAX.recordings);
    expect(endpoints['GET /v2/contact_center/inboxes/messages']!.query['page_size']!.maximum).toBe(ZOOM_PAGE_SIZE_MAX.inboxMessages);
    expect(endpoints['GET /v2/contact_center/engagements/{id}/notes']!.query['page_size']!.maximum).toBe(ZOOM_PAGE_SIZE_MAX.engagementNotes);
    expect(endpoints['GET /v2/contact_center/engagements/{id}/recordings']!.query['page_size']!.maximum).toBe(ZOOM_PAGE_SIZE_MAX.engagementRecordings);
  });
});
