/**
 * The Zoom mock's fault tools the chaos run relies on: a download held mid-body while the
 * test acts, counts of every fault applied, and webhook delivery as Zoom does it — late
 * events on their own timers (they do not hold up the others), duplicates re-sent after the
 * original at a later second, paced first deliveries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startZoomMock, type ZoomEnvelope, type ZoomMock, zoomFilePath } from '../../local/mocks/zoom';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

let zoom: ZoomMock;
let receiver: http.Server;
const received: Array<{ at: number; body: string; timestamp: string }> = [];
let answerDelayMs = 0;

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ at: Date.now(), body: Buffer.concat(chunks).toString('utf8'), timestamp: String(req.headers['x-zm-request-timestamp']) });
      setTimeout(() => res.writeHead(200).end('{}'), answerDelayMs);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', () => resolve()));
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS, webhook: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/`, secret: 'hook-secret' } });
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
    recordings: [{ recordingId: 'rec-hold', bytes: 300_000, contentType: 'audio/mpeg', startTime: '2026-11-21T10:00:00Z', endTime: '2026-11-21T10:05:00Z', durationSeconds: 300, transcript: false }],
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
  answerDelayMs = 0;
  zoom.faults.clear();
});

const token = async () =>
  ((await (
    await fetch(`${zoom.baseUrl}/oauth/token?grant_type=account_credentials&account_id=${ZOOM_CREDENTIALS.accountId}`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${ZOOM_CREDENTIALS.clientId}:${ZOOM_CREDENTIALS.clientSecret}`).toString('base64')}` },
    })
  ).json()) as { access_token: string }).access_token;

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
    // Nothing more comes while held.
    const next = reader.read();
    const early = await Promise.race([next.then(() => 'data'), new Promise((r) => setTimeout(() => r('quiet'), 150))]);
    expect(early).toBe('quiet');
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
  const note = (n: number): ZoomEnvelope => ({ event: 'contact_center.engagement_note_added', event_ts: n, payload: { account_id: 'a', object: { engagement_id: 'e', note_id: `n${n}` } } });
  const noteOf = (body: string) => (JSON.parse(body) as { payload: { object: { note_id: string } } }).payload.object.note_id;

  it('sends a late event on its own timer: the events behind it are not held up', async () => {
    answerDelayMs = 20;
    const report = await zoom.deliver([note(1), note(2), note(3), note(4)], { delay: { probability: 0.5, minMs: 400, maxMs: 400 }, concurrency: 1, seed: 'late', retryDelaysMs: [] });
    expect(report.delayed).toBeGreaterThan(0);
    expect(report.delayed).toBeLessThan(4);
    const order = received.map((r) => noteOf(r.body));
    // With one slot, a late event waiting in it would delay everything after it by 400 ms.
    const punctual = order.slice(0, 4 - report.delayed);
    expect(received[punctual.length - 1]!.at - received[0]!.at).toBeLessThan(300);
    expect(new Set(order)).toEqual(new Set(['n1', 'n2', 'n3', 'n4']));
  });

  it('re-sends a duplicate 1.1–1.5 s after the original went out, signed at a later second', async () => {
    const report = await zoom.deliver([note(1)], { duplicate: 1, seed: 'dup', retryDelaysMs: [] });
    expect(report).toMatchObject({ duplicatesSent: 1, requests: 2, acknowledged: 1 });
    expect(received).toHaveLength(2);
    expect(received[1]!.at - received[0]!.at).toBeGreaterThanOrEqual(1050);
    expect(received[1]!.timestamp).not.toBe(received[0]!.timestamp);
  });

  it('paces first deliveries at the given rate, in order', async () => {
    const started = Date.now();
    await zoom.deliver([note(1), note(2), note(3), note(4), note(5)], { ratePerSecond: 20, concurrency: 8, seed: 'paced', retryDelaysMs: [] });
    expect(received.map((r) => noteOf(r.body))).toEqual(['n1', 'n2', 'n3', 'n4', 'n5']);
    // 5 events at 20/s: the last leaves 200 ms after the first.
    expect(received[4]!.at - started).toBeGreaterThanOrEqual(190);
  });
});
