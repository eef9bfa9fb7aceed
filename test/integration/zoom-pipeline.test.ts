/**
 * The Zoom pipeline on the local stack, through the real clients: the Zoom mock sends
 * signed webhooks → zoom-webhook (Firestore stand-in, Pub/Sub emulator) → push →
 * interaction-worker → Zoom mock downloads → Storage emulator, and the crm function in mock
 * mode. Duplicated and reordered deliveries, a storage failure mid-upload, a download cut
 * off mid-body, CRM failures then retries, a message that ends in the dead-letter topic.
 */
import { createHash } from 'node:crypto';
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createFirestore, createPubSub, createStorage } from '../../shared/google';
import type { DocStore } from '../../shared/ports/docstore';
import { LEDGER_COLLECTION, type LedgerDoc, ledgerDocSchema } from '../../shared/zoom/ledger';
import { type Stack, startStack } from '../../local/stack';
import type { MockEngagement } from '../../local/mocks/zoom/model';
import { zoomFilePath } from '../../local/mocks/zoom';
import { nowSeconds, zoomSignature } from '../support/zoom-fixture';

let stack: Stack;
let docs: DocStore;

beforeAll(async () => {
  stack = await startStack({
    functions: ['crm', 'zoom-webhook', 'interaction-worker'],
    pushBackoff: { min: 0.05, max: 0.2 },
    maxDeliveryAttempts: 5,
    envOverrides: {
      LOG_LEVEL: 'error',
      ZOOM_NOT_READY_DELAYS_MS: '20,50',
      ZOOM_API_RETRY_BASE_MS: '5',
      ZOOM_ITEM_SETTLE_MS: '1000',
      ZOOM_ITEM_ORDER_WAIT_MS: '3000',
      CRM_RETRY_LIMIT: '0',
    },
  });
  docs = createFirestoreDocStore(createFirestore(stack.env['GCP_PROJECT']!, '(default)'));
}, 60_000);
afterAll(() => stack?.stop());

const adminHeaders = () => ({ authorization: `Bearer ${stack.env['CRM_ADMIN_TOKEN']}`, 'content-type': 'application/json' });
const crmData = async () =>
  (await (await fetch(`${stack.functions['crm']}/admin/data`, { headers: adminHeaders() })).json()) as {
    records: Array<{ id: string; sessionId?: string; disposition?: string }>;
    comments: Array<{ recordId: string; body: string; createdAt?: string }>;
    attachments: Array<{ recordId: string; url?: string; fileName: string }>;
  };
const ledgerOf = async (id: string): Promise<LedgerDoc | undefined> => {
  const raw = await docs.get(LEDGER_COLLECTION, id);
  return raw ? ledgerDocSchema.parse(raw) : undefined;
};
const bucket = () => createStorage(stack.env['GCP_PROJECT']!).bucket(stack.env['ARCHIVE_BUCKET']!);
const sha256Of = async (path: string) => {
  const [bytes] = await bucket().file(path).download();
  return createHash('sha256').update(bytes).digest('hex');
};
/** Reads what the dead-letter topic holds through its inspection subscription: as many messages as it counts, each waited for. */
async function deadLetteredRecordingIds(): Promise<string[]> {
  const held = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/zoom-events-dead-letter-inspect'))?.[1].outstanding ?? 0;
  if (held === 0) return [];
  const pubsub = createPubSub(stack.env['GCP_PROJECT']!);
  const subscription = pubsub.subscription('zoom-events-dead-letter-inspect');
  const ids: string[] = [];
  await new Promise<void>((resolve) => {
    subscription.on('message', (m: { data: Buffer; ack(): void }) => {
      m.ack();
      ids.push(
        String((JSON.parse(m.data.toString()) as { envelope: { payload: { object: { recording_id?: string } } } }).envelope.payload.object.recording_id),
      );
      if (ids.length >= held) resolve();
    });
  });
  await subscription.close();
  await pubsub.close();
  return ids;
}
const drain = () => stack.pubsub.drain(30_000);
/** Events of the given engagements, re-dated to now so the not-ready window is open. */
const eventsOf = (ids: string[]) => {
  const base = Date.now() - 60_000;
  return ids.flatMap((id) => stack.zoom.eventsFor(id)).map((e, i) => ({ ...e, event_ts: base + i * 10 }));
};

describe('Zoom pipeline on the local stack', () => {
  it('a batch with duplicated and reordered deliveries: every artifact stored once, checksums equal, CRM written once each', async () => {
    const day = stack.zoom.generateDay({ seed: 'pipeline', date: '2026-11-18', engagements: 10, recordingBytes: { min: 100_000, max: 600_000 } });
    const events = eventsOf(day.map((e) => e.engagementId));
    const report = await stack.zoom.deliver(events, { duplicate: 0.4, reorderWindow: 5, concurrency: 8, seed: 'pipeline', retryDelaysMs: [200, 400] });
    expect(report.acknowledged).toBe(events.length);
    await drain();

    const data = await crmData();
    const [objects] = await bucket().getFiles({ prefix: 'zoom/' });
    for (const e of day) {
      const ledger = await ledgerOf(e.engagementId);
      const checked: string[] = [];
      expect({ id: e.engagementId, state: ledger?.state }).toEqual({ id: e.engagementId, state: 'complete' });
      for (const file of stack.zoom.filesOf(e.engagementId)) {
        const artifact = Object.values(ledger!.artifacts).find(
          (a) =>
            a.path.endsWith(file.path.includes('transcript') ? 'transcript.vtt' : '') &&
            a.sourceId &&
            file.path.includes(encodeURIComponent(a.sourceId)) &&
            a.kind.includes('transcript') === file.path.includes('transcript'),
        );
        const path = artifact?.path ?? Object.values(ledger!.artifacts).find((a) => a.kind === 'messaging_transcript')!.path;
        expect(await sha256Of(path)).toBe(stack.zoom.fileDigest(file.path).sha256);
        checked.push(path);
      }
      // Once: the bucket holds exactly one object per Zoom file of the engagement, nothing beside them.
      const stored = objects.map((o) => o.name).filter((name) => name.includes(`/${e.engagementId}/`));
      expect({ id: e.engagementId, stored: stored.sort() }).toEqual({ id: e.engagementId, stored: [...new Set(checked)].sort() });
      expect(checked).toHaveLength(stack.zoom.filesOf(e.engagementId).length);
      const records = data.records.filter((r) => r.sessionId === e.engagementId);
      expect(records).toHaveLength(1);
      const comments = data.comments
        .filter((c) => c.recordId === records[0]!.id)
        .sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? ''))
        .map((c) => c.body);
      // Exactly once each; strict order is the next test's subject (here push slots are saturated
      // by a whole batch, so an earlier note can reach the worker after a later one was written).
      expect([...comments].sort()).toEqual(e.notes.map((n) => n.note).sort());
      expect(data.attachments.filter((a) => a.recordId === records[0]!.id)).toHaveLength(stack.zoom.filesOf(e.engagementId).length);
      const dispositionStates = Object.values(ledger!.items)
        .filter((i) => i.kind === 'disposition')
        .map((i) => i.state);
      expect(dispositionStates.every((state) => state === 'written' || state === 'superseded')).toBe(true);
    }
    const trigger = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-push'))![1];
    expect(trigger.deadLettered).toBe(0);
  });

  it('notes and dispositions delivered in reverse, with duplicates, reach the CRM once each and in event order', async () => {
    const base = stack.zoom.generateDay({ seed: 'order', date: '2026-11-13', engagements: 1 })[0]!;
    const at = (minute: number) => new Date(Date.parse(base.startTime) + minute * 60_000).toISOString();
    const engagement: MockEngagement = {
      ...base,
      engagementId: 'eng-order-1',
      recordings: [],
      voicemails: [],
      messagingTranscript: false,
      notes: [1, 2, 3].map((i) => ({ noteId: `n${i}`, note: `note ${i}`, userId: 'u-alice', userName: 'Alice', createdTime: at(i) })),
      dispositions: [
        { dispositionId: 'd-escalated', dispositionName: 'Escalated', userId: 'u-alice', at: at(4) },
        { dispositionId: 'd-resolved', dispositionName: 'Resolved', userId: 'u-bob', at: at(5) },
      ],
    };
    stack.zoom.addEngagement(engagement);
    const events = eventsOf(['eng-order-1']).reverse();
    const report = await stack.zoom.deliver(events, { duplicate: 1, concurrency: 5, seed: 'order', retryDelaysMs: [] });
    expect(report.duplicatesSent).toBe(5);
    await drain();
    const data = await crmData();
    const record = data.records.find((r) => r.sessionId === 'eng-order-1')!;
    const comments = data.comments
      .filter((c) => c.recordId === record.id)
      .sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? ''))
      .map((c) => c.body);
    expect(comments).toEqual(['note 1', 'note 2', 'note 3']);
    expect(record.disposition).toBe('Resolved');
    expect((await ledgerOf('eng-order-1'))?.state).toBe('complete');
  });

  it('the CRM link redirects to a short-lived signed URL serving the stored bytes', async () => {
    const base = stack.zoom.generateDay({ seed: 'link', date: '2026-11-17', engagements: 1 })[0]!;
    const engagement: MockEngagement = { ...base, engagementId: 'eng-link-1', voicemails: [], messagingTranscript: false, notes: [], dispositions: [] };
    engagement.recordings = [
      {
        recordingId: 'rec-link-1',
        bytes: 70_000,
        contentType: 'audio/mpeg',
        startTime: base.startTime,
        endTime: base.endTime,
        durationSeconds: 5,
        transcript: false,
      },
    ];
    stack.zoom.addEngagement(engagement);
    await stack.zoom.deliver(
      eventsOf([engagement.engagementId]).filter((e) => e.event === 'contact_center.recording_completed'),
      { retryDelaysMs: [] },
    );
    await drain();
    const data = await crmData();
    const record = data.records.find((r) => r.sessionId === engagement.engagementId)!;
    const link = data.attachments.find((a) => a.recordId === record.id)!.url!;
    expect(link.startsWith(`${stack.env['PUBLIC_BASE_URL']}/zoom-webhook/artifacts/`)).toBe(true);
    const redirect = await fetch(link, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    const signed = redirect.headers.get('location')!;
    expect(signed).toContain('X-Goog-Signature=');
    expect(signed).toContain('X-Goog-Expires=300');
    const bytes = Buffer.from(await (await fetch(signed)).arrayBuffer());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(
      stack.zoom.fileDigest(zoomFilePath('recordings', engagement.recordings[0]!.recordingId)).sha256,
    );
    const forged = new URL(link);
    forged.searchParams.set('t', 'x'.repeat(43));
    expect((await fetch(forged, { redirect: 'manual' })).status).toBe(403);
  });

  it('a storage failure mid-upload and a download cut off mid-body: redelivery stores the whole file, nothing half-written', async () => {
    const engagement: MockEngagement = {
      ...stack.zoom.generateDay({ seed: 'crash', date: '2026-11-16', engagements: 1 })[0]!,
      engagementId: 'eng-crash-1',
      notes: [],
      dispositions: [],
      voicemails: [],
      messagingTranscript: false,
    };
    engagement.recordings = [
      {
        recordingId: 'rec-crash-1',
        bytes: 12 * 1024 * 1024,
        contentType: 'audio/mpeg',
        startTime: engagement.startTime,
        endTime: engagement.endTime,
        durationSeconds: 60,
        transcript: false,
      },
    ];
    stack.zoom.addEngagement(engagement);
    // First delivery: the download stops after 3 MiB. Second: Storage answers 503 to the upload.
    stack.zoom.faults.truncateDownload({ pathIncludes: 'rec-crash-1', afterBytes: 3 * 1024 * 1024, times: 1 });
    stack.storage.injectFault({ method: 'PUT', pathIncludes: 'upload', status: 503, times: 1 });
    stack.storage.injectFault({ method: 'POST', pathIncludes: 'rec-crash-1', status: 503, times: 1 });
    await stack.zoom.deliver(eventsOf(['eng-crash-1']), { retryDelaysMs: [] });
    await drain();
    const ledger = await ledgerOf('eng-crash-1');
    const artifact = ledger!.artifacts['recording-rec-crash-1']!;
    expect(artifact.state).toBe('linked');
    expect(await sha256Of(artifact.path)).toBe(stack.zoom.fileDigest(zoomFilePath('recordings', 'rec-crash-1')).sha256);
    const trigger = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-push'))![1];
    expect(trigger.failedAttempts).toBeGreaterThanOrEqual(1);
    expect(stack.storage.listAll().filter((o) => o.name.includes('rec-crash-1'))).toHaveLength(1);
  });

  it('CRM 503 then recovery: the retry writes the attachment and the comment exactly once', async () => {
    const base = stack.zoom.generateDay({ seed: 'crm-fail', date: '2026-11-15', engagements: 1 })[0]!;
    const engagement: MockEngagement = {
      ...base,
      engagementId: 'eng-crm-1',
      voicemails: [],
      messagingTranscript: false,
      dispositions: [],
      notes: [{ noteId: 'n-1', note: 'only once', userId: 'u', userName: 'U', createdTime: base.startTime }],
    };
    engagement.recordings = [
      {
        recordingId: 'rec-crm-1',
        bytes: 50_000,
        contentType: 'audio/mpeg',
        startTime: base.startTime,
        endTime: base.endTime,
        durationSeconds: 30,
        transcript: false,
      },
    ];
    stack.zoom.addEngagement(engagement);
    for (const operation of ['addAttachment', 'addComment']) {
      const res = await fetch(`${stack.functions['crm']}/admin/faults`, {
        method: 'POST',
        headers: adminHeaders(),
        body: JSON.stringify({ operation, status: 503, times: 2 }),
      });
      expect(res.status).toBeLessThan(300);
    }
    const failedDeliveries = () => Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-push'))![1].failedAttempts;
    const failedBefore = failedDeliveries();
    await stack.zoom.deliver(eventsOf(['eng-crm-1']), { retryDelaysMs: [] });
    await drain();
    // The 503s did happen: deliveries failed and were retried.
    expect(failedDeliveries()).toBeGreaterThan(failedBefore);
    const data = await crmData();
    const record = data.records.find((r) => r.sessionId === 'eng-crm-1')!;
    expect(data.attachments.filter((a) => a.recordId === record.id)).toHaveLength(1);
    expect(data.comments.filter((c) => c.recordId === record.id).map((c) => c.body)).toEqual(['only once']);
    expect((await ledgerOf('eng-crm-1'))?.state).toBe('complete');
  });

  it(
    'a file Zoom keeps failing on is given up on the last of N ' + 'deliveries: failed in the ledger with the reason, ' + 'acknowledged, nothing dead-lettered',
    async () => {
      const base = stack.zoom.generateDay({ seed: 'dead', date: '2026-11-14', engagements: 1 })[0]!;
      const engagement: MockEngagement = { ...base, engagementId: 'eng-dead-1', voicemails: [], messagingTranscript: false, notes: [], dispositions: [] };
      engagement.recordings = [
        {
          recordingId: 'rec-dead-1',
          bytes: 1000,
          contentType: 'audio/mpeg',
          startTime: base.startTime,
          endTime: base.endTime,
          durationSeconds: 1,
          transcript: false,
        },
      ];
      stack.zoom.addEngagement(engagement);
      stack.zoom.faults.failHttp({ pathIncludes: 'rec-dead-1', status: 500, times: 1000 });
      await stack.zoom.deliver(eventsOf(['eng-dead-1']), { retryDelaysMs: [] });
      await drain();
      stack.zoom.faults.clear();
      const trigger = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-push'))![1];
      // The stack's subscriptions dead-letter after 5 deliveries, and the worker knows it (PUBSUB_MAX_DELIVERY_ATTEMPTS).
      expect(trigger.deadLettered).toBe(0);
      expect(await deadLetteredRecordingIds()).not.toContain('rec-dead-1');
      expect((await ledgerOf('eng-dead-1'))?.artifacts['recording-rec-dead-1']).toMatchObject({
        state: 'failed',
        gaveUp: true,
        reason: expect.stringMatching(/^gave up after 5 deliveries: .*HTTP 500/),
      });
      expect((await ledgerOf('eng-dead-1'))?.state).toBe('attention');
    },
  );

  it('a bad signature is refused with 401 and nothing reaches Pub/Sub', async () => {
    const published = () => Object.values(stack.pubsub.stats()).reduce((n, s) => n + s.delivered, 0);
    const before = published();
    const body = JSON.stringify({
      event: 'contact_center.recording_completed',
      event_ts: Date.now(),
      payload: { object: { recording_id: 'r', engagement_id: 'e' } },
    });
    const ts = nowSeconds();
    const res = await fetch(stack.functions['zoom-webhook']!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-zm-request-timestamp': String(ts), 'x-zm-signature': zoomSignature('wrong-secret-000', ts, body) },
      body,
    });
    expect(res.status).toBe(401);
    await drain();
    expect(published()).toBe(before);
  });
});
