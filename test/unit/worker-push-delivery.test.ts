/**
 * interaction-worker's delivery path is a direct Pub/Sub push (docs/contracts/google-cloud.md
 * §2): the wrapped body, `deliveryAttempt` only with a dead-letter policy. Without the count
 * the give-up rule cannot fire, which must never go unnoticed: a loud (ERROR) log line.
 */
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createMemoryCrm } from '../support/doubles/memory-crm';
import { composeInteractionWorkerDelivery } from '../../functions/interaction-worker/compose';
import { startZoomMock, type ZoomMock } from '../../local/mocks/zoom';
import { pubSubPush, workerEnv, ZOOM_CREDENTIALS } from '../support/zoom-fixture';

let zoom: ZoomMock;
beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
});
afterAll(() => zoom.stop());

function worker(lines: string[]) {
  return composeInteractionWorkerDelivery(
    workerEnv(zoom.baseUrl, { LOG_LEVEL: 'debug', PUBSUB_MAX_DELIVERY_ATTEMPTS: '10' }),
    { docs: createMemoryDocStore(), blobs: createMemoryBlobStore('archive'), crm: createMemoryCrm() },
    { log: (line) => lines.push(line) },
  );
}
const errors = (lines: string[]) => lines.map((l) => JSON.parse(l) as { severity: string; message: string }).filter((l) => l.severity === 'ERROR');

test('a push without deliveryAttempt is handled and logged at ERROR: the last-delivery rule is off', async () => {
  const lines: string[] = [];
  await expect(worker(lines)(pubSubPush({ not: 'a queued event' }))).resolves.toBeUndefined();
  expect(errors(lines).map((l) => l.message)).toEqual([expect.stringMatching(/no deliveryAttempt/)]);
});

test('a push with deliveryAttempt logs no such error', async () => {
  const lines: string[] = [];
  await expect(worker(lines)(pubSubPush({ not: 'a queued event' }, 'm-1', 3))).resolves.toBeUndefined();
  expect(errors(lines)).toEqual([]);
});

test('a body that is no push envelope is refused with 400 (never acknowledged silently, never 5xx)', async () => {
  await expect(worker([])({ hello: 'world' })).rejects.toMatchObject({ status: 400 });
});

test('message data that is not JSON is acknowledged (it can never be processed)', async () => {
  const body = {
    message: { data: Buffer.from('not json').toString('base64'), messageId: 'm-2' },
    subscription: 'projects/p/subscriptions/s',
    deliveryAttempt: 1,
  };
  await expect(worker([])(body)).resolves.toBeUndefined();
});
