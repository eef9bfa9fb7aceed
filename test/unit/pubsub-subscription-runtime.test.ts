import { status } from '@grpc/grpc-js';
import { createStoredMessage, type StoredMessage } from '../../local/pubsub/stored-message';
import type { DeliveryPolicy } from '../../local/pubsub/subscription-config';
import { type Consumer, SubscriptionRuntime, type SubscriptionRuntimeDeps } from '../../local/pubsub/subscription-runtime';
import { ManualClock } from '../support/manual-clock';
import type { WireReceivedMessage, WireSubscription } from '../../local/pubsub/wire';

const SUBSCRIPTION = 'projects/p/subscriptions/sub';

const pullPolicy: DeliveryPolicy = {
  ackDeadlineMs: 10_000,
  retry: undefined,
  deadLetter: undefined,
  push: undefined,
  ordered: false,
};

function subscriptionConfig(): WireSubscription {
  return {
    name: SUBSCRIPTION,
    topic: 'projects/p/topics/t',
    pushConfig: null,
    ackDeadlineSeconds: 10,
    enableMessageOrdering: false,
    filter: '',
    deadLetterPolicy: null,
    retryPolicy: null,
    enableExactlyOnceDelivery: false,
    bigqueryConfig: null,
    cloudStorageConfig: null,
    state: 'ACTIVE',
  };
}

let messageCounter = 0;
function message(data: string, orderingKey = ''): StoredMessage {
  messageCounter += 1;
  return createStoredMessage({ data: Buffer.from(data), attributes: {}, orderingKey }, String(messageCounter), 'projects/p/topics/t', 0);
}

/** A pull consumer that records what it gets and takes at most `limit` unacked messages. */
class RecordingConsumer implements Consumer {
  readonly received: WireReceivedMessage[] = [];
  outstanding = 0;
  aborted: status | undefined;
  constructor(
    private readonly limit = Number.POSITIVE_INFINITY,
    private readonly deadlineMs = 10_000,
  ) {}
  room(): { messages: number; bytes: number } {
    return { messages: this.limit - this.outstanding, bytes: Number.POSITIVE_INFINITY };
  }
  ackDeadlineMs(): number {
    return this.deadlineMs;
  }
  receive(messages: WireReceivedMessage[]): void {
    this.outstanding += messages.length;
    this.received.push(...messages);
  }
  release(): void {
    this.outstanding -= 1;
  }
  abort(code: status): void {
    this.aborted = code;
  }
  data(): string[] {
    return this.received.map((received) => received.message.data.toString());
  }
  last(): WireReceivedMessage {
    const received = this.received.at(-1);
    if (received === undefined) throw new Error('nothing received');
    return received;
  }
}

/** The runtime's lease and back-off timers, on a clock the test moves. */
let timers: ManualClock;
beforeEach(() => {
  timers = new ManualClock(0);
});

function noPush(): SubscriptionRuntimeDeps {
  return { pushConcurrency: 1, push: async () => true, deadLetter: () => {}, timers };
}

/** Lets the runtime's pump (setImmediate) and promise callbacks run: no clock involved. */
const turns = async (n = 20) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await turns(1);
  if (!condition()) throw new Error('condition not met after 1000 event-loop turns');
}

const runtimes: SubscriptionRuntime[] = [];
function createRuntime(policy: DeliveryPolicy, deps: SubscriptionRuntimeDeps = noPush()): SubscriptionRuntime {
  const runtime = new SubscriptionRuntime(subscriptionConfig(), policy, 's1', deps);
  runtimes.push(runtime);
  return runtime;
}

afterEach(() => {
  for (const runtime of runtimes.splice(0)) runtime.close(status.UNAVAILABLE, 'test over');
});

test('an expired lease makes the message available again under a new ack id', async () => {
  const runtime = createRuntime(pullPolicy);
  const consumer = new RecordingConsumer(Number.POSITIVE_INFINITY, 30);
  runtime.addConsumer(consumer);
  runtime.enqueue(message('m'));

  await until(() => consumer.received.length === 1);
  timers.advance(29);
  await turns();
  expect(consumer.received).toHaveLength(1);
  timers.advance(1);
  await until(() => consumer.received.length === 2);
  const [first, second] = consumer.received;
  expect(second?.ackId).not.toBe(first?.ackId);
  expect(runtime.stats()).toMatchObject({ delivered: 2, failedAttempts: 1, outstanding: 1 });
});

test('a nack retires the ack id: a stale extension or ack with it changes nothing', async () => {
  const runtime = createRuntime(pullPolicy);
  runtime.enqueue(message('m'));
  const [first] = runtime.pull(10);
  const staleAckId = first?.ackId ?? '';

  runtime.modifyAckDeadline([staleAckId], 0);
  runtime.modifyAckDeadline([staleAckId], 600);
  runtime.acknowledge([staleAckId]);
  const [second] = runtime.pull(10);

  expect(second?.message.data.toString()).toBe('m');
  expect(second?.ackId).not.toBe(staleAckId);
  expect(runtime.stats()).toMatchObject({ delivered: 2, acked: 0, failedAttempts: 1, outstanding: 1 });
  runtime.acknowledge([second?.ackId ?? '']);
  expect(runtime.stats()).toMatchObject({ acked: 1, outstanding: 0 });
});

test('extending a live lease keeps the message from being redelivered', async () => {
  const runtime = createRuntime({ ...pullPolicy, ackDeadlineMs: 30 });
  runtime.enqueue(message('m'));
  const [leased] = runtime.pull(1);
  runtime.modifyAckDeadline([leased?.ackId ?? ''], 60);
  timers.advance(80);
  expect(runtime.pull(1)).toHaveLength(0);
  expect(runtime.hasPendingWork()).toBe(true);
  // The extended deadline (60 s) does end the lease.
  timers.advance(60_000);
  expect(runtime.pull(1)).toHaveLength(1);
});

test('streams get no more than their flow-control limit and more once they ack', async () => {
  const runtime = createRuntime(pullPolicy);
  const consumer = new RecordingConsumer(2);
  runtime.addConsumer(consumer);
  for (const data of ['a', 'b', 'c', 'd']) runtime.enqueue(message(data));

  await until(() => consumer.received.length === 2);
  await turns();
  expect(consumer.data()).toEqual(['a', 'b']);
  runtime.acknowledge([consumer.received[0]?.ackId ?? '']);
  await until(() => consumer.received.length === 3);
  expect(consumer.data()).toEqual(['a', 'b', 'c']);
});

test('with message ordering one message per key is out at a time, and a nacked one comes back before the next', async () => {
  const runtime = createRuntime({ ...pullPolicy, ordered: true });
  const consumer = new RecordingConsumer();
  runtime.addConsumer(consumer);
  runtime.enqueue(message('k1', 'key'));
  runtime.enqueue(message('k2', 'key'));
  runtime.enqueue(message('free'));

  await until(() => consumer.received.length === 2);
  expect(consumer.data()).toEqual(['k1', 'free']);
  runtime.modifyAckDeadline([consumer.received[0]?.ackId ?? ''], 0);
  await until(() => consumer.received.length === 3);
  expect(consumer.last().message.data.toString()).toBe('k1');
  runtime.acknowledge([consumer.last().ackId]);
  await until(() => consumer.received.length === 4);
  expect(consumer.last().message.data.toString()).toBe('k2');
});

test('pull deliveries count attempts and dead-letter after maxDeliveryAttempts', async () => {
  const deadLettered: { message: StoredMessage; attempts: number }[] = [];
  const runtime = createRuntime(
    { ...pullPolicy, deadLetter: { topic: 'projects/p/topics/dlq', maxDeliveryAttempts: 2 } },
    { ...noPush(), deadLetter: (_runtime, stored, attempts) => deadLettered.push({ message: stored, attempts }) },
  );
  const stored = message('poison');
  runtime.enqueue(stored);

  const [first] = runtime.pull(1);
  expect(first?.deliveryAttempt).toBe(1);
  runtime.modifyAckDeadline([first?.ackId ?? ''], 0);
  const [second] = runtime.pull(1);
  expect(second?.deliveryAttempt).toBe(2);
  runtime.modifyAckDeadline([second?.ackId ?? ''], 0);

  expect(deadLettered).toEqual([{ message: stored, attempts: 2 }]);
  expect(runtime.pull(1)).toHaveLength(0);
  expect(runtime.stats()).toMatchObject({ delivered: 2, deadLettered: 1, outstanding: 0 });
});

test('a retry policy holds a nacked message back for the back-off', async () => {
  const runtime = createRuntime({ ...pullPolicy, retry: { minimumMs: 60, maximumMs: 1000 } });
  runtime.enqueue(message('m'));
  const [first] = runtime.pull(1);
  runtime.modifyAckDeadline([first?.ackId ?? ''], 0);

  expect(runtime.pull(1)).toHaveLength(0);
  expect(runtime.hasPendingWork()).toBe(true);
  timers.advance(59);
  expect(runtime.pull(1)).toHaveLength(0);
  timers.advance(1);
  expect(runtime.pull(1)).toHaveLength(1);
});

test('push keeps at most pushConcurrency requests in flight', async () => {
  const answers: Array<() => void> = [];
  const runtime = createRuntime(
    { ...pullPolicy, push: { endpoint: 'http://127.0.0.1:1/', oidc: undefined } },
    {
      pushConcurrency: 3,
      deadLetter: () => {},
      timers,
      push: () => new Promise<boolean>((resolve) => answers.push(() => resolve(true))),
    },
  );
  for (let index = 0; index < 12; index += 1) runtime.enqueue(message(`m${index}`));

  for (let round = 0; round < 4; round += 1) {
    await until(() => answers.length === 3);
    await turns();
    expect(answers).toHaveLength(3);
    for (const answer of answers.splice(0)) answer();
  }
  await until(() => runtime.stats().acked === 12);
  expect(answers).toHaveLength(0);
  expect(runtime.hasPendingWork()).toBe(false);
});

test('closing aborts waiting consumers and forgets every message', () => {
  const runtime = createRuntime({ ...pullPolicy, retry: { minimumMs: 60_000, maximumMs: 60_000 } });
  const consumer = new RecordingConsumer();
  runtime.addConsumer(consumer);
  runtime.enqueue(message('m'));
  const [leased] = runtime.pull(1);
  runtime.modifyAckDeadline([leased?.ackId ?? ''], 0);

  runtime.close(status.NOT_FOUND, 'deleted');
  expect(consumer.aborted).toBe(status.NOT_FOUND);
  expect(runtime.stats().outstanding).toBe(0);
});
