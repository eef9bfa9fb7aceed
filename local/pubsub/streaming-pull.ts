import type { ServerDuplexStream, status } from '@grpc/grpc-js';
import type { Broker } from './broker';
import { invalidArgument } from './errors';
import { toStatusError } from './grpc-handlers';
import type { StoredMessage } from './stored-message';
import { checkAckDeadlineSeconds } from './subscription-config';
import type { Consumer, SubscriptionRuntime } from './subscription-runtime';
import type { StreamingPullRequest, StreamingPullResponse, WireReceivedMessage } from './wire';

type StreamingPullCall = ServerDuplexStream<StreamingPullRequest, StreamingPullResponse>;

function parseStreamAckDeadlineSeconds(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 10 || seconds > 600) {
    throw invalidArgument(`Invalid stream_ack_deadline_seconds: ${seconds}. It must be between 10 and 600 seconds.`);
  }
  return seconds;
}

/** Flow-control limits: zero or negative means unlimited. */
function parseLimit(value: string | number): number {
  const limit = Number(value);
  return Number.isFinite(limit) && limit > 0 ? limit : Number.POSITIVE_INFINITY;
}

/** One StreamingPull stream: a consumer of its subscription, bounded by the client's flow control. */
class StreamingPullSession implements Consumer {
  private readonly call: StreamingPullCall;
  private readonly runtime: SubscriptionRuntime;
  private readonly maxMessages: number;
  private readonly maxBytes: number;
  private deadlineMs: number;
  private outstandingMessages = 0;
  private outstandingBytes = 0;
  private congested = false;
  private closed = false;

  constructor(call: StreamingPullCall, runtime: SubscriptionRuntime, first: StreamingPullRequest) {
    this.call = call;
    this.runtime = runtime;
    this.deadlineMs = parseStreamAckDeadlineSeconds(first.streamAckDeadlineSeconds) * 1000;
    this.maxMessages = parseLimit(first.maxOutstandingMessages);
    this.maxBytes = parseLimit(first.maxOutstandingBytes);
  }

  start(first: StreamingPullRequest): void {
    this.applyAcks(first);
    this.runtime.addConsumer(this);
  }

  handle(request: StreamingPullRequest): void {
    if (request.streamAckDeadlineSeconds !== 0) {
      this.deadlineMs = parseStreamAckDeadlineSeconds(request.streamAckDeadlineSeconds) * 1000;
    }
    const hadAcks = this.applyAcks(request);
    // The client pings idle streams and, having announced protocol_version 1, restarts
    // any stream the server does not answer within 15 s; an empty response is the answer.
    if (!hadAcks) this.write({});
  }

  room(): { messages: number; bytes: number } {
    if (this.closed || this.congested) return { messages: 0, bytes: 0 };
    return { messages: this.maxMessages - this.outstandingMessages, bytes: this.maxBytes - this.outstandingBytes };
  }

  ackDeadlineMs(): number {
    return this.deadlineMs;
  }

  receive(messages: WireReceivedMessage[], bytes: number): void {
    this.outstandingMessages += messages.length;
    this.outstandingBytes += bytes;
    this.write({
      receivedMessages: messages,
      subscriptionProperties: { exactlyOnceDeliveryEnabled: false, messageOrderingEnabled: this.runtime.policy.ordered },
    });
  }

  release(message: StoredMessage): void {
    this.outstandingMessages -= 1;
    this.outstandingBytes -= message.size;
    if (!this.closed) this.runtime.wake();
  }

  abort(code: status, details: string): void {
    if (this.closed) return;
    this.close();
    this.call.emit('error', { code, details });
  }

  close(): void {
    this.closed = true;
    this.runtime.removeConsumer(this);
  }

  private applyAcks(request: StreamingPullRequest): boolean {
    const { ackIds, modifyDeadlineAckIds, modifyDeadlineSeconds } = request;
    if (modifyDeadlineAckIds.length !== modifyDeadlineSeconds.length) {
      throw invalidArgument('modify_deadline_seconds and modify_deadline_ack_ids must be the same length.');
    }
    if (ackIds.length > 0) this.runtime.acknowledge(ackIds);
    modifyDeadlineAckIds.forEach((ackId, index) => {
      const seconds = modifyDeadlineSeconds[index] ?? 0;
      checkAckDeadlineSeconds(seconds, 'modify_deadline_seconds');
      this.runtime.modifyAckDeadline([ackId], seconds);
    });
    return ackIds.length > 0 || modifyDeadlineAckIds.length > 0;
  }

  private write(response: StreamingPullResponse): void {
    if (this.closed || this.call.destroyed || this.call.writableEnded) return;
    if (!this.call.write(response) && !this.congested) {
      this.congested = true;
      this.call.once('drain', () => {
        this.congested = false;
        this.runtime.wake();
      });
    }
  }
}

/** google.pubsub.v1.Subscriber/StreamingPull. */
export function serveStreamingPull(broker: Broker, call: StreamingPullCall, log: (line: string) => void): void {
  let session: StreamingPullSession | undefined;
  const fail = (error: unknown): void => {
    session?.close();
    const { code, details } = toStatusError(error, log);
    call.emit('error', { code, details });
  };
  call.on('data', (request: StreamingPullRequest) => {
    try {
      if (session !== undefined) {
        session.handle(request);
        return;
      }
      if (request.subscription === '') throw invalidArgument('The first StreamingPullRequest must name a subscription.');
      session = new StreamingPullSession(call, broker.subscription(request.subscription), request);
      session.start(request);
    } catch (error) {
      fail(error);
    }
  });
  call.on('end', () => {
    session?.close();
    if (!call.writableEnded) call.end();
  });
  call.on('cancelled', () => session?.close());
  call.on('error', () => session?.close());
}
