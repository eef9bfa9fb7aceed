/**
 * A message the worker's subscription really dead-letters, end to end on the local stack: the
 * worker is told it may never give up (PUBSUB_MAX_DELIVERY_ATTEMPTS=0) while Zoom keeps failing
 * a recording, so after the subscription's 5 deliveries the local Pub/Sub moves the message to
 * zoom-events-dead-letter; the recording subscription pushes it (OIDC, through the gateway's
 * invoker check) to the worker's /dead-letters; the trace of the engagement says
 * "dead-lettered after 5 delivery attempts" and what to do, and the day view counts exactly
 * what the broker dead-lettered.
 */
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createFirestore } from '../../shared/google';
import type { DocStore } from '../../shared/ports/docstore';
import { dayView } from '../../shared/trace/day';
import { traceInteraction } from '../../shared/trace/trace';
import type { MockEngagement } from '../../local/mocks/zoom/model';
import { type Stack, startStack } from '../../local/stack';

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
      ZOOM_ITEM_SETTLE_MS: '0',
      PUBSUB_MAX_DELIVERY_ATTEMPTS: '0',
    },
  });
  docs = createFirestoreDocStore(createFirestore(stack.env['GCP_PROJECT']!, '(default)'));
}, 60_000);
afterAll(() => stack?.stop());

it('is recorded once through the dead-letter subscription, shown in the trace with what to do, ' +
  'and counted in the day view as the broker counted it', async () => {
  const base = stack.zoom.generateDay({ seed: 'dead-letter-record', date: '2026-11-16', engagements: 1 })[0]!;
  const engagement: MockEngagement = { ...base, engagementId: 'eng-dl-e2e', voicemails: [], messagingTranscript: false, notes: [], dispositions: [] };
  engagement.recordings = [
    {
      recordingId: 'rec-dl-e2e',
      bytes: 1000,
      contentType: 'audio/mpeg',
      startTime: base.startTime,
      endTime: base.endTime,
      durationSeconds: 1,
      transcript: false,
    },
  ];
  stack.zoom.addEngagement(engagement);
  stack.zoom.faults.failHttp({ pathIncludes: 'rec-dl-e2e', status: 500, times: 1000 });
  const at = Date.now() - 60_000;
  await stack.zoom.deliver(
    stack.zoom.eventsFor('eng-dl-e2e').map((e, i) => ({ ...e, event_ts: at + i })),
    { retryDelaysMs: [] },
  );
  await stack.pubsub.drain(60_000);
  stack.zoom.faults.clear();

  const trigger = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-push'))![1];
  expect(trigger.deadLettered).toBeGreaterThan(0);
  const recorded = await docs.query('deadLetters', { limit: 100 });
  expect(recorded).toHaveLength(trigger.deadLettered);
  expect(recorded.map((d) => d.data)).toContainEqual(
    expect.objectContaining({ engagementId: 'eng-dl-e2e', deliveryAttempts: 5, sourceSubscription: 'interaction-worker-push' }),
  );

  const t = await traceInteraction({ docs, blobs: createMemoryBlobStore('unused'), retryFailedArtifacts: true }, 'eng-dl-e2e');
  expect(t.entries.filter((e) => e.kind === 'dead_letter').map((e) => e.summary)).toEqual([
    expect.stringMatching(/dead-lettered after 5 delivery attempts; to do: .*republish/),
  ]);
  expect(t.verdict.status).toBe('failed');

  const v = await dayView({ docs, retryFailedArtifacts: true }, new Date().toISOString().slice(0, 10));
  expect(v.totals.deadLettered).toBe(trigger.deadLettered);
}, 90_000);
