/**
 * The Pub/Sub EventBus adapter against the local Pub/Sub server: concurrent publishes share
 * Publish RPCs, yet each resolves with its own message id, and each message arrives once,
 * intact, with its attributes; a lone publish to an unordered topic is sent at the end of its
 * turn of the event loop, not on the client's batch timer; a failed publish rejects.
 */
import { PubSub, v1 } from '@google-cloud/pubsub';
import { type PubSubEmulator, startPubSubEmulator } from '../../local/pubsub';
import { createPubSubEventBus } from '../../shared/adapters/pubsub';

process.env['METADATA_SERVER_DETECTION'] = 'none';

let emulator: PubSubEmulator;
let pubsub: PubSub;
beforeAll(async () => {
  emulator = await startPubSubEmulator();
  pubsub = new PubSub({ projectId: 'ccbridge-test', apiEndpoint: emulator.host, emulatorMode: true });
});
afterAll(async () => {
  await pubsub.close();
  await emulator.stop();
});

test('concurrent publishes: one message id each, every message delivered once with its data and attributes', async () => {
  const [topic] = await pubsub.createTopic('bus-batching');
  const [subscription] = await topic.createSubscription('bus-batching-inspect');
  const bus = createPubSubEventBus(pubsub);
  const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => bus.publish('bus-batching', { data: { n: i }, attributes: { n: String(i) } })));
  expect(new Set(ids).size).toBe(60);

  const { sslCreds } = pubsub.options;
  if (sslCreds === undefined) throw new Error('emulator mode should have set insecure credentials');
  const subscriber = new v1.SubscriberClient({ servicePath: '127.0.0.1', port: emulator.port, sslCreds });
  try {
    const received = new Map<string, { data: string; attributes: Record<string, string> }>();
    while (received.size < 60) {
      const [pulled] = await subscriber.pull({ subscription: subscription.name, maxMessages: 100 });
      for (const r of pulled.receivedMessages ?? []) {
        expect(received.has(r.message!.messageId!)).toBe(false);
        received.set(r.message!.messageId!, { data: Buffer.from(r.message!.data as Uint8Array).toString('utf8'), attributes: { ...r.message!.attributes } });
      }
    }
    for (const [i, id] of ids.entries()) expect(received.get(id)).toEqual({ data: JSON.stringify({ n: i }), attributes: { n: String(i) } });
    // Once: the topic got 60 messages, the subscription handed out 60 (none twice, none left).
    expect(emulator.stats()[subscription.name]).toMatchObject({ delivered: 60, outstanding: 60, failedAttempts: 0 });
  } finally {
    await subscriber.close();
  }
});

test('a lone publish is sent at the end of its turn: it does not wait for the client’s batch timer', async () => {
  await pubsub.createTopic('bus-lone');
  // A timer no test waits for: were the publish left to it, this test would time out.
  const bus = createPubSubEventBus(pubsub, { batchTimerMs: 600_000 });
  const id = await bus.publish('bus-lone', { data: { lone: true } });
  expect(id).toEqual(expect.any(String));
  // Publishes of later turns are flushed too, each with its own id.
  const later = await bus.publish('bus-lone', { data: { lone: 'again' } });
  expect(later).not.toBe(id);
});

test('a publish to a missing topic rejects', async () => {
  const bus = createPubSubEventBus(pubsub);
  await expect(bus.publish('no-such-topic', { data: {} })).rejects.toThrow();
});
