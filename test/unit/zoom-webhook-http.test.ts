/**
 * zoom-webhook over HTTP on the Functions Framework, with in-memory Firestore and Pub/Sub:
 * url_validation, 401/400 with nothing published, stale and replayed requests, business-key
 * deduplication, lenient envelopes, and "never acknowledge what was not recorded" —
 * including the crash between recording and publishing.
 */
import { createHmac } from 'node:crypto';
import type { DocData, DocStore } from '../../shared/ports/docstore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { EVENT_KEYS_COLLECTION } from '../../functions/zoom-webhook/event-keys';
import { Secret } from '../../shared/config';
import { artifactLinkToken } from '../../shared/zoom/artifact-link';
import { createLedger } from '../../shared/zoom/ledger';
import {
  LINK_SECRET,
  nowSeconds,
  PREVIOUS_WEBHOOK_SECRET,
  signedPost,
  startWebhook,
  WEBHOOK_SECRET,
  type WebhookUnderTest,
  zoomSignature,
} from '../support/zoom-fixture';

let app: WebhookUnderTest;
afterEach(() => app?.stop());

const recordingEvent = (recordingId = 'rec-1', extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: 'contact_center.recording_completed',
    event_ts: 1_763_700_000_000,
    payload: {
      account_id: 'acc-1',
      object: { recording_id: recordingId, engagement_id: 'eng-1', download_url: `https://zoom.us/rec/${recordingId}?token=${Math.random()}`, ...extra },
    },
  });

describe('zoom-webhook', () => {
  beforeEach(async () => {
    app = await startWebhook({ ZOOM_WEBHOOK_SECRET_PREVIOUS: PREVIOUS_WEBHOOK_SECRET });
  });

  it('answers endpoint.url_validation with the HMAC of plainToken', async () => {
    const body = JSON.stringify({ event: 'endpoint.url_validation', event_ts: Date.now(), payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' } });
    const res = await signedPost(app.url, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: createHmac('sha256', WEBHOOK_SECRET).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex'),
    });
    expect(app.bus.published).toHaveLength(0);
  });

  it('answers url_validation signed with the previous secret using that secret', async () => {
    const body = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken: 'abc' } });
    const res = await signedPost(app.url, body, { secret: PREVIOUS_WEBHOOK_SECRET });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { encryptedToken: string }).encryptedToken).toBe(createHmac('sha256', PREVIOUS_WEBHOOK_SECRET).update('abc').digest('hex'));
  });

  it('refuses an unsigned url_validation', async () => {
    const res = await fetch(app.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken: 'abc' } }),
    });
    expect(res.status).toBe(401);
  });

  it('acknowledges a signed event once it is recorded and published', async () => {
    const body = recordingEvent();
    const res = await signedPost(app.url, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'accepted' });
    expect(app.bus.published).toHaveLength(1);
    const message = app.bus.published[0]!;
    expect(message.topic).toBe('zoom-events');
    expect(message.attributes).toMatchObject({ event: 'contact_center.recording_completed', engagementId: 'eng-1' });
    expect(message.data).toMatchObject({ v: 1, source: 'webhook', envelope: JSON.parse(body) });
    const keys = Object.values(app.docs.dump(EVENT_KEYS_COLLECTION));
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ published: true, body, event: 'contact_center.recording_completed' });
    expect((keys[0]!['expireAt'] as Date).getTime()).toBeGreaterThan(Date.now());
  });

  it.each([
    ['no signature headers', (body: string) => fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body })],
    ['a wrong secret', (body: string) => signedPost(app.url, body, { secret: 'not-the-secret-at-all' })],
    ['a signature over other bytes', (body: string) => signedPost(app.url, body, { signature: zoomSignature(WEBHOOK_SECRET, nowSeconds(), `${body} `) })],
    ["a timestamp older than Zoom's retries can be (the 2 h retry window)", (body: string) => signedPost(app.url, body, { timestamp: nowSeconds() - 7201 })],
    ['a timestamp from beyond the window ahead', (body: string) => signedPost(app.url, body, { timestamp: nowSeconds() + 301 })],
  ])('answers 401 and publishes nothing for %s', async (_name, send) => {
    const res = await send(recordingEvent());
    expect(res.status).toBe(401);
    expect(app.bus.published).toHaveLength(0);
    expect(app.docs.dump(EVENT_KEYS_COLLECTION)).toEqual({});
  });

  it('answers 400 for malformed JSON and publishes nothing', async () => {
    const res = await signedPost(app.url, '{"event": "contact_center.recording_completed",', { contentType: 'text/plain' });
    expect(res.status).toBe(400);
    const framework = await signedPost(app.url, '{"event": ');
    expect(framework.status).toBe(400);
    expect(app.bus.published).toHaveLength(0);
  });

  it('answers 400 for JSON that is not an event envelope', async () => {
    const res = await signedPost(app.url, JSON.stringify({ payload: {} }));
    expect(res.status).toBe(400);
    expect(app.bus.published).toHaveLength(0);
  });

  it('refuses an exact replay of an accepted request', async () => {
    const body = recordingEvent();
    const ts = nowSeconds();
    expect((await signedPost(app.url, body, { timestamp: ts })).status).toBe(200);
    const replay = await signedPost(app.url, body, { timestamp: ts });
    expect(replay.status).toBe(401);
    expect(app.bus.published).toHaveLength(1);
  });

  it("takes a Zoom retry that repeats the first attempt's timestamp (stale) or bytes while the event is not yet published, then refuses them", async () => {
    const body = recordingEvent('rec-retry');
    const first = nowSeconds() - 60;
    // The first attempt failed to publish (Zoom retries after a 503)...
    app.bus.failNext(1);
    expect((await signedPost(app.url, body, { timestamp: first })).status).toBe(503);
    // ...and its retry 5 min later repeats the same bytes and signature: accepted, published.
    const retry = await signedPost(app.url, body, { timestamp: first });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ status: 'republished' });
    expect(app.bus.published).toHaveLength(1);
    // Once published, the window and the replay check refuse the same request, writing nothing.
    const before = app.docs.dump(EVENT_KEYS_COLLECTION);
    expect((await signedPost(app.url, body, { timestamp: first })).status).toBe(401);
    expect((await signedPost(app.url, body, { timestamp: nowSeconds() - 400 })).status).toBe(401);
    expect(app.docs.dump(EVENT_KEYS_COLLECTION)).toEqual(before);
    expect(app.bus.published).toHaveLength(1);
  });

  it('accepts a correctly signed event first seen with a timestamp older than the window (a retry of a delivery that never reached us)', async () => {
    const res = await signedPost(app.url, recordingEvent('rec-late'), { timestamp: nowSeconds() - 25 * 60 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'accepted' });
    expect(app.bus.published).toHaveLength(1);
  });

  it('refuses a stale url_validation (Zoom validates again) and an event_ts no Date can hold, recording nothing', async () => {
    const validation = JSON.stringify({ event: 'endpoint.url_validation', payload: { plainToken: 'abc' } });
    expect((await signedPost(app.url, validation, { timestamp: nowSeconds() - 600 })).status).toBe(401);
    const farOff = JSON.stringify({
      event: 'contact_center.engagement_note_added',
      event_ts: 9_000_000_000_000_000,
      payload: { object: { engagement_id: 'e', note: 'x' } },
    });
    const res = await signedPost(app.url, farOff);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('event_ts');
    expect(app.docs.dump(EVENT_KEYS_COLLECTION)).toEqual({});
    expect(app.bus.published).toHaveLength(0);
  });

  it('suppresses a duplicate delivery (new signature, new download token, same business key)', async () => {
    expect((await signedPost(app.url, recordingEvent('rec-9'))).status).toBe(200);
    const dup = await signedPost(app.url, recordingEvent('rec-9'), { timestamp: nowSeconds() + 1 });
    expect(dup.status).toBe(200);
    expect(await dup.json()).toEqual({ status: 'duplicate' });
    expect(app.bus.published).toHaveLength(1);
    expect(Object.values(app.docs.dump(EVENT_KEYS_COLLECTION))[0]).toMatchObject({ duplicates: 1 });
  });

  it('keeps notes apart by note id and dispositions by disposition id', async () => {
    const note = (id: string) =>
      JSON.stringify({ event: 'contact_center.engagement_note_added', event_ts: 5, payload: { object: { engagement_id: 'e', note_id: id, note: 'x' } } });
    const disposition = (id: string) =>
      JSON.stringify({ event: 'contact_center.engagement_disposition_added', event_ts: 6, payload: { object: { engagement_id: 'e', disposition_id: id } } });
    const bodies = [note('n1'), note('n2'), note('n1'), disposition('d1'), disposition('d2'), disposition('d2')];
    for (const [i, body] of bodies.entries()) expect((await signedPost(app.url, body, { timestamp: nowSeconds() + i })).status).toBe(200);
    expect(app.bus.published).toHaveLength(4);
  });

  it('keeps and acknowledges unknown event types and extra fields', async () => {
    const body = JSON.stringify({
      event: 'contact_center.something_new',
      event_ts: 7,
      extra: { a: 1 },
      payload: { account_id: 'a', object: { whatever: true } },
    });
    const res = await signedPost(app.url, body);
    expect(res.status).toBe(200);
    expect(app.bus.published).toHaveLength(1);
    expect(app.bus.published[0]!.data).toMatchObject({
      envelope: { event: 'contact_center.something_new', extra: { a: 1 }, payload: { object: { whatever: true } } },
    });
  });

  it('answers 503 when Pub/Sub is down, and the next delivery publishes the recorded event', async () => {
    const body = recordingEvent('rec-down');
    app.bus.failNext(1);
    const failed = await signedPost(app.url, body);
    expect(failed.status).toBe(503);
    expect(app.bus.published).toHaveLength(0);
    // Zoom retries with a fresh signature; the key is recorded but unpublished, so it is published now.
    const retry = await signedPost(app.url, recordingEvent('rec-down'), { timestamp: nowSeconds() + 1 });
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ status: 'republished' });
    expect(app.bus.published).toHaveLength(1);
    const later = await signedPost(app.url, recordingEvent('rec-down'), { timestamp: nowSeconds() + 2 });
    expect(await later.json()).toEqual({ status: 'duplicate' });
    expect(app.bus.published).toHaveLength(1);
  });
});

describe('zoom-webhook when Firestore fails', () => {
  it('answers 503 and publishes nothing', async () => {
    const memory = createMemoryDocStore();
    const broken = { ...memory, create: async (_c: string, _i: string, _d: DocData) => Promise.reject(new Error('UNAVAILABLE')) } as DocStore as ReturnType<
      typeof createMemoryDocStore
    >;
    app = await startWebhook({}, { docs: broken });
    const res = await signedPost(app.url, recordingEvent());
    expect(res.status).toBe(503);
    expect(app.bus.published).toHaveLength(0);
  });

  it('after a crash between recording and publishing, the retry still publishes', async () => {
    // The first attempt recorded the key and died before publishing (simulated by writing the record only).
    const docs = createMemoryDocStore();
    app = await startWebhook({}, { docs });
    app.bus.failNext(1, new Error('process killed'));
    expect((await signedPost(app.url, recordingEvent('rec-crash'))).status).toBe(503);
    expect(Object.values(docs.dump(EVENT_KEYS_COLLECTION))[0]).toMatchObject({ published: false });
    const retry = await signedPost(app.url, recordingEvent('rec-crash'), { timestamp: nowSeconds() + 3 });
    expect(retry.status).toBe(200);
    expect(app.bus.published).toHaveLength(1);
    expect(Object.values(docs.dump(EVENT_KEYS_COLLECTION))[0]).toMatchObject({ published: true });
  });
});

describe('zoom-webhook artifact links', () => {
  const link = (engagementId: string, key: string, secret = LINK_SECRET) =>
    `/artifacts/${engagementId}/${key}?t=${artifactLinkToken(new Secret(secret), engagementId, key)}`;

  async function withStoredArtifact(env: Record<string, string> = {}) {
    app = await startWebhook(env);
    const ledger = createLedger(app.docs);
    await ledger.open('e-1', {});
    await ledger.registerArtifact('e-1', 'recording-r1', { kind: 'recording', path: 'zoom/2026/11/20/e-1/recording-r1.mp3' });
    await ledger.updateArtifact('e-1', 'recording-r1', { state: 'linked' });
    await ledger.registerArtifact('e-1', 'recording-r2', { kind: 'recording', path: 'zoom/2026/11/20/e-1/recording-r2.mp3' });
  }

  it('redirects a valid link to a short-lived signed URL, uncached', async () => {
    await withStoredArtifact();
    const res = await fetch(`${app.url}${link('e-1', 'recording-r1')}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toMatch(/^memory:\/\/archive\/zoom%2F2026%2F11%2F20%2Fe-1%2Frecording-r1\.mp3\?expires=/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a forged or edited link (403) and an artifact not stored yet (404)', async () => {
    await withStoredArtifact();
    const edited = link('e-1', 'recording-r1').replace('recording-r1?', 'recording-r2?');
    expect((await fetch(`${app.url}${edited}`, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${app.url}${link('e-1', 'recording-r1', 'another-link-secret-0123456789')}`, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${app.url}/artifacts/e-1/recording-r1`, { redirect: 'manual' })).status).toBe(403);
    expect((await fetch(`${app.url}${link('e-1', 'recording-r2')}`, { redirect: 'manual' })).status).toBe(404);
  });

  it('never writes a secret into its logs', async () => {
    await withStoredArtifact();
    await signedPost(app.url, recordingEvent('rec-log'));
    await signedPost(app.url, recordingEvent('rec-log'), { secret: 'wrong-secret-0000' });
    const logs = app.logs.join('\n');
    expect(logs).not.toContain(WEBHOOK_SECRET);
    expect(logs).not.toContain(LINK_SECRET);
  });
});
