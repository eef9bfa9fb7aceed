/**
 * Shapes of the google.pubsub.v1 messages as @grpc/proto-loader decodes them with the
 * options in `proto.ts` (camelCase keys, int64 as string, enums as string, defaults on,
 * bytes as Buffer, oneof members present only when set). Protobuf decoding is the parse
 * step for gRPC input: every declared field is present with its type, so these interfaces
 * describe decoded requests exactly; semantic checks live in `subscription-config.ts`.
 */

export interface WireTimestamp {
  seconds: string | number;
  nanos: number;
}

export type WireDuration = WireTimestamp;

export interface WireFieldMask {
  paths: string[];
}

export interface WirePubsubMessage {
  data: Buffer;
  attributes: Record<string, string>;
  messageId: string;
  publishTime: WireTimestamp | null;
  orderingKey: string;
}

export interface WireTopic {
  name: string;
  labels: Record<string, string>;
  [field: string]: unknown;
}

export interface WireOidcToken {
  serviceAccountEmail: string;
  audience: string;
}

export interface WirePushConfig {
  pushEndpoint: string;
  attributes: Record<string, string>;
  oidcToken?: WireOidcToken | null;
  [field: string]: unknown;
}

export interface WireRetryPolicy {
  minimumBackoff: WireDuration | null;
  maximumBackoff: WireDuration | null;
}

export interface WireDeadLetterPolicy {
  deadLetterTopic: string;
  maxDeliveryAttempts: number;
}

export interface WireSubscription {
  name: string;
  topic: string;
  pushConfig: WirePushConfig | null;
  ackDeadlineSeconds: number;
  enableMessageOrdering: boolean;
  filter: string;
  deadLetterPolicy: WireDeadLetterPolicy | null;
  retryPolicy: WireRetryPolicy | null;
  enableExactlyOnceDelivery: boolean;
  bigqueryConfig: unknown;
  cloudStorageConfig: unknown;
  bigtableConfig?: unknown;
  state: string;
  [field: string]: unknown;
}

export interface WireReceivedMessage {
  ackId: string;
  message: WirePubsubMessage;
  deliveryAttempt: number;
}

export interface GetTopicRequest {
  topic: string;
}
export interface UpdateTopicRequest {
  topic: WireTopic | null;
  updateMask: WireFieldMask | null;
}
export interface PublishRequest {
  topic: string;
  messages: WirePubsubMessage[];
}
export interface ListRequest {
  pageSize: number;
  pageToken: string;
}
export interface ListTopicsRequest extends ListRequest {
  project: string;
}
export interface ListTopicSubscriptionsRequest extends ListRequest {
  topic: string;
}
export interface DeleteTopicRequest {
  topic: string;
}
export interface SubscriptionRequest {
  subscription: string;
}
export interface UpdateSubscriptionRequest {
  subscription: WireSubscription | null;
  updateMask: WireFieldMask | null;
}
export interface ListSubscriptionsRequest extends ListRequest {
  project: string;
}
export interface ModifyPushConfigRequest {
  subscription: string;
  pushConfig: WirePushConfig | null;
}
export interface PullRequest {
  subscription: string;
  returnImmediately: boolean;
  maxMessages: number;
}
export interface ModifyAckDeadlineRequest {
  subscription: string;
  ackIds: string[];
  ackDeadlineSeconds: number;
}
export interface AcknowledgeRequest {
  subscription: string;
  ackIds: string[];
}
export interface StreamingPullRequest {
  subscription: string;
  ackIds: string[];
  modifyDeadlineSeconds: number[];
  modifyDeadlineAckIds: string[];
  streamAckDeadlineSeconds: number;
  clientId: string;
  maxOutstandingMessages: string | number;
  maxOutstandingBytes: string | number;
  protocolVersion: string | number;
}
export interface StreamingPullResponse {
  receivedMessages?: WireReceivedMessage[];
  subscriptionProperties?: { exactlyOnceDeliveryEnabled: boolean; messageOrderingEnabled: boolean };
}
