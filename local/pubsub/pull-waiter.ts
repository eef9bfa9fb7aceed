import { status } from '@grpc/grpc-js';
import type { Consumer, SubscriptionRuntime } from './subscription-runtime';
import type { WireReceivedMessage } from './wire';

export type PullOutcome = { readonly messages: WireReceivedMessage[] } | { readonly error: { readonly code: status; readonly details: string } };

/**
 * A unary Pull that found nothing: waits like Pub/Sub for messages to arrive, and answers
 * with an empty list after `waitMs` so the caller polls again instead of hanging.
 */
export class PullWaiter implements Consumer {
  private readonly runtime: SubscriptionRuntime;
  private readonly maxMessages: number;
  private readonly settle: (outcome: PullOutcome) => void;
  private readonly timer: NodeJS.Timeout;
  private settled = false;

  constructor(runtime: SubscriptionRuntime, maxMessages: number, waitMs: number, settle: (outcome: PullOutcome) => void) {
    this.runtime = runtime;
    this.maxMessages = maxMessages;
    this.settle = settle;
    this.timer = setTimeout(() => this.finish({ messages: [] }), waitMs);
    this.timer.unref();
    runtime.addConsumer(this);
  }

  room(): { messages: number; bytes: number } {
    return this.settled ? { messages: 0, bytes: 0 } : { messages: this.maxMessages, bytes: Number.POSITIVE_INFINITY };
  }

  ackDeadlineMs(): number {
    return this.runtime.policy.ackDeadlineMs;
  }

  receive(messages: WireReceivedMessage[]): void {
    this.finish({ messages });
  }

  release(): void {}

  abort(code: status, details: string): void {
    // On shutdown an empty answer is kinder than UNAVAILABLE, which the client would
    // keep retrying against a server that is gone.
    this.finish(code === status.UNAVAILABLE ? { messages: [] } : { error: { code, details } });
  }

  /** The caller went away; leases already handed out expire on their own. */
  cancel(): void {
    this.settled = true;
    clearTimeout(this.timer);
    this.runtime.removeConsumer(this);
  }

  private finish(outcome: PullOutcome): void {
    if (this.settled) return;
    this.cancel();
    this.settle(outcome);
  }
}
