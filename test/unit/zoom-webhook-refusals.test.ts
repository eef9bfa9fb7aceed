/**
 * Refused webhook deliveries are recorded for the operators (functions/zoom-webhook/refusals.ts):
 * every refusal — by the function (signature, stale, replay, not an envelope) and by the
 * Framework guard before the function ran (JSON that does not parse, Content-Encoding, size) —
 * lands in a per-hour counter by reason plus a capped sample of entries, with nothing of the
 * request but the reason and, if the body parsed, the claimed event and engagement; a flood of
 * bad signatures costs a bounded number of writes; the timeline and the day view show them.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { composeZoomWebhook } from '../../functions/zoom-webhook/compose';
import { createRefusalRecorder, DETAIL_CAP, REFUSALS_COLLECTION } from '../../functions/zoom-webhook/refusals';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore, type MemoryDocStore } from '../support/doubles/memory-docstore';
import { createMemoryEventBus } from '../support/doubles/memory-eventbus';
import { bodyLimitsOf } from '../../shared/http/body-guard';
import { installFrameworkErrorResponses } from '../../shared/http/framework-errors';
import { type RefusalNotice, refusalObserverOf } from '../../shared/http/refusal-observer';
import { createLogger } from '../../shared/logging';
import type { DocStore } from '../../shared/ports/docstore';
import { dayView } from '../../shared/trace/day';
import { traceInteraction } from '../../shared/trace/trace';
import { listen } from '../support/http';
import { nowSeconds, signedPost, webhookEnv, zoomSignature, WEBHOOK_SECRET } from '../support/zoom-fixture';

const quiet = createLogger({ sink: () => undefined });
const event = (engagementId: string | number = 'eng-r1', extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    event: 'contact_center.recording_completed',
    event_ts: 1_763_700_000_000,
    payload: {
      account_id: 'acc-1',
      object: {
        recording_id: `rec-${Math.random()}`,
        engagement_id: engagementId,
        download_url: 'https://zoom.us/rec/x?token=SECRET-DOWNLOAD-TOKEN',
        ...extra,
      },
    },
  });

describe('refused deliveries over HTTP (function and Framework guard)', () => {
  let docs: MemoryDocStore;
  let url: string;
  let close: () => Promise<void>;
  let handler: ReturnType<typeof composeZoomWebhook>;

  beforeAll(async () => {
    docs = createMemoryDocStore();
    handler = composeZoomWebhook(
      webhookEnv({ ZOOM_REFUSAL_COUNT_INTERVAL_SECONDS: '0' }),
      { docs, bus: createMemoryEventBus(), blobs: createMemoryBlobStore('archive') },
      { log: () => undefined },
    );
    // As shared/entry.ts does for a deployed function.
    installFrameworkErrorResponses(quiet, { bodyLimits: (req) => bodyLimitsOf(handler, req), refusalObserver: () => refusalObserverOf(handler) });
    http('zoomWebhookRefusals', handler);
    ({ url, close } = await listen(getTestServer('zoomWebhookRefusals')));
  });
  afterAll(() => close());

  it('records each refusal under its reason, the claimed engagement only from a body that parsed, and nothing of the request', async () => {
    const accepted = event('eng-r1');
    const sentAt = nowSeconds();
    const answers = {
      unsigned: (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: event('eng-r1') })).status,
      stale: (await signedPost(url, event('eng-r1'), { timestamp: nowSeconds() - 7201 })).status,
      brokenJson: (await signedPost(url, '{"event": "contact_center.recording_completed", "payload": ')).status,
      gzip: (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: event('eng-r1') })).status,
      tooLarge: (await signedPost(url, event('eng-r1', { pad: 'x'.repeat(300 * 1024) }))).status,
      notEnvelope: (await signedPost(url, JSON.stringify({ hello: 'world' }))).status,
      first: (await signedPost(url, accepted, { timestamp: sentAt })).status,
      replay: (await signedPost(url, accepted, { timestamp: sentAt, signature: zoomSignature(WEBHOOK_SECRET, sentAt, accepted) })).status,
    };
    expect(answers).toEqual({ unsigned: 401, stale: 401, brokenJson: 400, gzip: 415, tooLarge: 413, notEnvelope: 400, first: 200, replay: 401 });

    const stored = Object.values(docs.dump(REFUSALS_COLLECTION));
    const counts = Object.fromEntries(stored.filter((d) => d['kind'] === 'count').map((d) => [d['reason'], d['count']]));
    expect(counts).toEqual({ bad_signature: 1, stale: 1, bad_body: 2, bad_encoding: 1, too_large: 1, replay: 1 });
    const entries = stored.filter((d) => d['kind'] === 'entry');
    expect(entries).toHaveLength(7);
    // The unsigned request's body parsed: its claim is kept, marked unverified.
    expect(entries.find((e) => e['reason'] === 'bad_signature')).toMatchObject({
      engagementId: 'eng-r1',
      event: 'contact_center.recording_completed',
      signatureChecked: false,
      status: 401,
    });
    // Refused before any body was parsed: no engagement.
    for (const reason of ['bad_encoding', 'too_large']) expect(entries.find((e) => e['reason'] === reason)).not.toHaveProperty('engagementId');
    expect(
      entries
        .filter((e) => e['reason'] === 'bad_body')
        .map((e) => e['stage'])
        .sort(),
    ).toEqual(['framework', 'function']);
    expect(entries.find((e) => e['reason'] === 'replay')).toMatchObject({ signatureChecked: true });
    for (const d of stored) expect((d['expireAt'] as Date).getTime()).toBeGreaterThan(Date.now() + 71 * 3_600_000);
    const text = JSON.stringify(stored);
    expect(text).not.toMatch(/SECRET-DOWNLOAD-TOKEN|download_url|recording_id|v0=|hello/);
  });
});

/** Counts every write a recorder makes. */
function countingDocs(inner: DocStore): DocStore & { writes: number } {
  const out = Object.create(inner) as DocStore & { writes: number };
  out.writes = 0;
  for (const m of ['create', 'set', 'update'] as const) {
    (out as unknown as Record<string, unknown>)[m] = (...args: unknown[]) => {
      out.writes++;
      return (inner[m] as (...a: unknown[]) => Promise<void>)(...args);
    };
  }
  return out;
}

const notice = (over: Partial<RefusalNotice> = {}): RefusalNotice => ({
  stage: 'function',
  method: 'POST',
  path: '/',
  status: 401,
  code: 'unauthenticated',
  message: 'invalid or missing Zoom signature',
  parsedBody: JSON.parse(event('eng-flood')),
  ...over,
});

describe('a flood of refusals', () => {
  it('costs one counter write per interval and instance plus at most DETAIL_CAP entries in all, and the counts stay exact', async () => {
    const memory = createMemoryDocStore();
    const docs = countingDocs(memory);
    let now = Date.parse('2026-12-04T10:15:00Z');
    const a = createRefusalRecorder(docs, { ttlMs: 3_600_000, now: () => now, log: quiet });
    const b = createRefusalRecorder(docs, { ttlMs: 3_600_000, now: () => now, log: quiet });
    for (let i = 0; i < 1000; i++) await (i % 2 ? a : b).observe(notice());
    // Two instances: each wrote its counter once; the entry slots are shared, DETAIL_CAP in all.
    const entries = Object.values(memory.dump(REFUSALS_COLLECTION)).filter((d) => d['kind'] === 'entry');
    expect(entries).toHaveLength(DETAIL_CAP);
    // Each instance tries each slot at most once (collisions with the other included).
    expect(docs.writes).toBeLessThanOrEqual(2 + 2 * DETAIL_CAP);
    const counter = () => memory.dump(REFUSALS_COLLECTION)['count-2026120410-bad_signature']?.['count'];
    expect(counter()).toBe(2);
    now += 10_000;
    await a.observe(notice());
    await a.flush();
    await b.flush();
    expect(counter()).toBe(1001);
    await a.observe(notice({ method: 'GET', path: '/artifacts/e/k' }));
    expect(counter()).toBe(1001);
  });

  it('keeps a count whose write failed and writes it later, exactly (the answer is never affected)', async () => {
    const memory = createMemoryDocStore();
    let failSet = true;
    const flaky = Object.create(memory) as DocStore;
    flaky.set = async (...args: Parameters<DocStore['set']>) => {
      if (failSet) throw new Error('firestore unavailable');
      return memory.set(...args);
    };
    const r = createRefusalRecorder(flaky, { ttlMs: 3_600_000, now: () => Date.parse('2026-12-04T10:15:00Z'), log: quiet });
    await expect(r.observe(notice())).resolves.toBeUndefined();
    await r.observe(notice());
    expect(memory.dump(REFUSALS_COLLECTION)['count-2026120410-bad_signature']).toBeUndefined();
    failSet = false;
    await r.flush();
    expect(memory.dump(REFUSALS_COLLECTION)['count-2026120410-bad_signature']?.['count']).toBe(2);
  });

  it('never keeps an engagement id that looks like a phone number', async () => {
    const memory = createMemoryDocStore();
    const r = createRefusalRecorder(memory, { ttlMs: 3_600_000, now: () => Date.parse('2026-12-04T10:15:00Z'), log: quiet });
    await r.observe(notice({ parsedBody: JSON.parse(event('+1 (415) 555-0100')) }));
    await r.observe(notice({ parsedBody: JSON.parse(event(14155550100)) }));
    const text = JSON.stringify(memory.dump(REFUSALS_COLLECTION));
    expect(text).not.toMatch(/555/);
    expect(Object.values(memory.dump(REFUSALS_COLLECTION)).filter((d) => d['kind'] === 'entry')).toHaveLength(2);
  });
});

describe('refusals in the timeline and the day view', () => {
  it(
    'an engagement whose every delivery was refused is found, its refusals shown, and the verdict says what to do; ' +
      'the day counts them per hour and reason',
    async () => {
      const docs = createMemoryDocStore();
      let now = Date.parse('2026-12-04T09:20:00Z');
      const r = createRefusalRecorder(docs, { ttlMs: 3_600_000, now: () => now, log: quiet });
      await r.observe(notice({ parsedBody: JSON.parse(event('eng-refused')) }));
      now = Date.parse('2026-12-04T11:05:00Z');
      await r.observe(notice({ parsedBody: JSON.parse(event('eng-refused')) }));
      await r.observe(notice({ status: 413, code: 'payload_too_large', message: 'too large', parsedBody: undefined, stage: 'framework' }));
      await r.flush();

      const t = await traceInteraction({ docs, blobs: createMemoryBlobStore('archive'), retryFailedArtifacts: true }, 'eng-refused');
      expect(t.identifier.kind).toBe('engagement');
      const refused = t.entries.filter((e) => e.kind === 'refused');
      expect(refused.map((e) => e.at)).toEqual(['2026-12-04T09:20:00.000Z', '2026-12-04T11:05:00.000Z']);
      expect(refused[0]!.summary).toMatch(/refused with 401: missing or wrong signature.*unverified/);
      expect(t.verdict.status).toBe('failed');
      expect(t.verdict.line).toMatch(/every webhook delivery.*secret token/);

      const v = await dayView({ docs, retryFailedArtifacts: true }, '2026-12-04');
      expect(v.hours[9]!.refused).toBe(1);
      expect(v.hours[11]!.refused).toBe(2);
      expect(v.totals.refused).toBe(3);
      expect(v.refusedByReason).toEqual({ bad_signature: 2, too_large: 1 });
    },
  );
});
