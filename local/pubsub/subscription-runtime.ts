import type { status } from '@grpc/grpc-js';
import { Deque } from './deque';
import type { StoredMessage } from './stored-message';
import { computeRetryDelayMs, type DeliveryPolicy } from './subscription-config';
import type { WireReceivedMessage, WireSubscription } from './wire';

type PendingState =
  | 'queued' // behind an earlier message with the same ordering key
  | 'ready' // waiting in the ready queue for a puller or a push slot
  | 'leased' // handed to a puller, waiting for ack / nack / deadline
  | 'pushing' // push request in flight
  | 'waiting' // failed, waiting out the retry back-off
  | 'done'; // acked or dead-lettered

/** One message's delivery state within one subscription. */
interface Pending {
  readonly message: StoredMessage;
  attempts: number;
  state: PendingState;
  ackId: string | undefined;
  timer: TimerHandle | undefined;
  lessee: Consumer | undefined;
}

/** A pull client waiting for messages: a StreamingPull stream or a blocked Pull call. */
export interface Consumer {
  /** How many more messages and bytes the consumer takes now; 0 pauses delivery to it. */
  room(): { readonly messages: number; readonly bytes: number };
  ackDeadlineMs(): number;
  receive(messages: WireReceivedMessage[], bytes: number): void;
  /** A message leased to this consumer was acked, nacked or expired. */
  release(message: StoredMessage): void;
  abort(code: status, details: string): void;
}

export type TimerHandle = unknown;

/** Lease and back-off timers: the process's by default (never keeping it alive), a test's clock otherwise. */
export interface RuntimeTimers {
  set(run: () => void, ms: number): TimerHandle;
  clear(handle: TimerHandle | undefined): void;
}

const processTimers: RuntimeTimers = {
  set: (run, ms) => setTimeout(run, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout | undefined),
};

export interface SubscriptionRuntimeDeps {
  readonly pushConcurrency: number;
  readonly timers?: RuntimeTimers;
  /** Resolves true when the endpoint acknowledged the message (2xx). Never rejects. */
  push(runtime: SubscriptionRuntime, message: StoredMessage, deliveryAttempt: number | undefined): Promise<boolean>;
  deadLetter(runtime: SubscriptionRuntime, message: StoredMessage, deliveryAttempts: number): void;
}

export interface SubscriptionStats {
  /** Delivery attempts: push requests sent plus messages handed to pullers. */
  readonly delivered: number;
  readonly acked: number;
  /** Non-2xx or failed pushes, nacks and expired leases. */
  readonly failedAttempts: number;
  readonly deadLettered: number;
  /** Messages neither acked nor dead-lettered yet (backlog, leased, in flight, backing off). */
  readonly outstanding: number;
}

// One StreamingPull response stays well under gRPC's default 4 MB receive limit.
const MAX_BATCH_MESSAGES = 1000;
const MAX_BATCH_BYTES = 3 * 1024 * 1024;

/**
 * Delivery state of one subscription: leases and ack ids for pull, a bounded pool of
 * in-flight requests for push, retry back-off and dead-lettering for both.
 */
export class SubscriptionRuntime {
  readonly name: string;
  config: WireSubscription;
  policy: DeliveryPolicy;

  private readonly deps: SubscriptionRuntimeDeps;
  private readonly timers: RuntimeTimers;
  private readonly ackIdPrefix: string;
  private readonly unfinished = new Set<Pending>();
  private readonly ready = new Deque<Pending>();
  private readonly orderingQueues = new Map<string, Deque<Pending>>();
  private readonly leases = new Map<string, Pending>();
  private readonly consumers = new Set<Consumer>();
  private waiting = 0;
  private pushing = 0;
  private ackIdCounter = 0;
  private pumpHandle: NodeJS.Immediate | undefined;
  private closed = false;
  private delivered = 0;
  private acked = 0;
  private failedAttempts = 0;
  private deadLettered = 0;

  constructor(config: WireSubscription, policy: DeliveryPolicy, ackIdPrefix: string, deps: SubscriptionRuntimeDeps) {
    this.name = config.name;
    this.config = config;
    this.policy = policy;
    this.ackIdPrefix = ackIdPrefix;
    this.deps = deps;
    this.timers = deps.timers ?? processTimers;
  }

  enqueue(message: StoredMessage): void {
    if (this.closed) return;
    const pending: Pending = { message, attempts: 0, state: 'ready', ackId: undefined, timer: undefined, lessee: undefined };
    this.unfinished.add(pending);
    if (this.policy.ordered && message.orderingKey !== '') {
      let queue = this.orderingQueues.get(message.orderingKey);
      if (queue === undefined) {
        queue = new Deque();
        this.orderingQueues.set(message.orderingKey, queue);
      }
      queue.push(pending);
      // Best-effort ordering: one message per key is out at a time, so order holds even
      // across nacks and redeliveries, at the price of one round-trip per ordered message.
      if (queue.length > 1) {
        pending.state = 'queued';
        return;
      }
    }
    this.ready.push(pending);
    this.schedulePump();
  }

  /** Leases up to `maxMessages` ready messages right away (unary Pull). */
  pull(maxMessages: number): WireReceivedMessage[] {
    if (this.closed) return [];
    const { batch } = this.lease(undefined, maxMessages, MAX_BATCH_BYTES, this.policy.ackDeadlineMs);
    if (batch.length > 0) this.schedulePump();
    return batch;
  }

  acknowledge(ackIds: readonly string[]): void {
    for (const ackId of ackIds) {
      const pending = this.leases.get(ackId);
      // Unknown, superseded or expired ack ids are ignored, as Pub/Sub does without
      // exactly-once delivery.
      if (pending === undefined) continue;
      this.endLease(pending);
      this.acked += 1;
      this.finish(pending);
    }
    this.schedulePump();
  }

  modifyAckDeadline(ackIds: readonly string[], seconds: number): void {
    for (const ackId of ackIds) {
      const pending = this.leases.get(ackId);
      if (pending === undefined) continue;
      if (seconds === 0) {
        // A nack ends the lease and retires its ack id, so the client's later deadline
        // extensions for that id cannot keep the message leased.
        this.endLease(pending);
        this.fail(pending);
      } else {
        this.timers.clear(pending.timer);
        pending.timer = this.startLeaseTimer(pending, ackId, seconds * 1000);
      }
    }
    this.schedulePump();
  }

  addConsumer(consumer: Consumer): void {
    this.consumers.add(consumer);
    this.schedulePump();
  }

  removeConsumer(consumer: Consumer): void {
    this.consumers.delete(consumer);
  }

  /** A consumer has room again (flow control released, transport drained). */
  wake(): void {
    this.schedulePump();
  }

  /** Applies an updated subscription (push config, deadlines, retry and dead-letter policy). */
  reconfigure(config: WireSubscription, policy: DeliveryPolicy): void {
    this.config = config;
    this.policy = policy;
    this.schedulePump();
  }

  /** Something is in flight, backing off, or ready with someone there to take it. */
  hasPendingWork(): boolean {
    if (this.policy.push !== undefined) return this.unfinished.size > 0;
    return this.leases.size > 0 || this.waiting > 0 || this.pushing > 0 || (this.ready.length > 0 && this.consumers.size > 0);
  }

  stats(): SubscriptionStats {
    return {
      delivered: this.delivered,
      acked: this.acked,
      failedAttempts: this.failedAttempts,
      deadLettered: this.deadLettered,
      outstanding: this.unfinished.size,
    };
  }

  /** Stops all delivery: timers cleared, pullers told why with `code`. */
  close(code: status, details: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pumpHandle !== undefined) clearImmediate(this.pumpHandle);
    for (const pending of this.unfinished) this.timers.clear(pending.timer);
    for (const consumer of [...this.consumers]) consumer.abort(code, details);
    this.consumers.clear();
    this.unfinished.clear();
    this.leases.clear();
    this.orderingQueues.clear();
    this.ready.clear();
  }

  private schedulePump(): void {
    if (this.closed || this.pumpHandle !== undefined) return;
    // Deferred so a Publish of many messages or an Acknowledge of many ids is handed on
    // in one batch rather than one response per message.
    this.pumpHandle = setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpHandle = undefined;
    if (this.closed) return;
    if (this.policy.push !== undefined) {
      while (this.pushing < this.deps.pushConcurrency) {
        const pending = this.ready.shift();
        if (pending === undefined) break;
        this.startPush(pending);
      }
      return;
    }
    let progressed = true;
    while (progressed && this.ready.length > 0) {
      progressed = false;
      for (const consumer of [...this.consumers]) {
        if (this.ready.length === 0) break;
        if (!this.consumers.has(consumer)) continue;
        const room = consumer.room();
        if (room.messages <= 0 || room.bytes <= 0) continue;
        const { batch, bytes } = this.lease(consumer, room.messages, room.bytes, consumer.ackDeadlineMs());
        if (batch.length === 0) continue;
        // Rotate, so the next round starts with another stream.
        this.consumers.delete(consumer);
        this.consumers.add(consumer);
        consumer.receive(batch, bytes);
        progressed = true;
      }
    }
  }

  private lease(consumer: Consumer | undefined, maxMessages: number, maxBytes: number, deadlineMs: number): { batch: WireReceivedMessage[]; bytes: number } {
    const batch: WireReceivedMessage[] = [];
    const messageLimit = Math.min(maxMessages, MAX_BATCH_MESSAGES);
    const byteLimit = Math.min(maxBytes, MAX_BATCH_BYTES);
    let bytes = 0;
    while (batch.length < messageLimit) {
      const next = this.ready.peek();
      if (next === undefined) break;
      // Always hand out at least one message, however large.
      if (batch.length > 0 && bytes + next.message.size > byteLimit) break;
      this.ready.shift();
      bytes += next.message.size;
      this.ackIdCounter += 1;
      const ackId = `${this.ackIdPrefix}-${this.ackIdCounter}`;
      next.attempts += 1;
      this.delivered += 1;
      next.state = 'leased';
      next.ackId = ackId;
      next.lessee = consumer;
      next.timer = this.startLeaseTimer(next, ackId, deadlineMs);
      this.leases.set(ackId, next);
      batch.push({ ackId, message: next.message.wire, deliveryAttempt: this.deliveryAttemptOf(next) ?? 0 });
    }
    return { batch, bytes };
  }

  private startLeaseTimer(pending: Pending, ackId: string, deadlineMs: number): TimerHandle {
    return this.timers.set(() => {
      if (pending.ackId !== ackId) return;
      this.endLease(pending);
      this.fail(pending);
    }, deadlineMs);
  }

  private endLease(pending: Pending): void {
    this.timers.clear(pending.timer);
    pending.timer = undefined;
    if (pending.ackId !== undefined) this.leases.delete(pending.ackId);
    pending.ackId = undefined;
    const lessee = pending.lessee;
    pending.lessee = undefined;
    lessee?.release(pending.message);
  }

  /** Pub/Sub reports delivery attempts only on subscriptions with a dead-letter policy. */
  private deliveryAttemptOf(pending: Pending): number | undefined {
    return this.policy.deadLetter === undefined ? undefined : pending.attempts;
  }

  private startPush(pending: Pending): void {
    pending.attempts += 1;
    this.delivered += 1;
    pending.state = 'pushing';
    this.pushing += 1;
    const settle = (ok: boolean): void => {
      this.pushing -= 1;
      if (this.closed || pending.state !== 'pushing') return;
      if (ok) {
        this.acked += 1;
        this.finish(pending);
      } else {
        this.fail(pending);
      }
      this.schedulePump();
    };
    this.deps.push(this, pending.message, this.deliveryAttemptOf(pending)).then(settle, () => settle(false));
  }

  private fail(pending: Pending): void {
    this.failedAttempts += 1;
    const deadLetter = this.policy.deadLetter;
    if (deadLetter !== undefined && pending.attempts >= deadLetter.maxDeliveryAttempts) {
      this.deadLettered += 1;
      this.deps.deadLetter(this, pending.message, pending.attempts);
      this.finish(pending);
      this.schedulePump();
      return;
    }
    const delayMs = computeRetryDelayMs(this.policy, pending.attempts);
    if (delayMs <= 0) {
      this.makeReady(pending);
      return;
    }
    pending.state = 'waiting';
    this.waiting += 1;
    pending.timer = this.timers.set(() => {
      pending.timer = undefined;
      this.waiting -= 1;
      this.makeReady(pending);
    }, delayMs);
  }

  private makeReady(pending: Pending): void {
    pending.state = 'ready';
    this.ready.push(pending);
    this.schedulePump();
  }

  private finish(pending: Pending): void {
    pending.state = 'done';
    this.unfinished.delete(pending);
    const key = pending.message.orderingKey;
    if (!this.policy.ordered || key === '') return;
    const queue = this.orderingQueues.get(key);
    if (queue === undefined) return;
    queue.shift();
    const next = queue.peek();
    if (next === undefined) {
      this.orderingQueues.delete(key);
    } else {
      this.makeReady(next);
    }
  }
}
