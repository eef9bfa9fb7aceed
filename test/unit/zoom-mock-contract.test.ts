/**
 * The Zoom stand-in refuses what Zoom refuses (docs/contracts/zoom.md), so it cannot hide a
 * client bug: one test per rule — documented paths only (downloads shaped like Zoom's),
 * page-size maxima per listing (400, code 300), unknown engagements (404, 2901 / 2805), page
 * tokens expiring after 15 minutes (on its injected clock), rate limits per category (429),
 * optional fields really absent on a share of items, and webhook retries only after ≥ 500 or a
 * timeout, on Zoom's schedule (compressed), never after a 4xx.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startZoomMock, ZOOM_PAGE_SIZES, type ZoomEnvelope, type ZoomMock, zoomFilePath } from '../../local/mocks/zoom';
import { zoomRetriesAfter } from '../../local/mocks/zoom/webhooks';
import { ManualClock } from '../support/manual-clock';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

let zoom: ZoomMock;
let clock = Date.parse('2026-11-22T12:00:00Z');
let bearer: string;

beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS, now: () => clock, optionalFieldsAbsentShare: 0.3 });
  zoom.generateDay({ seed: 'stand-in-contract', date: '2026-11-22', engagements: 400, recordingBytes: { min: 100, max: 200 } });
  const res = await fetch(`${zoom.baseUrl}/oauth/token?grant_type=account_credentials&account_id=${ZOOM_CREDENTIALS.accountId}`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${ZOOM_CREDENTIALS.clientId}:${ZOOM_CREDENTIALS.clientSecret}`).toString('base64')}` },
  });
  bearer = ((await res.json()) as { access_token: string }).access_token;
});
afterAll(() => zoom.stop());
afterEach(() => {
  zoom.setRateLimits({});
  zoom.faults.clear();
});

const get = async (pathAndQuery: string, auth = true) => {
  const res = await fetch(`${zoom.baseUrl}${pathAndQuery}`, { headers: auth ? { authorization: `Bearer ${bearer}` } : {} });
  return {
    status: res.status,
    body: (res.headers.get('content-type') ?? '').includes('json') ? ((await res.json()) as Record<string, unknown>) : await res.text(),
  };
};
const DAY = 'from=2026-11-22T00:00:00Z&to=2026-11-22T23:59:59Z';
const anEngagement = () => zoom.engagements()[0]!.engagementId;
const listingUrl = (endpoint: keyof typeof ZOOM_PAGE_SIZES) => endpoint.replace('{id}', anEngagement());

describe('the Zoom stand-in refuses what Zoom refuses', () => {
  it.each(Object.entries(ZOOM_PAGE_SIZES))('%s: page_size above its maximum → 400 code 300; at the maximum → 200', async (endpoint, [, max]) => {
    const url = listingUrl(endpoint as keyof typeof ZOOM_PAGE_SIZES);
    const sep = url.includes('?') ? '&' : '?';
    const over = await get(`${url}${sep}${DAY}&page_size=${max + 1}`);
    expect(over).toMatchObject({ status: 400, body: { code: 300 } });
    expect((await get(`${url}${sep}${DAY}&page_size=0`)).status).toBe(400);
    expect((await get(`${url}${sep}${DAY}&page_size=${max}`)).status).toBe(200);
  });

  it('the engagements listing answers 10 items by default and at most 100', async () => {
    expect(((await get(`/v2/contact_center/engagements?${DAY}`)).body as { engagements: unknown[] }).engagements).toHaveLength(10);
    expect((await get(`/v2/contact_center/engagements?${DAY}&page_size=300`)).status).toBe(400);
  });

  it('an unknown engagement is 404 with code 2901 (details, notes) or 2805 (its recordings)', async () => {
    expect(await get('/v2/contact_center/engagements/no-such')).toMatchObject({ status: 404, body: { code: 2901 } });
    expect(await get('/v2/contact_center/engagements/no-such/notes')).toMatchObject({ status: 404, body: { code: 2901 } });
    expect(await get('/v2/contact_center/engagements/no-such/recordings')).toMatchObject({ status: 404, body: { code: 2805 } });
  });

  it('has no messaging transcripts listing and no messaging messages endpoint', async () => {
    expect((await get(`/v2/contact_center/messaging/transcripts?${DAY}`)).status).toBe(404);
    expect((await get(`/v2/contact_center/messaging/messages?engagement_id=${anEngagement()}`)).status).toBe(404);
  });

  it('a next_page_token works for 15 minutes on its clock, then is refused (400); it belongs to its listing', async () => {
    const first = (await get(`/v2/contact_center/recordings?${DAY}&page_size=50`)).body as { next_page_token: string };
    expect(first.next_page_token).not.toBe('');
    clock += 14 * 60_000;
    expect((await get(`/v2/contact_center/recordings?${DAY}&page_size=50&next_page_token=${first.next_page_token}`)).status).toBe(200);
    clock += 2 * 60_000;
    expect(await get(`/v2/contact_center/recordings?${DAY}&page_size=50&next_page_token=${first.next_page_token}`)).toMatchObject({
      status: 400,
      body: { code: 300 },
    });
    const other = (await get(`/v2/contact_center/inboxes/messages?${DAY}&page_size=1`)).body as { next_page_token: string };
    expect((await get(`/v2/contact_center/recordings?${DAY}&next_page_token=${other.next_page_token}`)).status).toBe(400);
  });

  it('rate limits per category: MEDIUM listings get 429 past their rate while a LIGHT read still passes', async () => {
    zoom.setRateLimits({ medium: 2, light: 20 });
    const statuses = await Promise.all(Array.from({ length: 6 }, () => get(`/v2/contact_center/engagements?${DAY}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    expect((await get(`/v2/contact_center/engagements/${anEngagement()}`)).status).toBe(200);
  });

  it('lists items whose optional fields are really absent, and the recordings listing has no total_records', async () => {
    const recordings = (await get(`/v2/contact_center/recordings?${DAY}&page_size=300`)).body as {
      recordings: Array<Record<string, unknown>>;
      total_records?: number;
    };
    expect(recordings.total_records).toBeUndefined();
    const bare = recordings.recordings.filter((r) => r['queue_id'] === undefined && r['user_id'] === undefined);
    expect(bare.length).toBeGreaterThan(recordings.recordings.length * 0.1);
    expect(bare.length).toBeLessThan(recordings.recordings.length);
    const engagements = ((await get(`/v2/contact_center/engagements?${DAY}&page_size=100`)).body as { engagements: Array<Record<string, unknown>> })
      .engagements;
    expect(engagements.some((e) => e['queues'] === undefined && e['agents'] === undefined)).toBe(true);
    // The listing's queues carry cc_queue_id only; dispositions only their id and name; notes last_modified_time.
    const full = engagements.find((e) => e['queues'] !== undefined && (e['dispositions'] as unknown[]).length > 0 && (e['notes'] as unknown[]).length > 0)!;
    expect(Object.keys((full['queues'] as object[])[0]!).sort()).toEqual(['cc_queue_id', 'queue_name']);
    expect(Object.keys((full['dispositions'] as object[])[0]!).sort()).toEqual(['disposition_id', 'disposition_name']);
    expect((full['notes'] as object[])[0]).toHaveProperty('last_modified_time');
    const details = (await get(`/v2/contact_center/engagements/${full['engagement_id']}`)).body as { queues: object[] };
    expect(details.queues[0]).toHaveProperty('queue_id');
  });

  it('serves files only at download URLs shaped like Zoom’s, only with a bearer token', async () => {
    const recording = (
      (await get(`/v2/contact_center/recordings?${DAY}&page_size=1`)).body as { recordings: Array<{ download_url: string; recording_id: string }> }
    ).recordings[0]!;
    const url = new URL(recording.download_url);
    expect(`${url.pathname}${url.search}`).toBe(`${zoomFilePath('recordings', recording.recording_id)}?type=voice`);
    expect((await get(`${url.pathname}${url.search}`)).status).toBe(200);
    expect((await get(`${url.pathname}${url.search}`, false)).status).toBe(401);
    expect((await get(`/v2/files/recordings/${recording.recording_id}`)).status).toBe(404);
    const voicemail = (
      (await get(`/v2/contact_center/inboxes/messages?${DAY}&page_size=1`)).body as {
        messages: Array<{ download_url: string; created_at: string; date_time?: string }>;
      }
    ).messages[0]!;
    expect(new URL(voicemail.download_url).pathname).toMatch(/^\/v2\/contact_center\/inbox\/message\/download\//);
    expect(voicemail.created_at).toBeDefined();
    expect(voicemail.date_time).toBeUndefined();
  });

  it('refuses a message_type Zoom does not have', async () => {
    expect(await get(`/v2/contact_center/inboxes/messages?${DAY}&message_type=sms`)).toMatchObject({ status: 400, body: { code: 300 } });
  });
});

describe("the Zoom stand-in's webhook deliveries retry only when Zoom would", () => {
  let receiver: http.Server;
  let answer: (attempt: number) => number | 'hang';
  const attempts: Array<{ at: number; timestamp: string; signature: string }> = [];
  let clock = new ManualClock();
  let arrived: Array<{ count: number; resolve: () => void }> = [];
  /** Resolves once `count` attempts have reached the receiver. */
  const arrivals = (count: number) =>
    new Promise<void>((resolve) => {
      if (attempts.length >= count) resolve();
      else arrived.push({ count, resolve });
    });
  beforeAll(async () => {
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        attempts.push({ at: clock.now(), timestamp: String(req.headers['x-zm-request-timestamp']), signature: String(req.headers['x-zm-signature']) });
        for (const waiter of arrived.filter((a) => attempts.length >= a.count)) waiter.resolve();
        arrived = arrived.filter((a) => attempts.length < a.count);
        const status = answer(attempts.length);
        if (status !== 'hang') res.writeHead(status).end('{}');
        else setTimeout(() => res.writeHead(200).end('{}'), 300);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
    zoom.setWebhookTarget({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 'hook-secret' });
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
  beforeEach(() => {
    attempts.length = 0;
    arrived = [];
    clock = new ManualClock();
  });
  const event: ZoomEnvelope = {
    event: 'contact_center.engagement_note_added',
    event_ts: 1,
    payload: { account_id: 'a', object: { engagement_id: 'e', note: 'x' } },
  };

  it('Zoom retries on ≥ 500 and its own timeouts only', () => {
    expect([0, 500, 503, 504].every(zoomRetriesAfter)).toBe(true);
    expect([200, 204, 301, 400, 401, 404, 429].some(zoomRetriesAfter)).toBe(false);
  });

  it.each([400, 401, 429])('a %i ends the delivery: no retry', async (status) => {
    answer = () => status;
    const report = await zoom.deliver([event], { retryDelaysMs: [20, 40, 60] });
    expect(attempts).toHaveLength(1);
    expect(report).toMatchObject({ requests: 1, refused: 1, givenUp: 0, acknowledged: 0 });
  });

  it('a 500 is retried three times on Zoom\u2019s schedule (5, 20, 60 minutes after the previous attempt), then dropped', async () => {
    answer = () => 500;
    const delivering = zoom.deliver([event], { clock });
    for (const [n, waitMs] of [300_000, 1_200_000, 3_600_000].entries()) {
      await arrivals(n + 1);
      // The answer (500) read, the retry is on the clock.
      await clock.whenPending(1);
      clock.advance(waitMs - 1);
      expect(attempts).toHaveLength(n + 1);
      clock.advance(1);
    }
    const report = await delivering;
    expect(report).toMatchObject({ requests: 4, givenUp: 1, refused: 0 });
    expect(attempts.map((a) => a.at - clock.start)).toEqual([0, 300_000, 1_500_000, 5_100_000]);
  });

  it('an answer later than 3 s (compressed) is a timeout, retried; a 2xx on the retry ends it', async () => {
    answer = (n) => (n === 1 ? 'hang' : 200);
    const report = await zoom.deliver([event], { retryDelaysMs: [20, 40, 60], timeoutMs: 100 });
    expect(report).toMatchObject({ requests: 2, acknowledged: 1 });
  });

  it("can repeat the first attempt's timestamp and signature on a retry (whether Zoom re-signs is unconfirmed)", async () => {
    answer = (n) => (n === 1 ? 503 : 200);
    await zoom.deliver([event], { retryDelaysMs: [1100], retrySigning: 'repeat' });
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toMatchObject({ timestamp: attempts[0]!.timestamp, signature: attempts[0]!.signature });
  });
});
