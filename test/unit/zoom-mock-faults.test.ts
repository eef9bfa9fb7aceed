/**
 * The Zoom mock's fault tools the chaos run relies on: a download held mid-body while the
 * test acts, counts of every fault applied, and webhook delivery as Zoom does it — late
 * events on their own timers (they do not hold up the others), duplicates re-sent after the
 * original at a later second, paced first deliveries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startZoomMock, type ZoomEnvelope, type ZoomMock, zoomFilePath } from '../../local/mocks/zoom';
import { ManualClock } from '../support/manual-clock';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

let zoom: ZoomMock;
let receiver: http.Server;
let clock = new ManualClock();
const received: Array<{ at: number; body: string; timestamp: string }> = [];
let arrived: Array<{ count: number; resolve: () => void }> = [];
/** Resolves once `count` webhook requests have reached the receiver. */
const arrivals = (count: number) =>
  new Promise<void>((resolve) => {
    if (received.length >= count) resolve();
    else arrived.push({ count, resolve });
  });
let answerDelayMs = 0;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: clock.now(), body: Buffer.concat(chunks).toString('utf8'), timestamp: String(req.headers['x-zm-request-timestamp']) });
      for (const waiter of arrived.filter((a) => received.length >= a.count)) waiter.resolve();
      arrived = arrived.filter((a) => received.length < a.count);
      setTimeout(() => res.writeHead(200).end('{}'), answerDelayMs);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  zoom = await startZoomMock({
    port: 0,
    ...ZOOM_CREDENTIALS,
    webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 'hook-secret' },
  });
  zoom.addEngagement({
    engagementId: 'eng-hold',
    channel: 'voice',
    direction: 'inbound',
    queueId: 'q',
    queueName: 'Q',
    agentId: 'u',
    agentName: 'U',
    consumerNumber: '+15550100',
    startTime: '2026-11-21T10:00:00Z',
    endTime: '2026-11-21T10:05:00Z',
    recordings: [
      {
        recordingId: 'rec-hold',
        bytes: 300_000,
        contentType: 'audio/mpeg',
        startTime: '2026-11-21T10:00:00Z',
        endTime: '2026-11-21T10:05:00Z',
        durationSeconds: 300,
        transcript: false,
      },
    ],
    notes: [],
    dispositions: [],
    voicemails: [],
    messagingTranscript: false,
  });
});
afterAll(async () => {
  await zoom.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
});
beforeEach(() => {
  received.length = 0;
  arrived = [];
  clock = new ManualClock();
  answerDelayMs = 0;
  zoom.faults.clear();
});

const token = async () =>
  (
    (await (
      await fetch(`${zoom.baseUrl}/oauth/token?grant_type=account_credentials&account_id=${ZOOM_CREDENTIALS.accountId}`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${ZOOM_CREDENTIALS.clientId}:${ZOOM_CREDENTIALS.clientSecret}`).toString('base64')}` },
      })
    ).json()) as { access_token: string }
  ).access_token;

describe('zoom mock: held downloads and fault counts', () => {
  it('holds a download after N bytes until the test is done, then sends the rest', async () => {
    const seen: Array<{ sent: number; bytes: number }> = [];
    let release: () => void = () => undefined;
    zoom.faults.holdDownload({
      pathIncludes: 'rec-hold',
      afterBytes: 100_000,
      times: 1,
      onHold: (d) => {
        seen.push({ sent: d.sent, bytes: d.bytes });
        return new Promise<void>((resolve) => {
          release = resolve;
        });
      },
    });
    const res = await fetch(`${zoom.baseUrl}${zoomFilePath('recordings', 'rec-hold')}?type=voice`, { headers: { authorization: `Bearer ${await token()}` } });
    const reader = res.body!.getReader();
    let got = 0;
    while (got < 100_000) got += (await reader.read()).value?.length ?? 0;
    expect(got).toBe(100_000);
    expect(seen).toEqual([{ sent: 100_000, bytes: 300_000 }]);
    // Nothing more comes while held: the read stays open through many event-loop turns (sockets polled each turn).
    const next = reader.read();
    let more = false;
    void next.then(() => {
      more = true;
    });
    for (let i = 0; i < 200; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(more).toBe(false);
    release();
    for (let chunk = await next; !chunk.done; chunk = await reader.read()) got += chunk.value.length;
    expect(got).toBe(300_000);
    expect(zoom.faults.taken.hold).toBe(1);
  });

  it('counts each fault it applies, by kind (HTTP by status)', async () => {
    const before = structuredClone(zoom.faults.taken);
    zoom.faults.failHttp({ pathIncludes: 'rec-hold?', status: 429, times: 1, retryAfterSeconds: 1 });
    zoom.faults.fileNotReady({ pathIncludes: 'rec-hold', times: 2 });
    zoom.faults.truncateDownload({ pathIncludes: 'rec-hold', afterBytes: 10, times: 1 });
    const bearer = { authorization: `Bearer ${await token()}` };
    const outcomes: Array<number | string> = [];
    for (let i = 0; i < 5; i++) {
      try {
        const res = await fetch(`${zoom.baseUrl}${zoomFilePath('recordings', 'rec-hold')}?type=voice`, { headers: bearer });
        const body = await res.arrayBuffer();
        outcomes.push(res.status === 200 && body.byteLength !== 300_000 ? 'cut' : res.status);
      } catch {
        outcomes.push('cut');
      }
    }
    expect(outcomes).toEqual([429, 404, 404, 'cut', 200]);
    expect(zoom.faults.taken.http['429']).toBe((before.http['429'] ?? 0) + 1);
    expect(zoom.faults.taken.notReady).toBe(before.notReady + 2);
    expect(zoom.faults.taken.truncate).toBe(before.truncate + 1);
  });
});

describe('zoom mock: webhook delivery', () => {
  const note = (n: number): ZoomEnvelope => ({
    event: 'contact_center.engagement_note_added',
    event_ts: n,
    payload: { account_id: 'a', object: { engagement_id: 'e', note_id: `n${n}` } },
  });
  const noteOf = (body: string) => (JSON.parse(body) as { payload: { object: { note_id: string } } }).payload.object.note_id;

  it('sends a late event on its own timer: the events behind it are not held up', async () => {
    answerDelayMs = 20;
    const delivering = zoom.deliver([note(1), note(2), note(3), note(4)], {
      delay: { probability: 0.5, minMs: 400, maxMs: 400 },
      concurrency: 1,
      seed: 'late',
      retryDelaysMs: [],
      clock,
    });
    const late = clock.pending();
    expect(late).toBeGreaterThan(0);
    expect(late).toBeLessThan(4);
    // With one slot, a late event waiting in it would keep the others from going out while the clock stands still.
    await arrivals(4 - late);
    expect(received.map((r) => r.at)).toEqual(Array(4 - late).fill(clock.start));
    clock.advance(400);
    const report = await delivering;
    expect(report.delayed).toBe(late);
    expect(received.slice(4 - late).map((r) => r.at)).toEqual(Array(late).fill(clock.start + 400));
    expect(new Set(received.map((r) => noteOf(r.body)))).toEqual(new Set(['n1', 'n2', 'n3', 'n4']));
  });

  it('re-sends a duplicate 1.1–1.5 s after the original went out, signed at a later second', async () => {
    const delivering = zoom.deliver([note(1)], { duplicate: 1, seed: 'dup', retryDelaysMs: [], clock });
    await arrivals(1);
    clock.advance(1099);
    expect(clock.pending()).toBe(1);
    clock.advance(401);
    const report = await delivering;
    expect(report).toMatchObject({ duplicatesSent: 1, requests: 2, acknowledged: 1 });
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(1100);
    expect(received[1]!.at - received[0]!.at).toBeLessThanOrEqual(1500);
    expect(Number(received[1]!.timestamp)).toBeGreaterThan(Number(received[0]!.timestamp));
  });

  it('paces first deliveries at the given rate, in order', async () => {
    const delivering = zoom.deliver([note(1), note(2), note(3), note(4), note(5)], {
      ratePerSecond: 20,
      concurrency: 8,
      seed: 'paced',
      retryDelaysMs: [],
      clock,
    });
    // 5 events at 20/s: one every 50 ms of the clock, none before its time.
    for (let i = 1; i <= 5; i++) {
      await arrivals(i);
      expect(clock.pending()).toBe(5 - i);
      clock.advance(50);
    }
    await delivering;
    expect(received.map((r) => noteOf(r.body))).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    expect(received.map((r) => r.at - clock.start)).toEqual([0, 50, 100, 150, 200]);
  });
});
