/**
 * interaction-worker end to end over in-memory Firestore/Storage/CRM and the real Zoom mock
 * (OAuth, downloads, faults): what is stored where, what the CRM gets, what the ledger says,
 * and which failures are retried (the handler throws) or recorded and acknowledged.
 */
import { createHash } from 'node:crypto';
import { createMemoryBlobStore, type MemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore, type MemoryDocStore } from '../support/doubles/memory-docstore';
import { AppError } from '../../shared/errors';
import { createMemoryCrm, type MemoryCrm } from '../support/doubles/memory-crm';
import type { Env } from '../../shared/config';
import { composeInteractionWorkerDelivery, type InteractionWorkerPorts, type PushDelivery } from '../../functions/interaction-worker/compose';
import type { ComposeOptions } from '../../shared/runtime';
import { createZoomHttp } from '../../shared/zoom/api-client';
import { LEDGER_COLLECTION, type LedgerDoc, ledgerDocSchema } from '../../shared/zoom/ledger';
import { verifyArtifactLinkToken } from '../../shared/zoom/artifact-link';
import { Secret } from '../../shared/config';
import { startZoomMock, type ZoomMock, type ZoomEnvelope, zoomFilePath } from '../../local/mocks/zoom';
import { noteItemKey } from '../../shared/zoom/item-keys';
import type { MockEngagement } from '../../local/mocks/zoom/model';
import { LINK_SECRET, pubSubPush, queuedEvent, workerEnv, ZOOM_CREDENTIALS } from '../support/zoom-fixture';

let zoom: ZoomMock;
let docs: MemoryDocStore;
let blobs: MemoryBlobStore;
let crm: MemoryCrm;
let worker: PushDelivery;

const engagement = (id: string, overrides: Partial<MockEngagement> = {}): MockEngagement => ({
  engagementId: id,
  channel: 'voice',
  direction: 'inbound',
  queueId: 'q-support',
  queueName: 'Support',
  agentId: 'u-alice',
  agentName: 'Alice Agent',
  consumerNumber: '+15550000000',
  startTime: '2026-11-20T10:00:00.000Z',
  endTime: '2026-11-20T10:05:00.000Z',
  recordings: [
    {
      recordingId: `rec-${id}`,
      bytes: 300_000,
      contentType: 'audio/mpeg',
      startTime: '2026-11-20T10:00:00.000Z',
      endTime: '2026-11-20T10:05:00.000Z',
      durationSeconds: 300,
      transcript: true,
    },
  ],
  notes: [],
  dispositions: [],
  voicemails: [],
  messagingTranscript: false,
  ...overrides,
});

function compose(overrides: Env = {}, ports: Partial<InteractionWorkerPorts> = {}, options: ComposeOptions = {}) {
  worker = composeInteractionWorkerDelivery(workerEnv(zoom.baseUrl, overrides), { docs, blobs, crm, ...ports }, { log: () => undefined, ...options });
}

beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
});
afterAll(() => zoom.stop());
beforeEach(() => {
  docs = createMemoryDocStore();
  blobs = createMemoryBlobStore('archive');
  crm = createMemoryCrm();
  zoom.faults.clear();
  compose();
});

const deliver = (envelope: ZoomEnvelope, source: 'webhook' | 'reconcile' = 'webhook') => worker(pubSubPush(queuedEvent(envelope, source)));
const ledgerOf = (id: string): LedgerDoc => ledgerDocSchema.parse(docs.dump(LEDGER_COLLECTION)[id]);
const eventOf = (id: string, type: string) => zoom.eventsFor(id).find((e) => e.event === type)!;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('interaction-worker: recordings', () => {
  it('streams the recording into the predictable path with metadata, links it in the CRM, and completes the ledger', async () => {
    zoom.addEngagement(engagement('e-100'));
    await deliver(eventOf('e-100', 'contact_center.recording_completed'));

    const path = 'zoom/2026/11/20/e-100/recording-rec-e-100.mp3';
    const stored = blobs.contents(path);
    expect(stored).toBeDefined();
    expect(sha256(stored!)).toBe(zoom.fileDigest(zoomFilePath('recordings', 'rec-e-100')).sha256);
    const info = await blobs.stat(path);
    expect(info).toMatchObject({
      contentType: 'audio/mpeg',
      metadata: {
        engagementId: 'e-100',
        queueId: 'q-support',
        agentId: 'u-alice',
        kind: 'recording',
        sourceBytes: '300000',
        engagementStart: '2026-11-20T10:00:00.000Z',
      },
    });

    const [record] = crm.records();
    expect(record).toMatchObject({ sessionId: 'e-100', channel: 'voice' });
    const [attachment] = crm.attachments(record!.id);
    expect(attachment).toMatchObject({ fileName: 'recording-rec-e-100.mp3', contentType: 'audio/mpeg' });
    const link = new URL(attachment!.url!);
    expect(link.origin).toBe('https://functions.example.test');
    expect(link.pathname).toBe('/zoom-webhook/artifacts/e-100/recording-rec-e-100');
    expect(verifyArtifactLinkToken([new Secret(LINK_SECRET)], 'e-100', 'recording-rec-e-100', link.searchParams.get('t')!)).toBe(true);
    expect(attachment!.url).not.toContain(zoom.baseUrl);

    const ledger = ledgerOf('e-100');
    expect(ledger.state).toBe('complete');
    expect(ledger.artifacts['recording-rec-e-100']).toMatchObject({ state: 'linked', path, bytes: 300_000 });
    expect(ledger.crmRecordId).toBe(record!.id);
  });

  it('treats a redelivered or duplicated event as a no-op (one download, one attachment)', async () => {
    zoom.addEngagement(engagement('e-101'));
    const event = eventOf('e-101', 'contact_center.recording_completed');
    const downloads = zoom.stats.downloads;
    await deliver(event);
    await deliver(event);
    await deliver(zoom.eventsFor('e-101').find((e) => e.event === 'contact_center.recording_completed')!);
    expect(zoom.stats.downloads - downloads).toBe(1);
    expect(crm.attachments()).toHaveLength(1);
    expect(crm.records()).toHaveLength(1);
  });

  it('links an artifact in the CRM once when two deliveries reach the link together (a CRM whose keyed write looks, then writes)', async () => {
    // Salesforce, ServiceNow and Zendesk have no atomic "create unless it exists": the adapters
    // look for the earlier attempt's marker, then write. Two deliveries doing that at once (a
    // redelivery while the first still waits on a slow CRM) would both write. This CRM looks,
    // then holds the write until the test lets it go; the second delivery arrives meanwhile.
    zoom.addEngagement(engagement('e-140'));
    const event = eventOf('e-140', 'contact_center.recording_completed');
    let looked = 0;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const lookThenWrite = {
      ...crm,
      addAttachment: async (recordId: string, a: Parameters<MemoryCrm['addAttachment']>[1]) => {
        const earlier = crm.attachments(recordId).find((x) => x.url === a.url);
        looked++;
        if (looked === 2) release();
        await gate;
        if (earlier) return { id: earlier.id };
        const { idempotencyKey: _unused, ...withoutKey } = a;
        return crm.addAttachment(recordId, withoutKey);
      },
    };
    compose({}, { crm: lookThenWrite });
    const first = deliver(event);
    while (looked === 0) await new Promise((r) => setImmediate(r));
    // The first delivery holds the link: the second is sent back to Pub/Sub, without writing.
    await expect(deliver(event)).rejects.toMatchObject({ retryable: true, status: 503 });
    release();
    await first;
    expect(crm.attachments()).toHaveLength(1);
    // Its redelivery finds the artifact linked.
    await deliver(event);
    expect(crm.attachments()).toHaveLength(1);
    expect(looked).toBe(1);
    expect(ledgerOf('e-140').artifacts['recording-rec-e-140']).toMatchObject({ state: 'linked' });
  });

  it('stores transcripts of recordings, voicemails and messaging sessions next to the engagement', async () => {
    zoom.addEngagement(engagement('e-102'));
    zoom.addEngagement(
      engagement('e-103', { recordings: [], voicemails: [{ messageId: 'vm-1', bytes: 50_000, at: '2026-11-20T10:05:00.000Z', transcript: true }] }),
    );
    zoom.addEngagement(engagement('e-104', { channel: 'messaging', recordings: [], messagingTranscript: true }));
    await deliver(eventOf('e-102', 'contact_center.recording_transcript_completed'));
    await deliver(eventOf('e-103', 'contact_center.voicemail_transcript_completed'));
    await deliver(eventOf('e-104', 'contact_center.engagement_messaging_transcript_completed'));
    const paths = (await blobs.list('zoom/')).map((b) => b.path).sort();
    expect(paths).toEqual([
      'zoom/2026/11/20/e-102/recording-rec-e-102-transcript.vtt',
      'zoom/2026/11/20/e-103/voicemail-vm-1-transcript.vtt',
      'zoom/2026/11/20/e-103/voicemail-vm-1.mp3',
      'zoom/2026/11/20/e-104/messaging-transcript.json',
    ]);
    expect(crm.attachments()).toHaveLength(4);
    expect(crm.records().find((r) => r.sessionId === 'e-104')?.channel).toBe('messaging');
  });

  it('stores a voicemail that has no transcript from the inbox event that announces it, once (the transcript event never comes)', async () => {
    zoom.addEngagement(
      engagement('e-105', { recordings: [], voicemails: [{ messageId: 'vm-5', bytes: 40_000, at: '2026-11-20T10:06:00.000Z', transcript: false }] }),
    );
    const events = zoom.eventsFor('e-105');
    expect(events.map((e) => e.event)).not.toContain('contact_center.voicemail_transcript_completed');
    const received = events.find((e) => e.event === 'contact_center.inbox_message_received')!;
    await deliver(received);
    await deliver(received);
    expect((await blobs.list('zoom/2026/11/20/e-105/')).map((b) => b.path)).toEqual(['zoom/2026/11/20/e-105/voicemail-vm-5.mp3']);
    expect(crm.attachments().filter((a) => a.fileName.includes('vm-5'))).toHaveLength(1);
  });

  it('retries a file that is not ready yet inside the invocation, after the configured waits', async () => {
    const slept: number[] = [];
    compose({}, {}, { sleep: async (ms) => void slept.push(ms) });
    zoom.addEngagement(engagement('e-110'));
    zoom.faults.fileNotReady({ pathIncludes: 'rec-e-110', times: 2, status: 409 });
    await deliver({ ...eventOf('e-110', 'contact_center.recording_completed'), event_ts: Date.now() });
    expect(ledgerOf('e-110').artifacts['recording-rec-e-110']?.state).toBe('linked');
    // ZOOM_NOT_READY_DELAYS_MS=10,20 (workerEnv): one wait per 409.
    expect(slept).toEqual([10, 20]);
  });

  it('hands a still-missing file back to Pub/Sub while the window is open, then stores it on redelivery', async () => {
    zoom.addEngagement(engagement('e-111'));
    zoom.faults.fileNotReady({ pathIncludes: 'rec-e-111', times: 3 });
    const event = { ...eventOf('e-111', 'contact_center.recording_completed'), event_ts: Date.now() };
    await expect(deliver(event)).rejects.toMatchObject({ retryable: true });
    expect(ledgerOf('e-111').artifacts['recording-rec-e-111']).toMatchObject({ state: 'pending', reason: expect.stringContaining('retrying') });
    await deliver(event);
    expect(ledgerOf('e-111').artifacts['recording-rec-e-111']?.state).toBe('linked');
  });

  it('records a file still missing after the window as a permanent failure and acknowledges', async () => {
    zoom.addEngagement(engagement('e-112'));
    zoom.faults.fileNotReady({ pathIncludes: 'rec-e-112', times: 5 });
    const event = { ...eventOf('e-112', 'contact_center.recording_completed'), event_ts: Date.now() - 700_000 };
    await expect(deliver(event)).resolves.toBeUndefined();
    const ledger = ledgerOf('e-112');
    expect(ledger.artifacts['recording-rec-e-112']).toMatchObject({ state: 'failed', reason: expect.stringContaining('not available') });
    expect(ledger.state).toBe('attention');
    expect(crm.attachments()).toHaveLength(0);
  });

  it('backs off on Zoom 429 for at least its Retry-After, and on 5xx, before trying the download again', async () => {
    // The worker's clock: every wait it asks for is recorded and returns at once.
    const slept: number[] = [];
    compose({ ZOOM_NOT_READY_DELAYS_MS: '2000,5000,10000' }, {}, { sleep: async (ms) => void slept.push(ms) });
    zoom.addEngagement(engagement('e-113'));
    zoom.faults.failHttp({ pathIncludes: 'rec-e-113', status: 429, times: 1, retryAfterSeconds: 2 });
    zoom.faults.failHttp({ pathIncludes: 'rec-e-113', status: 503, times: 1 });
    const downloads = zoom.stats.downloads;
    await deliver(eventOf('e-113', 'contact_center.recording_completed'));
    expect(ledgerOf('e-113').artifacts['recording-rec-e-113']?.state).toBe('linked');
    expect(zoom.stats.downloads - downloads).toBe(1);
    expect(slept).toHaveLength(2);
    expect(slept[0]).toBeGreaterThanOrEqual(2000);
    expect(slept[1]).toBeGreaterThan(0);
  });

  it('leaves a Zoom 429 whose Retry-After is longer than its own longest wait to Pub/Sub (retryable), not cut short', async () => {
    const slept: number[] = [];
    compose({ ZOOM_NOT_READY_DELAYS_MS: '10,20' }, {}, { sleep: async (ms) => void slept.push(ms) });
    zoom.addEngagement(engagement('e-118'));
    zoom.faults.failHttp({ pathIncludes: 'rec-e-118', status: 429, times: 1, retryAfterSeconds: 30 });
    const event = eventOf('e-118', 'contact_center.recording_completed');
    await expect(deliver(event)).rejects.toMatchObject({ retryable: true });
    expect(slept).toEqual([]);
    await deliver(event);
    expect(ledgerOf('e-118').artifacts['recording-rec-e-118']?.state).toBe('linked');
  });

  it("waits a download 429's Retry-After once (the Zoom client's retry, not the not-ready delays), through the injected sleep", async () => {
    const waits: number[] = [];
    compose({}, {}, { sleep: async (ms) => void waits.push(ms) });
    zoom.addEngagement(engagement('e-131'));
    zoom.faults.failHttp({ pathIncludes: 'rec-e-131', status: 429, times: 1, retryAfterSeconds: 3 });
    await deliver(eventOf('e-131', 'contact_center.recording_completed'));
    expect(ledgerOf('e-131').artifacts['recording-rec-e-131']?.state).toBe('linked');
    expect(waits).toEqual([3000]);
  });

  it('hands a 429 whose Retry-After is longer than an invocation should wait back to Pub/Sub, without waiting', async () => {
    const waits: number[] = [];
    compose({}, {}, { sleep: async (ms) => void waits.push(ms) });
    zoom.addEngagement(engagement('e-132'));
    zoom.faults.failHttp({ pathIncludes: 'rec-e-132', status: 429, times: 1, retryAfterSeconds: 120 });
    await expect(deliver(eventOf('e-132', 'contact_center.recording_completed'))).rejects.toMatchObject({ retryable: true, retryAfterSeconds: 120 });
    expect(waits).toEqual([]);
    expect(ledgerOf('e-132').artifacts['recording-rec-e-132']?.state).toBe('pending');
  });

  it('throws (retry) on persistent Zoom 5xx and leaves nothing marked complete', async () => {
    zoom.addEngagement(engagement('e-114'));
    zoom.faults.failHttp({ pathIncludes: 'rec-e-114', status: 502, times: 10 });
    await expect(deliver(eventOf('e-114', 'contact_center.recording_completed'))).rejects.toMatchObject({ retryable: true });
    expect(ledgerOf('e-114').artifacts['recording-rec-e-114']?.state).toBe('pending');
    expect(ledgerOf('e-114').state).toBe('open');
  });

  it('after a download cut off mid-body: no object, nothing complete; the redelivery stores the whole file', async () => {
    zoom.addEngagement(engagement('e-115'));
    zoom.faults.truncateDownload({ pathIncludes: 'rec-e-115', afterBytes: 100_000, times: 1 });
    const event = eventOf('e-115', 'contact_center.recording_completed');
    await expect(deliver(event)).rejects.toMatchObject({ retryable: true });
    expect(await blobs.list('zoom/')).toEqual([]);
    expect(ledgerOf('e-115').artifacts['recording-rec-e-115']?.state).toBe('pending');
    await deliver(event);
    const stored = blobs.contents('zoom/2026/11/20/e-115/recording-rec-e-115.mp3')!;
    expect(sha256(stored)).toBe(zoom.fileDigest(zoomFilePath('recordings', 'rec-e-115')).sha256);
  });

  it('never sends the Zoom token to a host outside the allow-list (permanent failure, no request leaves)', async () => {
    // Every request the worker's Zoom client starts, seen on its got instance.
    const started: string[] = [];
    compose({}, { zoomHttp: createZoomHttp().extend({ hooks: { beforeRequest: [(o) => void started.push(String(o.url))] } }) });
    zoom.addEngagement(engagement('e-116'));
    const event = eventOf('e-116', 'contact_center.recording_completed');
    const object = (event.payload as { object: Record<string, unknown> }).object;
    await deliver({ ...event, payload: { ...event.payload, object: { ...object, download_url: 'https://evil.example.com/steal' } } });
    expect(ledgerOf('e-116').artifacts['recording-rec-e-116']).toMatchObject({ state: 'failed', reason: expect.stringContaining('evil.example.com') });
    expect(started.filter((url) => !url.startsWith(zoom.baseUrl))).toEqual([]);
  });

  it('looks the download URL up through the REST API when the event has none', async () => {
    zoom.addEngagement(engagement('e-117'));
    const event = eventOf('e-117', 'contact_center.recording_completed');
    const { download_url: _omit, ...object } = (event.payload as { object: Record<string, unknown> }).object;
    await deliver({ ...event, payload: { ...event.payload, object } });
    expect(ledgerOf('e-117').artifacts['recording-rec-e-117']?.state).toBe('linked');
  });
});

describe('interaction-worker: CRM failures', () => {
  it('CRM 5xx: throws, keeps the stored object, and the redelivery links it without downloading again', async () => {
    zoom.addEngagement(engagement('e-120'));
    crm.failNext('addAttachment', () => new AppError('upstream_unavailable', 503, 'crm down', { retryable: true }), 1);
    const event = eventOf('e-120', 'contact_center.recording_completed');
    await expect(deliver(event)).rejects.toMatchObject({ status: 503 });
    expect(ledgerOf('e-120').artifacts['recording-rec-e-120']?.state).toBe('stored');
    const downloads = zoom.stats.downloads;
    await deliver(event);
    expect(zoom.stats.downloads).toBe(downloads);
    expect(crm.attachments()).toHaveLength(1);
    expect(ledgerOf('e-120').artifacts['recording-rec-e-120']?.state).toBe('linked');
  });

  it('CRM 429: retried by redelivery', async () => {
    zoom.addEngagement(engagement('e-121', { notes: [{ noteId: 'n1', note: 'hello', userId: 'u', userName: 'U', createdTime: '2026-11-20T10:01:00.000Z' }] }));
    crm.failNext('addComment', () => new AppError('rate_limited', 429, 'slow down', { retryable: true, retryAfterSeconds: 1 }), 1);
    const note = eventOf('e-121', 'contact_center.engagement_note_added');
    await expect(deliver(note)).rejects.toMatchObject({ status: 429 });
    await deliver(note);
    expect(crm.comments().map((c) => c.body)).toEqual(['hello']);
  });

  it('CRM 4xx: recorded in the ledger as failed with the reason, acknowledged', async () => {
    zoom.addEngagement(engagement('e-122'));
    crm.failNext('addAttachment', () => new AppError('bad_request', 400, 'crm rejected the request: file name too long', { retryable: false }), 1);
    await expect(deliver(eventOf('e-122', 'contact_center.recording_completed'))).resolves.toBeUndefined();
    expect(ledgerOf('e-122').artifacts['recording-rec-e-122']).toMatchObject({
      state: 'failed',
      reason: expect.stringContaining('crm: bad_request: HTTP 400'),
    });
  });
});

describe('interaction-worker: notes and dispositions', () => {
  const notes = [1, 2, 3].map((i) => ({
    noteId: `n${i}`,
    note: `note ${i}`,
    userId: 'u-alice',
    userName: 'Alice',
    createdTime: `2026-11-20T10:0${i}:00.000Z`,
  }));
  const dispositions = [
    { dispositionId: 'd-escalated', dispositionName: 'Escalated', userId: 'u-alice', at: '2026-11-20T10:04:00.000Z' },
    { dispositionId: 'd-resolved', dispositionName: 'Resolved', userId: 'u-bob', at: '2026-11-20T10:04:30.000Z' },
  ];

  it('writes each distinct one once, in event order, even when delivered reversed and concurrently', async () => {
    compose({ ZOOM_ITEM_SETTLE_MS: '150' });
    zoom.addEngagement(engagement('e-130', { recordings: [], notes, dispositions }));
    const ordered = zoom.eventsFor('e-130');
    // Same relative order as the originals, times near now so the settle window applies.
    const base = Date.now();
    const recent = ordered.map((e, i) => ({ ...e, event_ts: base + i }));
    expect(recent).toHaveLength(5);
    await Promise.all([...recent].reverse().map((e) => deliver(e)));
    // Repeats are no-ops.
    await Promise.all(recent.map((e) => deliver(e)));
    const record = crm.records()[0]!;
    expect(crm.comments(record.id).map((c) => c.body)).toEqual(['note 1', 'note 2', 'note 3']);
    expect(record.disposition).toBe('Resolved');
    const updates = crm.calls.filter((c) => c.method === 'updateRecord' && c.outcome === 'ok').map((c) => (c.args[1] as { disposition: string }).disposition);
    expect(updates).toEqual(['Escalated', 'Resolved']);
    expect(ledgerOf('e-130').state).toBe('complete');
  });

  it('records a disposition older than the applied one as superseded instead of overwriting it', async () => {
    zoom.addEngagement(engagement('e-131', { recordings: [], dispositions }));
    const [older, newer] = zoom.eventsFor('e-131');
    await deliver(newer!);
    await deliver(older!);
    expect(crm.records()[0]!.disposition).toBe('Resolved');
    expect(
      Object.values(ledgerOf('e-131').items)
        .map((i) => i.state)
        .sort(),
    ).toEqual(['superseded', 'written']);
  });

  it('treats the same disposition set twice (one key) as one item, whichever event comes first (found by npm run chaos)', async () => {
    const twice = [
      { dispositionId: 'd-resolved', dispositionName: 'Resolved', userId: 'u-alice', at: '2026-11-20T10:04:00.000Z' },
      { dispositionId: 'd-resolved', dispositionName: 'Resolved', userId: 'u-bob', at: '2026-11-20T10:04:30.000Z' },
    ];
    zoom.addEngagement(engagement('e-133', { recordings: [], dispositions: twice }));
    const [first, second] = zoom.eventsFor('e-133');
    // The first event registers the key, then the CRM fails it for now; the second event of the
    // same key writes it — and a redelivery of the first must find it done, not superseded by itself.
    crm.failNext('updateRecord', () => new AppError('upstream_unavailable', 503, 'crm down', { retryable: true }), 1);
    await expect(deliver(first!)).rejects.toMatchObject({ status: 503 });
    await deliver(second!);
    await deliver(first!);
    const doc = ledgerOf('e-133');
    const items = Object.values(doc.items);
    expect(items.map((i) => i.state)).toEqual(['written']);
    expect(doc.dispositionTs).toBe(items[0]!.eventTs);
    expect(crm.records().find((r) => r.sessionId === 'e-133')?.disposition).toBe('Resolved');
  });

  it('keeps an item whose CRM write outlasts the claim lease, renewing it; a redelivery meanwhile waits, then asks again; one comment', async () => {
    // The worker's clock is ours; the renewals run on the process's timers and stamp our clock.
    let clock = Date.now();
    const renewed: Array<() => void> = [];
    const renewal = () => new Promise<void>((resolve) => renewed.push(resolve));
    const spied = {
      ...docs,
      update: async (...args: Parameters<MemoryDocStore['update']>) => {
        await docs.update(...args);
        const fields = Object.keys(args[2]);
        if (fields.length === 2 && fields.some((f) => /^items\..+\.updatedAt$/.test(f))) for (const r of renewed.splice(0)) r();
      },
    };
    let release!: () => void;
    const writing = new Promise<void>((resolve) => {
      release = resolve;
    });
    let entered!: () => void;
    const inCrm = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const slowCrm = {
      ...crm,
      addComment: async (...args: Parameters<MemoryCrm['addComment']>) => {
        entered();
        await writing;
        return crm.addComment(...args);
      },
    };
    compose(
      { ZOOM_ITEM_CLAIM_LEASE_MS: '300', ZOOM_ITEM_ORDER_WAIT_MS: '200' },
      { docs: spied, crm: slowCrm },
      {
        now: () => clock,
        sleep: async (ms) => {
          clock += ms;
        },
      },
    );
    zoom.addEngagement(engagement('e-134', { recordings: [], notes: [notes[0]!] }));
    const [note] = zoom.eventsFor('e-134');
    const first = deliver(note!);
    await inCrm;
    // Two renewals, at +200 and +400 ms of the worker's clock: past the lease since the claim (300 ms).
    clock += 200;
    await renewal();
    clock += 200;
    await renewal();
    await expect(deliver(note!)).rejects.toMatchObject({ status: 503, message: expect.stringContaining('another delivery is writing') });
    release();
    await first;
    await deliver(note!);
    expect(crm.comments().map((c) => c.body)).toEqual(['note 1']);
    expect(Object.values(ledgerOf('e-134').items).map((i) => i.state)).toEqual(['written']);
  });

  it('does not write a disposition twice when a crash fell between the CRM write and the ledger', async () => {
    zoom.addEngagement(engagement('e-132', { recordings: [], dispositions: [dispositions[0]!] }));
    const [event] = zoom.eventsFor('e-132');
    await deliver(event!);
    // Simulate the lost ledger write: the item is pending again although the CRM has it.
    const key = Object.keys(ledgerOf('e-132').items)[0]!;
    await docs.update(LEDGER_COLLECTION, 'e-132', { [`items.${key}.state`]: 'pending' });
    await deliver(event!);
    expect(crm.calls.filter((c) => c.method === 'updateRecord' && c.outcome === 'ok')).toHaveLength(1);
  });
});

describe('interaction-worker: the last delivery (found by npm run chaos)', () => {
  const attempt = (envelope: ZoomEnvelope, deliveryAttempt: number, source: 'webhook' | 'reconcile' = 'webhook') =>
    worker(pubSubPush(queuedEvent(envelope, source), undefined, deliveryAttempt));

  it('records what still fails on the last delivery as given up and acknowledges; the reconciliation\u2019s event stores it', async () => {
    compose({ PUBSUB_MAX_DELIVERY_ATTEMPTS: '3' });
    zoom.addEngagement(engagement('e-150'));
    zoom.faults.failHttp({ pathIncludes: 'recording/download/rec-e-150', status: 500, times: 1000 });
    const event = eventOf('e-150', 'contact_center.recording_completed');
    await expect(attempt(event, 2)).rejects.toMatchObject({ status: 503 });
    expect(ledgerOf('e-150').artifacts['recording-rec-e-150']).toMatchObject({ state: 'pending', reason: expect.stringMatching(/^retrying: zoom/) });
    // The third delivery is the subscription's last: Pub/Sub would dead-letter it.
    await expect(attempt(event, 3)).resolves.toBeUndefined();
    expect(ledgerOf('e-150').artifacts['recording-rec-e-150']).toMatchObject({
      state: 'failed',
      gaveUp: true,
      reason: expect.stringMatching(/^gave up after 3 deliveries: .*HTTP 500/),
    });
    expect(ledgerOf('e-150').state).toBe('attention');
    zoom.faults.clear();
    // A webhook duplicate does not revive it; the reconciliation's event does.
    const downloads = zoom.stats.downloads;
    await attempt(event, 1);
    expect(zoom.stats.downloads).toBe(downloads);
    expect(ledgerOf('e-150').artifacts['recording-rec-e-150']?.state).toBe('failed');
    await attempt(event, 1, 'reconcile');
    expect(ledgerOf('e-150').artifacts['recording-rec-e-150']).toMatchObject({ state: 'linked' });
    expect(ledgerOf('e-150').state).toBe('complete');
  });

  it('gives up on a note the CRM kept refusing for now, does not hold later ones up for it, and writes it when the reconciliation asks', async () => {
    compose({ PUBSUB_MAX_DELIVERY_ATTEMPTS: '5', ZOOM_ITEM_SETTLE_MS: '0', ZOOM_ITEM_ORDER_WAIT_MS: '100' });
    const two = [1, 2].map((i) => ({ noteId: `n${i}`, note: `note ${i}`, userId: 'u-alice', userName: 'Alice', createdTime: `2026-11-20T10:0${i}:00.000Z` }));
    zoom.addEngagement(engagement('e-151', { recordings: [], notes: two }));
    const [first, second] = zoom.eventsFor('e-151');
    crm.failNext('addComment', () => new AppError('upstream_unavailable', 503, 'crm down', { retryable: true }), 1);
    await expect(attempt(first!, 5)).resolves.toBeUndefined();
    expect(ledgerOf('e-151').items[noteItemKey({ note: 'note 1' })]).toMatchObject({ state: 'failed', gaveUp: true });
    // The later note does not wait for one nobody is working on any more.
    await attempt(second!, 1);
    expect(crm.comments().map((c) => c.body)).toEqual(['note 2']);
    await attempt(first!, 1, 'reconcile');
    expect(
      crm
        .comments()
        .map((c) => c.body)
        .sort(),
    ).toEqual(['note 1', 'note 2']);
    expect(ledgerOf('e-151').items[noteItemKey({ note: 'note 1' })]).toMatchObject({ state: 'written' });
  });

  it('keeps throwing (the dead-letter topic is the net) when the delivery count is unknown or giving up is off', async () => {
    zoom.addEngagement(engagement('e-152'));
    zoom.faults.failHttp({ pathIncludes: 'recording/download/rec-e-152', status: 500, times: 1000 });
    const event = eventOf('e-152', 'contact_center.recording_completed');
    compose({ PUBSUB_MAX_DELIVERY_ATTEMPTS: '3' });
    await expect(deliver(event)).rejects.toMatchObject({ status: 503 });
    compose({ PUBSUB_MAX_DELIVERY_ATTEMPTS: '0' });
    await expect(attempt(event, 99)).rejects.toMatchObject({ status: 503 });
    expect(ledgerOf('e-152').artifacts['recording-rec-e-152']?.state).toBe('pending');
  });

  it('leaves a refused item failed for good: the reconciliation\u2019s event does not rewrite it', async () => {
    zoom.addEngagement(
      engagement('e-153', { recordings: [], notes: [{ noteId: 'n1', note: 'no', userId: 'u', userName: 'U', createdTime: '2026-11-20T10:01:00.000Z' }] }),
    );
    const [note] = zoom.eventsFor('e-153');
    crm.failNext('addComment', () => new AppError('bad_request', 400, 'comment refused', { retryable: false }), 1);
    await deliver(note!);
    await deliver(note!, 'reconcile');
    expect(ledgerOf('e-153').items[noteItemKey({ note: 'no' })]).toMatchObject({ state: 'failed', gaveUp: false });
    expect(crm.comments()).toEqual([]);
  });
});

describe('interaction-worker: messages it cannot use', () => {
  it('acknowledges unknown event types and malformed messages without retrying', async () => {
    await expect(deliver({ event: 'contact_center.something_new', event_ts: 1, payload: { account_id: 'a', object: {} } })).resolves.toBeUndefined();
    await expect(worker(pubSubPush({ not: 'a queued event' }))).resolves.toBeUndefined();
    await expect(
      deliver({ event: 'contact_center.recording_completed', event_ts: 1, payload: { account_id: 'a', object: { engagement_id: 'x' } } }),
    ).resolves.toBeUndefined();
    expect(docs.dump(LEDGER_COLLECTION)).toEqual({});
  });

  it('acknowledges an event whose time no Date can hold instead of failing on every redelivery (found by npm run fuzz)', async () => {
    await expect(
      deliver({
        event: 'contact_center.engagement_note_added',
        event_ts: 9_000_000_000_000_000,
        payload: { account_id: 'a', object: { engagement_id: 'e-time', note_id: 'n1', note: 'x' } },
      }),
    ).resolves.toBeUndefined();
    expect(docs.dump(LEDGER_COLLECTION)).toEqual({});
  });

  it('fetches one OAuth token for many events', async () => {
    const before = zoom.tokensIssued;
    for (const id of ['e-140', 'e-141', 'e-142']) {
      zoom.addEngagement(engagement(id));
      await deliver(eventOf(id, 'contact_center.recording_completed'));
    }
    expect(zoom.tokensIssued - before).toBe(1);
  });
});
