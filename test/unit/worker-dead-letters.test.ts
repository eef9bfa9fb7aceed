/**
 * The worker's POST /dead-letters (functions/interaction-worker/dead-letters.ts), over HTTP on
 * the Functions Framework: a dead-lettered message, as Pub/Sub forwards it (its attributes plus
 * the CloudPubSubDeadLetter* ones, docs/contracts/google-cloud.md §2), is recorded once per
 * message id with its ids, attempts and engagement and without its body; a body that is no push
 * is a 400 with nothing written; the timeline says "dead-lettered after N attempts" and what to
 * do, and the day view counts it in its hour.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { composeInteractionWorker } from '../../functions/interaction-worker/compose';
import { DEAD_LETTERS_COLLECTION } from '../../functions/interaction-worker/dead-letters';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createMemoryCrm } from '../support/doubles/memory-crm';
import { dayView } from '../../shared/trace/day';
import { traceInteraction } from '../../shared/trace/trace';
import { listen } from '../support/http';
import { queuedEvent, workerEnv } from '../support/zoom-fixture';

const docs = createMemoryDocStore();
const recordedAt = Date.parse('2026-12-04T14:30:00Z');
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  http(
    'workerDeadLetters',
    composeInteractionWorker(
      workerEnv('http://127.0.0.1:9'),
      { docs, blobs: createMemoryBlobStore('archive'), crm: createMemoryCrm() },
      { now: () => recordedAt },
    ),
  );
  ({ url, close } = await listen(getTestServer('workerDeadLetters')));
});
afterAll(() => close());

const envelope = {
  event: 'contact_center.recording_completed',
  event_ts: 1,
  payload: { object: { engagement_id: 'eng-dl', recording_id: 'rec-dl', download_url: 'https://zoom.us/rec/x?token=DOWNLOAD-TOKEN' } },
};
const deadLetter = (messageId: string) => ({
  message: {
    data: Buffer.from(JSON.stringify({ ...queuedEvent(envelope), key: 'contact_center.recording_completed|rec-dl|1' })).toString('base64'),
    messageId,
    publishTime: '2026-12-04T14:29:59Z',
    attributes: {
      event: 'contact_center.recording_completed',
      source: 'webhook',
      engagementId: 'eng-dl',
      CloudPubSubDeadLetterSourceDeliveryCount: '10',
      CloudPubSubDeadLetterSourceSubscription: 'interaction-worker-push',
      CloudPubSubDeadLetterSourceSubscriptionProject: 'ccbridge-test',
      CloudPubSubDeadLetterSourceTopicPublishTime: '2026-12-04T12:00:00Z',
    },
  },
  subscription: 'projects/ccbridge-test/subscriptions/zoom-events-dead-letter-record',
});
const post = (body: unknown) => fetch(`${url}/dead-letters`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

it('records a dead-lettered message once per message id, with its attempts and engagement and without its body', async () => {
  expect((await post(deadLetter('dl-1'))).status).toBe(204);
  // Pub/Sub delivers at least once: the same push again changes nothing.
  expect((await post(deadLetter('dl-1'))).status).toBe(204);
  const stored = docs.dump(DEAD_LETTERS_COLLECTION);
  expect(Object.keys(stored)).toEqual(['dl-1']);
  expect(stored['dl-1']).toMatchObject({
    messageId: 'dl-1',
    deliveryAttempts: 10,
    sourceSubscription: 'interaction-worker-push',
    sourcePublishTime: '2026-12-04T12:00:00Z',
    engagementId: 'eng-dl',
    event: 'contact_center.recording_completed',
    key: 'contact_center.recording_completed|rec-dl|1',
    recordedAt: new Date(recordedAt),
  });
  expect((stored['dl-1']!['expireAt'] as Date).getTime()).toBe(recordedAt + 30 * 86_400_000);
  expect(JSON.stringify(stored)).not.toMatch(/DOWNLOAD-TOKEN|download_url/);
});

it('refuses a body that is no push message (400) and writes nothing', async () => {
  const before = Object.keys(docs.dump(DEAD_LETTERS_COLLECTION)).length;
  expect((await post({ hello: 'world' })).status).toBe(400);
  expect((await post({ message: { data: 'e30=' } })).status).toBe(400);
  expect(Object.keys(docs.dump(DEAD_LETTERS_COLLECTION))).toHaveLength(before);
});

it('shows in the timeline (after how many attempts, what to do) and in the day view in its hour', async () => {
  const t = await traceInteraction({ docs, blobs: createMemoryBlobStore('archive'), retryFailedArtifacts: true }, 'eng-dl');
  expect(t.identifier.kind).toBe('engagement');
  const entry = t.entries.find((e) => e.kind === 'dead_letter');
  expect(entry?.summary).toMatch(
    /message dl-1 \(contact_center.recording_completed\) dead-lettered after 10 delivery attempts; to do: .*worker logs.*reconciliation/,
  );
  expect(t.verdict.status).toBe('failed');
  expect(t.verdict.line).toMatch(/dead-lettered after 10/);
  const v = await dayView({ docs, retryFailedArtifacts: true }, '2026-12-04');
  expect(v.hours[14]!.deadLettered).toBe(1);
  expect(v.totals.deadLettered).toBe(1);
  expect(v.deadLetters).toEqual([{ messageId: 'dl-1', engagementId: 'eng-dl', deliveryAttempts: 10 }]);
});
