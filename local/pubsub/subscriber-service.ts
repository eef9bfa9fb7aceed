import type { handleBidiStreamingCall, handleUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Broker } from './broker';
import { invalidArgument } from './errors';
import { toStatusError, unary } from './grpc-handlers';
import { PullWaiter } from './pull-waiter';
import { serveStreamingPull } from './streaming-pull';
import { checkAckDeadlineSeconds } from './subscription-config';
import type {
  AcknowledgeRequest,
  ListSubscriptionsRequest,
  ModifyAckDeadlineRequest,
  ModifyPushConfigRequest,
  PullRequest,
  StreamingPullRequest,
  StreamingPullResponse,
  SubscriptionRequest,
  UpdateSubscriptionRequest,
  WireReceivedMessage,
  WireSubscription,
} from './wire';

export interface SubscriberServiceOptions {
  readonly log: (line: string) => void;
  /** How long a unary Pull with nothing to deliver waits before answering empty. */
  readonly pullWaitMs: number;
}

function pull(broker: Broker, options: SubscriberServiceOptions): handleUnaryCall<PullRequest, { receivedMessages: WireReceivedMessage[] }> {
  return (call, callback) => {
    const request = call.request;
    try {
      const runtime = broker.subscription(request.subscription);
      if (request.maxMessages <= 0) throw invalidArgument('max_messages must be greater than 0.');
      const receivedMessages = runtime.pull(request.maxMessages);
      if (receivedMessages.length > 0 || request.returnImmediately) {
        callback(null, { receivedMessages });
        return;
      }
      const waiter = new PullWaiter(runtime, request.maxMessages, options.pullWaitMs, (outcome) => {
        if ('error' in outcome) callback(outcome.error);
        else callback(null, { receivedMessages: outcome.messages });
      });
      call.on('cancelled', () => waiter.cancel());
    } catch (error) {
      const { code, details } = toStatusError(error, options.log);
      callback({ code, details });
    }
  };
}

/** google.pubsub.v1.Subscriber; snapshots and Seek answer UNIMPLEMENTED. */
export function createSubscriberService(broker: Broker, options: SubscriberServiceOptions): UntypedServiceImplementation {
  const { log } = options;
  const streamingPull: handleBidiStreamingCall<StreamingPullRequest, StreamingPullResponse> = (call) => serveStreamingPull(broker, call, log);
  return {
    CreateSubscription: unary(log, (subscription: WireSubscription) => broker.createSubscription(subscription)),
    GetSubscription: unary(log, (request: SubscriptionRequest) => broker.getSubscription(request.subscription)),
    UpdateSubscription: unary(log, (request: UpdateSubscriptionRequest) => broker.updateSubscription(request.subscription, request.updateMask)),
    ListSubscriptions: unary(log, (request: ListSubscriptionsRequest) => broker.listSubscriptions(request.project, request.pageSize, request.pageToken)),
    DeleteSubscription: unary(log, (request: SubscriptionRequest) => {
      broker.deleteSubscription(request.subscription);
      return {};
    }),
    ModifyPushConfig: unary(log, (request: ModifyPushConfigRequest) => {
      broker.modifyPushConfig(request.subscription, request.pushConfig);
      return {};
    }),
    Acknowledge: unary(log, (request: AcknowledgeRequest) => {
      if (request.ackIds.length === 0) throw invalidArgument('No ack ids were given.');
      broker.subscription(request.subscription).acknowledge(request.ackIds);
      return {};
    }),
    ModifyAckDeadline: unary(log, (request: ModifyAckDeadlineRequest) => {
      if (request.ackIds.length === 0) throw invalidArgument('No ack ids were given.');
      checkAckDeadlineSeconds(request.ackDeadlineSeconds, 'ack_deadline_seconds');
      broker.subscription(request.subscription).modifyAckDeadline(request.ackIds, request.ackDeadlineSeconds);
      return {};
    }),
    Pull: pull(broker, options),
    StreamingPull: streamingPull,
  };
}
