import { createEventKeyStore } from '../../functions/zoom-webhook/event-keys';
import { createConversationStore } from '../../functions/ui-connector/conversation-store';
import { createKeyResolver } from '../../functions/ui-connector/conversation-keys';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { markOf } from '../../shared/reconcile/process-slice';
import { createReconcileStore } from '../../shared/reconcile/store';
import { dayView } from '../../shared/trace/day';
import { traceInteraction } from '../../shared/trace/trace';
import { createLedger } from '../../shared/zoom/ledger';

const HASH_KEY = 'k'.repeat(32);

async function setup() {
  let clock = new Date('2026-12-03T10:15:00Z');
  const now = () => clock;
  const docs = createMemoryDocStore(now);
  const blobs = createMemoryBlobStore('archive');
  const ledger = createLedger(docs);
  const keys = createEventKeyStore(docs, { keyTtlMs: 86_400_000 });
  const deps = { docs, blobs, retryFailedArtifacts: true, conversations: { collection: 'conversations', hashKey: HASH_KEY, defaultCountry: 'US' as const } };
  return { docs, blobs, ledger, keys, deps, setClock: (iso: string) => (clock = new Date(iso)) };
}

describe('trace of one interaction', () => {
  it(
    'a complete engagement: webhook with its suppressed ' +
      'duplicate, Pub/Sub, stored object with size and ' +
      'generation, written disposition, verdict complete',
    async () => {
      const s = await setup();
      await s.keys.record({
        key: 'k1',
        event: 'contact_center.recording_completed',
        engagementId: 'E1',
        body: '{}',
        receivedAt: new Date('2026-12-03T10:00:00Z'),
        signature: 'sig1',
        fresh: true,
      });
      expect(
        await s.keys.record({
          key: 'k1',
          event: 'contact_center.recording_completed',
          engagementId: 'E1',
          body: '{}',
          receivedAt: new Date('2026-12-03T10:00:01Z'),
          signature: 'sig2',
          fresh: true,
        }),
      ).toBe('recorded_not_published');
      await s.keys.markPublished('k1', 'm-1');
      await s.ledger.open('E1', { queueId: 'q' });
      await s.ledger.setFields('E1', { crmRecordId: 'R1' });
      await s.ledger.registerArtifact('E1', 'recording', { kind: 'recording', path: 'zoom/E1/rec.mp3', sourceId: 'rec1' });
      const info = await s.blobs.write('zoom/E1/rec.mp3', Buffer.from('audio'));
      await s.ledger.updateArtifact('E1', 'recording', { state: 'linked', bytes: info.size, generation: info.generation });
      await s.ledger.registerItem('E1', 'd1', { kind: 'disposition', eventTs: 1, value: 'Resolved' });
      await s.ledger.updateItem('E1', 'd1', { state: 'written' });
      await s.ledger.refreshState('E1');

      const t = await traceInteraction(s.deps, 'E1');
      expect(t.identifier.kind).toBe('engagement');
      expect(t.verdict.status).toBe('complete');
      const webhook = t.entries.find((e) => e.kind === 'webhook')!;
      expect(webhook.detail).toMatchObject({ duplicates: 1 });
      expect(t.entries.find((e) => e.kind === 'pubsub')!.summary).toContain('m-1');
      expect(t.entries.find((e) => e.kind === 'object')!.detail).toMatchObject({
        path: 'zoom/E1/rec.mp3',
        size: 5,
        generation: info.generation,
        link: 'gs://archive/zoom/E1/rec.mp3',
      });
      // Found by its CRM record id too.
      expect((await traceInteraction(s.deps, 'R1')).engagementIds).toEqual(['E1']);
    },
  );

  it('an engagement that lost its webhooks shows the reconciliation backfill of its recording', async () => {
    const s = await setup();
    await s.ledger.open('E2', {});
    await s.ledger.registerArtifact('E2', 'recording', { kind: 'recording', path: 'zoom/E2/rec.mp3', sourceId: 'rec2' });
    const store = createReconcileStore(s.docs);
    await store.createSlice('run-1', 0, { source: 'recordings', from: '2026-12-03T00:00:00Z', to: '2026-12-04T00:00:00Z', estimatedPages: 1 });
    await store.updateSlice('run-1', 0, { [`marks.${markOf('recording:rec2')}`]: true, state: 'done' });

    const t = await traceInteraction(s.deps, 'E2');
    expect(t.entries.filter((e) => e.kind === 'webhook')).toHaveLength(0);
    expect(t.entries.find((e) => e.kind === 'reconcile')!.summary).toBe('reconciliation run run-1 backfilled recording recording (queued it again)');
    expect(t.verdict).toMatchObject({ status: 'in_progress' });
  });

  it('a given-up CRM write says the nightly run retries it; a refused one says what a person must do', async () => {
    const s = await setup();
    await s.ledger.open('E3', {});
    await s.ledger.registerItem('E3', 'n1', { kind: 'note', eventTs: 1 });
    await s.ledger.updateItem('E3', 'n1', { state: 'failed', reason: 'crm: 503 unavailable', gaveUp: true });
    await s.ledger.refreshState('E3');
    const retried = await traceInteraction(s.deps, 'E3');
    expect(retried.verdict).toMatchObject({ status: 'failed', failures: [{ nightlyRetries: true, reason: 'crm: 503 unavailable' }] });

    await s.ledger.updateItem('E3', 'n1', { state: 'failed', reason: 'crm: 400 record closed', gaveUp: false });
    const refused = await traceInteraction(s.deps, 'E3');
    expect(refused.verdict.status).toBe('failed');
    expect(refused.verdict.line).toContain('nightly run retries: no');
    expect(refused.verdict.line).toContain('the CRM refused it for good');
  });

  it('a phone number finds the Twilio registration by the ui-connector hash, and is never echoed', async () => {
    const s = await setup();
    const resolve = createKeyResolver({ hashKey: HASH_KEY, defaultCountry: 'US' });
    const conv = createConversationStore({ docs: s.docs, collection: 'conversations', now: () => new Date('2026-12-03T10:00:00Z') });
    await conv.put(resolve('+1 415 555 0100'), {
      conversationName: 'projects/p/conversations/c1',
      keyKind: 'phone',
      registeredAt: new Date('2026-12-03T09:00:00Z'),
      expireAt: new Date('2099-01-01T00:00:00Z'),
    });
    const t = await traceInteraction(s.deps, '(415) 555-0100');
    expect(t.identifier.kind).toBe('conversation_key');
    expect(t.entries[0]!.summary).toContain('projects/p/conversations/c1');
    expect(JSON.stringify(t)).not.toMatch(/555.?0100|4155550100/);
    expect((await traceInteraction(s.deps, 'projects/p/conversations/c1')).identifier.kind).toBe('conversation_name');
  });

  it('a document that does not parse becomes an unreadable entry, not a crash', async () => {
    const s = await setup();
    await s.docs.create('ledger', 'E4', { engagementId: 'E4', state: 'bogus' });
    const t = await traceInteraction(s.deps, 'E4');
    expect(t.entries.some((e) => e.kind === 'unreadable' && e.summary.includes('state'))).toBe(true);
    expect(t.verdict.status).toBe('failed');
  });

  it('an identifier nothing matches gives the unknown verdict', async () => {
    const s = await setup();
    expect((await traceInteraction(s.deps, 'nope')).verdict.status).toBe('unknown');
  });
});

describe('day view', () => {
  it('counts per hour: received (duplicates included), suppressed, stored, failed, backfilled; lists what needs a person', async () => {
    const s = await setup();
    await s.keys.record({ key: 'a', event: 'e', engagementId: 'E1', body: '{}', receivedAt: new Date('2026-12-03T10:05:00Z'), signature: 's1', fresh: true });
    await s.keys.record({ key: 'a', event: 'e', engagementId: 'E1', body: '{}', receivedAt: new Date('2026-12-03T10:06:00Z'), signature: 's2', fresh: true });
    await s.keys.record({ key: 'b', event: 'e', engagementId: 'E2', body: '{}', receivedAt: new Date('2026-12-03T13:00:00Z'), signature: 's3', fresh: true });
    await s.keys.record({ key: 'c', event: 'e', engagementId: 'E9', body: '{}', receivedAt: new Date('2026-12-02T13:00:00Z'), signature: 's4', fresh: true });
    s.setClock('2026-12-03T10:20:00Z');
    await s.ledger.open('E1', {});
    await s.ledger.registerArtifact('E1', 'r', { kind: 'recording', path: 'p1' });
    await s.ledger.updateArtifact('E1', 'r', { state: 'stored' });
    await s.ledger.registerItem('E1', 'n', { kind: 'note', eventTs: 1 });
    await s.ledger.updateItem('E1', 'n', { state: 'failed', reason: 'crm: 400', gaveUp: false });
    // The ledger dates entries by the writer's wall clock (shared/zoom/ledger.ts): pin them to the day under test.
    await s.docs.update('ledger', 'E1', { 'artifacts.r.updatedAt': new Date('2026-12-03T10:21:00Z'), 'items.n.updatedAt': new Date('2026-12-03T11:00:00Z') });

    const v = await dayView({ docs: s.docs, retryFailedArtifacts: true }, '2026-12-03');
    expect(v.hours[10]).toMatchObject({ received: 2, duplicates: 1 });
    expect(v.hours[13]).toMatchObject({ received: 1, duplicates: 0 });
    expect(v.totals).toMatchObject({ received: 3, duplicates: 1, stored: 1, failed: 1, refused: 0, deadLettered: 0 });
    expect(v.hours[10]!.stored).toBe(1);
    expect(v.hours[11]!.failed).toBe(1);
    expect(v.needsPerson).toEqual([{ engagementId: 'E1', what: 'CRM note n', reason: 'crm: 400' }]);
    await expect(dayView({ docs: s.docs, retryFailedArtifacts: true }, '2026-13-45')).rejects.toThrow(RangeError);
  });
});
