import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { type Message, PubSub, type Subscription, v1 } from '@google-cloud/pubsub';
import { DrainTimeoutError, type PubSubEmulator, startPubSubEmulator } from '../../local/pubsub';

process.env['METADATA_SERVER_DETECTION'] = 'none';

const PROJECT = 'ccbridge-test';
const FUNCTION_NAME = 'pubsub-emulator-sink';

interface MessagePublishedData {
  message: {
    data?: string;
    attributes?: Record<string, string>;
    messageId: string;
    publishTime: string;
    orderingKey?: string;
  };
  subscription: string;
  deliveryAttempt?: number;
}

/** One push request as the endpoint saw it: the wrapped body and the request headers. */
interface Delivery {
  id: string;
  data: MessagePublishedData | undefined;
  headers: IncomingHttpHeaders;
}

type Behaviour = (event: Delivery) => Promise<void> | void;

// The registered HTTP function (a push endpoint, as Pub/Sub push reaches a Cloud Run function)
// routes each delivery by its subscription, so every test gets its own recorded deliveries and
// its own behaviour (succeed, throw, be slow). A throw answers 500, a nack.
const received = new Map<string, Delivery[]>();
const behaviours = new Map<string, Behaviour>();

http(FUNCTION_NAME, async (req, res) => {
  const data = req.body as MessagePublishedData | undefined;
  const event: Delivery = { id: data?.message.messageId ?? '', data, headers: req.headers };
  const subscription = data?.subscription ?? 'unknown';
  const events = received.get(subscription) ?? [];
  events.push(event);
  received.set(subscription, events);
  try {
    await behaviours.get(subscription)?.(event);
  } catch {
    res.status(500).send('simulated failure');
    return;
  }
  res.status(204).end();
});

// The functions framework logs every handler crash with console.error; the failures these
// tests provoke on purpose would bury real errors, so only those are filtered out.
const originalConsoleError = console.error;
function quietSimulatedFailures(...args: unknown[]): void {
  if (args.some((arg) => String(arg instanceof Error ? arg.stack : arg).includes('simulated failure'))) return;
  originalConsoleError(...args);
}

let emulator: PubSubEmulator;
let pubsub: PubSub;
let functionServer: Server;
let functionUrl: string;
const logLines: string[] = [];

function subscriptionName(id: string): string {
  return `projects/${PROJECT}/subscriptions/${id}`;
}

function eventsOf(id: string): Delivery[] {
  return received.get(subscriptionName(id)) ?? [];
}

function decode(data: string | undefined): string {
  return Buffer.from(data ?? '', 'base64').toString('utf8');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

const fastRetry = {
  minimumBackoff: { seconds: 0, nanos: 20_000_000 },
  maximumBackoff: { seconds: 0, nanos: 100_000_000 },
};

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Receives through the client's StreamingPull until `count` messages arrived; handler decides ack/nack. */
async function receiveStreaming(subscription: Subscription, count: number, handle: (message: Message) => void): Promise<Message[]> {
  const messages: Message[] = [];
  await new Promise<void>((resolve, reject) => {
    subscription.on('error', reject);
    subscription.on('message', (message: Message) => {
      messages.push(message);
      handle(message);
      if (messages.length === count) resolve();
    });
  });
  await subscription.close();
  return messages;
}

beforeAll(async () => {
  console.error = quietSimulatedFailures;
  emulator = await startPubSubEmulator({ port: 0, log: (line) => logLines.push(line) });
  pubsub = new PubSub({ projectId: PROJECT, apiEndpoint: emulator.host, emulatorMode: true });
  functionServer = getTestServer(FUNCTION_NAME);
  await new Promise<void>((resolve) => functionServer.listen(0, '127.0.0.1', resolve));
  functionUrl = `http://127.0.0.1:${(functionServer.address() as AddressInfo).port}/`;
});

afterAll(async () => {
  await pubsub.close();
  await emulator.stop();
  await new Promise<void>((resolve) => functionServer.close(() => resolve()));
  console.error = originalConsoleError;
});

test('a message published with @google-cloud/pubsub reaches a push endpoint as Pub/Sub’s wrapped JSON body, without CloudEvent headers', async () => {
  const [topic] = await pubsub.createTopic('orders');
  await topic.createSubscription('orders-to-function', { pushConfig: { pushEndpoint: functionUrl } });

  const messageId = await topic.publishMessage({
    data: Buffer.from(JSON.stringify({ orderId: 42 })),
    attributes: { kind: 'order.created' },
  });
  await emulator.drain();

  const events = eventsOf('orders-to-function');
  expect(events).toHaveLength(1);
  const event = events[0]!;
  expect(event.id).toBe(messageId);
  expect(event.headers['content-type']).toBe('application/json');
  expect(Object.keys(event.headers).filter((h) => h.startsWith('ce-'))).toEqual([]);
  expect(event.data?.subscription).toBe(subscriptionName('orders-to-function'));
  expect(JSON.parse(decode(event.data?.message.data))).toEqual({ orderId: 42 });
  expect(event.data?.message.attributes).toEqual({ kind: 'order.created' });
  expect(event.data?.message.messageId).toBe(messageId);
  expect(new Date(event.data?.message.publishTime ?? '').toISOString()).toBe(event.data?.message.publishTime);
  // No dead-letter policy: Pub/Sub reports no delivery attempt.
  expect(event.data?.deliveryAttempt).toBeUndefined();
});

test('a push message is redelivered with back-off while the function fails and acked once it succeeds', async () => {
  const [topic] = await pubsub.createTopic('flaky');
  await topic.createSubscription('flaky-to-function', {
    pushConfig: { pushEndpoint: functionUrl },
    retryPolicy: fastRetry,
  });
  let calls = 0;
  behaviours.set(subscriptionName('flaky-to-function'), () => {
    calls += 1;
    if (calls <= 2) throw new Error(`simulated failure ${calls}`); // the framework answers 500
  });

  const messageId = await topic.publishMessage({ data: Buffer.from('retry me') });
  await emulator.drain();

  const events = eventsOf('flaky-to-function');
  expect(events.map((event) => event.id)).toEqual([messageId, messageId, messageId]);
  expect(events.every((event) => decode(event.data?.message.data) === 'retry me')).toBe(true);
  expect(emulator.stats()[subscriptionName('flaky-to-function')]).toEqual({
    delivered: 3,
    acked: 1,
    failedAttempts: 2,
    deadLettered: 0,
    outstanding: 0,
  });
  expect(logLines.some((line) => line.includes('HTTP 500'))).toBe(true);
  // Acked and nothing outstanding (above): the message is done and never delivered again.
});

test('a message lands in the dead-letter topic after the configured attempts and is not delivered again', async () => {
  const [deadLetterTopic] = await pubsub.createTopic('payments-dead-letter');
  const [deadLetterSubscription] = await deadLetterTopic.createSubscription('payments-dead-letter-inspect');
  const [topic] = await pubsub.createTopic('payments');
  await topic.createSubscription('payments-to-function', {
    pushConfig: { pushEndpoint: functionUrl },
    retryPolicy: fastRetry,
    deadLetterPolicy: { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts: 3 },
  });
  behaviours.set(subscriptionName('payments-to-function'), () => {
    throw new Error('simulated failure (always)');
  });

  const messageId = await topic.publishMessage({ data: Buffer.from('poison'), attributes: { source: 'test' } });
  await emulator.drain();

  const events = eventsOf('payments-to-function');
  expect(events.map((event) => event.data?.deliveryAttempt)).toEqual([1, 2, 3]);
  const originalPublishTime = events[0]?.data?.message.publishTime;

  const [deadLettered] = await receiveStreaming(deadLetterSubscription, 1, (message) => message.ack());
  expect(deadLettered?.data.toString()).toBe('poison');
  expect(deadLettered?.attributes).toEqual({
    source: 'test',
    CloudPubSubDeadLetterSourceDeliveryCount: '3',
    CloudPubSubDeadLetterSourceSubscription: 'payments-to-function',
    CloudPubSubDeadLetterSourceSubscriptionProject: PROJECT,
    CloudPubSubDeadLetterSourceTopicPublishTime: originalPublishTime,
  });
  expect(deadLettered?.id).not.toBe(messageId);

  await emulator.drain();
  // Dead-lettered with nothing outstanding (below): never delivered again.
  expect(eventsOf('payments-to-function')).toHaveLength(3);
  expect(emulator.stats()[subscriptionName('payments-to-function')]).toMatchObject({
    delivered: 3,
    failedAttempts: 3,
    deadLettered: 1,
    acked: 0,
    outstanding: 0,
  });
  expect(emulator.stats()[subscriptionName('payments-dead-letter-inspect')]).toMatchObject({ acked: 1, outstanding: 0 });
});

test('streaming pull through the client acks, redelivers nacked messages at once and keeps ordering keys in order', async () => {
  const [topic] = await pubsub.createTopic('events-ordered');
  // A 600 s ack deadline: were the nacked message redelivered only when its lease ran out, the test would time out.
  const [subscription] = await topic.createSubscription('events-ordered-pull', { enableMessageOrdering: true, ackDeadlineSeconds: 600 });
  const publisher = pubsub.topic('events-ordered', { messageOrdering: true });
  const published = ['a1', 'a2', 'a3', 'a4'];
  await Promise.all(published.map((data) => publisher.publishMessage({ data: Buffer.from(data), orderingKey: 'key-a' })));

  let nacked = false;
  const messages = await receiveStreaming(subscription, published.length + 1, (message) => {
    if (message.data.toString() === 'a2' && !nacked) {
      nacked = true;
      message.nack();
      return;
    }
    message.ack();
  });

  expect(messages.map((message) => message.data.toString())).toEqual(['a1', 'a2', 'a2', 'a3', 'a4']);
  expect(messages.every((message) => message.orderingKey === 'key-a')).toBe(true);
  await emulator.drain();
  expect(emulator.stats()[subscriptionName('events-ordered-pull')]).toMatchObject({
    delivered: 5,
    acked: 4,
    failedAttempts: 1,
    outstanding: 0,
  });
});

test('unary Pull leases messages; a nack retires the ack id, so a stale extension cannot hold the message, and pull dead-letters too', async () => {
  const [deadLetterTopic] = await pubsub.createTopic('jobs-dead-letter');
  const [deadLetterSubscription] = await deadLetterTopic.createSubscription('jobs-dead-letter-inspect');
  const [topic] = await pubsub.createTopic('jobs');
  await topic.createSubscription('jobs-pull', {
    deadLetterPolicy: { deadLetterTopic: deadLetterTopic.name, maxDeliveryAttempts: 2 },
  });
  // The low-level client, configured as the PubSub object configured itself for the emulator.
  const { sslCreds } = pubsub.options;
  if (sslCreds === undefined) throw new Error('emulator mode should have set insecure credentials');
  const subscriber = new v1.SubscriberClient({ servicePath: '127.0.0.1', port: emulator.port, sslCreds });
  const subscription = subscriptionName('jobs-pull');
  try {
    await topic.publishMessage({ data: Buffer.from('job-1') });

    const [first] = await subscriber.pull({ subscription, maxMessages: 10 });
    expect(first.receivedMessages).toHaveLength(1);
    const firstDelivery = first.receivedMessages?.[0];
    expect(firstDelivery?.deliveryAttempt).toBe(1);
    const staleAckId = firstDelivery?.ackId ?? '';

    await subscriber.modifyAckDeadline({ subscription, ackIds: [staleAckId], ackDeadlineSeconds: 0 });
    await subscriber.modifyAckDeadline({ subscription, ackIds: [staleAckId], ackDeadlineSeconds: 600 });
    const [second] = await subscriber.pull({ subscription, maxMessages: 10 });
    const secondDelivery = second.receivedMessages?.[0];
    expect(secondDelivery?.message?.data?.toString()).toBe('job-1');
    expect(secondDelivery?.deliveryAttempt).toBe(2);
    expect(secondDelivery?.ackId).not.toBe(staleAckId);

    // Acking with the retired id does nothing; the second nack reaches maxDeliveryAttempts.
    await subscriber.acknowledge({ subscription, ackIds: [staleAckId] });
    await subscriber.modifyAckDeadline({ subscription, ackIds: [secondDelivery?.ackId ?? ''], ackDeadlineSeconds: 0 });
    const [empty] = await subscriber.pull({ subscription, maxMessages: 10, returnImmediately: true });
    expect(empty.receivedMessages ?? []).toHaveLength(0);

    const [deadLettered] = await receiveStreaming(deadLetterSubscription, 1, (message) => message.ack());
    expect(deadLettered?.attributes['CloudPubSubDeadLetterSourceDeliveryCount']).toBe('2');
    expect(emulator.stats()[subscription]).toMatchObject({ delivered: 2, acked: 0, deadLettered: 1, outstanding: 0 });
  } finally {
    await subscriber.close();
  }
});

test('a subscription receives only messages published after it was created', async () => {
  const [topic] = await pubsub.createTopic('late-subscriber');
  await topic.publishMessage({ data: Buffer.from('before') });
  const [subscription] = await topic.createSubscription('late-subscriber-pull');
  await topic.publishMessage({ data: Buffer.from('after') });

  const messages = await receiveStreaming(subscription, 1, (message) => message.ack());
  expect(messages.map((message) => message.data.toString())).toEqual(['after']);
  // One delivery and nothing outstanding: 'before' is not waiting to come later.
  expect(emulator.stats()[subscriptionName('late-subscriber-pull')]).toMatchObject({ delivered: 1, outstanding: 0 });
});

test('admin calls answer ALREADY_EXISTS, NOT_FOUND and INVALID_ARGUMENT like Pub/Sub', async () => {
  const [topic] = await pubsub.createTopic('admin-topic');
  await expect(pubsub.createTopic('admin-topic')).rejects.toMatchObject({ code: 6 });
  await topic.createSubscription('admin-sub', { ackDeadlineSeconds: 30 });
  await expect(topic.createSubscription('admin-sub')).rejects.toMatchObject({ code: 6 });

  await expect(pubsub.topic('missing-topic').get()).rejects.toMatchObject({ code: 5 });
  await expect(pubsub.subscription('missing-sub').getMetadata()).rejects.toMatchObject({ code: 5 });
  await expect(pubsub.topic('missing-topic').createSubscription('orphan-sub')).rejects.toMatchObject({ code: 5 });
  await expect(pubsub.topic('missing-topic').publishMessage({ data: Buffer.from('x') })).rejects.toMatchObject({ code: 5 });
  await expect(pubsub.createTopic('x')).rejects.toMatchObject({ code: 3 });
  await expect(topic.createSubscription('bad-deadline', { ackDeadlineSeconds: 5 })).rejects.toMatchObject({ code: 3 });

  const [metadata] = await pubsub.subscription('admin-sub').getMetadata();
  expect(metadata.ackDeadlineSeconds).toBe(30);
  expect(metadata.topic).toBe(topic.name);

  await pubsub.subscription('admin-sub').modifyPushConfig({ pushEndpoint: functionUrl });
  const [pushMetadata] = await pubsub.subscription('admin-sub').getMetadata();
  expect(pushMetadata.pushConfig?.pushEndpoint).toBe(functionUrl);

  const [topicSubscriptions] = await topic.getSubscriptions();
  expect(topicSubscriptions.map((subscription) => subscription.name)).toEqual([subscriptionName('admin-sub')]);
  const [topics] = await pubsub.getTopics();
  expect(topics.map((listed) => listed.name)).toContain(topic.name);

  await pubsub.subscription('admin-sub').delete();
  await expect(pubsub.subscription('admin-sub').getMetadata()).rejects.toMatchObject({ code: 5 });
  await topic.delete();
  await expect(topic.get()).rejects.toMatchObject({ code: 5 });
});

test('drain() waits for push deliveries, stats() counts them, and push concurrency stays bounded', async () => {
  const bounded = await startPubSubEmulator({ pushConcurrency: 2 });
  const client = new PubSub({ projectId: PROJECT, apiEndpoint: bounded.host, emulatorMode: true });
  try {
    const [topic] = await client.createTopic('slow');
    await topic.createSubscription('slow-to-function', { pushConfig: { pushEndpoint: functionUrl } });
    let inFlight = 0;
    let maxInFlight = 0;
    behaviours.set(subscriptionName('slow-to-function'), async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await sleep(30);
      inFlight -= 1;
    });

    await Promise.all(Array.from({ length: 10 }, (_, index) => topic.publishMessage({ data: Buffer.from(`m${index}`) })));
    expect(bounded.stats()[subscriptionName('slow-to-function')]?.outstanding).toBeGreaterThan(0);
    await bounded.drain();

    expect(bounded.stats()[subscriptionName('slow-to-function')]).toEqual({
      delivered: 10,
      acked: 10,
      failedAttempts: 0,
      deadLettered: 0,
      outstanding: 0,
    });
    expect(maxInFlight).toBe(2);

    // An endpoint that never succeeds keeps drain() from resolving.
    await topic.createSubscription('never-ok', { pushConfig: { pushEndpoint: functionUrl }, retryPolicy: fastRetry });
    behaviours.set(subscriptionName('never-ok'), () => {
      throw new Error('simulated failure (endpoint down)');
    });
    await topic.publishMessage({ data: Buffer.from('stuck') });
    await expect(bounded.drain(300)).rejects.toBeInstanceOf(DrainTimeoutError);
    await waitFor(() => (bounded.stats()[subscriptionName('never-ok')]?.failedAttempts ?? 0) >= 2);
    behaviours.delete(subscriptionName('never-ok'));
    await bounded.drain();
    expect(bounded.stats()[subscriptionName('never-ok')]).toMatchObject({ acked: 1, outstanding: 0 });
  } finally {
    await client.close();
    await bounded.stop();
  }
});
