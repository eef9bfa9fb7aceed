import { status } from '@grpc/grpc-js';
import { alreadyExists, invalidArgument, notFound } from './errors';
import { paginate } from './pagination';
import { DELETED_TOPIC, parseProjectName, parseSubscriptionName, parseTopicName } from './resource-names';
import { createStoredMessage, publishTimeOf, type StoredMessage } from './stored-message';
import { normalizeSubscription, toDeliveryPolicy } from './subscription-config';
import { SubscriptionRuntime, type SubscriptionRuntimeDeps, type SubscriptionStats } from './subscription-runtime';
import type { WireFieldMask, WirePushConfig, WireSubscription, WireTopic } from './wire';

interface TopicRecord {
  config: WireTopic;
  readonly subscriptions: Set<SubscriptionRuntime>;
}

export interface PublishInput {
  readonly data: Buffer;
  readonly attributes: Record<string, string>;
  readonly orderingKey: string;
}

export interface BrokerDeps {
  readonly pushConcurrency: number;
  push: SubscriptionRuntimeDeps['push'];
  log(line: string): void;
  now(): number;
}

// Fields UpdateTopic / UpdateSubscription may change (update_mask paths, snake case).
const UPDATABLE_TOPIC_FIELDS = new Set([
  'labels',
  'message_storage_policy',
  'kms_key_name',
  'schema_settings',
  'message_retention_duration',
  'ingestion_data_source_settings',
  'message_transforms',
]);
const UPDATABLE_SUBSCRIPTION_FIELDS = new Set([
  'push_config',
  'ack_deadline_seconds',
  'retain_acked_messages',
  'message_retention_duration',
  'labels',
  'expiration_policy',
  'dead_letter_policy',
  'retry_policy',
  'enable_exactly_once_delivery',
  'detached',
]);

function toCamelCase(path: string): string {
  return path.replace(/_([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}

function maskedPaths(mask: WireFieldMask | null, allowed: ReadonlySet<string>, kind: string): string[] {
  const paths = mask?.paths ?? [];
  if (paths.length === 0) throw invalidArgument(`The update_mask in the Update${kind}Request must be set.`);
  for (const path of paths) {
    if (!allowed.has(path)) throw invalidArgument(`Invalid update_mask provided in the Update${kind}Request: the '${path}' field cannot be updated.`);
  }
  return paths;
}

/** Topics, subscriptions and message fan-out: the emulator's whole in-memory state. */
export class Broker {
  private readonly topics = new Map<string, TopicRecord>();
  private readonly subscriptions = new Map<string, SubscriptionRuntime>();
  private readonly deps: BrokerDeps;
  private readonly runtimeDeps: SubscriptionRuntimeDeps;
  private messageCounter = 0;
  private subscriptionCounter = 0;

  constructor(deps: BrokerDeps) {
    this.deps = deps;
    this.runtimeDeps = {
      pushConcurrency: deps.pushConcurrency,
      push: deps.push,
      deadLetter: (runtime, message, attempts) => this.deadLetter(runtime, message, attempts),
    };
  }

  createTopic(topic: WireTopic): WireTopic {
    const name = parseTopicName(topic.name);
    if (this.topics.has(topic.name)) throw alreadyExists(name.id);
    this.topics.set(topic.name, { config: topic, subscriptions: new Set() });
    return topic;
  }

  getTopic(topicName: string): WireTopic {
    return this.topicRecord(topicName).config;
  }

  updateTopic(topic: WireTopic | null, mask: WireFieldMask | null): WireTopic {
    if (topic === null) throw invalidArgument('The topic must be set in the UpdateTopicRequest.');
    const record = this.topicRecord(topic.name);
    const updated: WireTopic = { ...record.config };
    for (const path of maskedPaths(mask, UPDATABLE_TOPIC_FIELDS, 'Topic')) {
      const field = toCamelCase(path);
      updated[field] = topic[field];
    }
    record.config = updated;
    return updated;
  }

  listTopics(project: string, pageSize: number, pageToken: string): { topics: WireTopic[]; nextPageToken: string } {
    const projectId = parseProjectName(project);
    const prefix = `projects/${projectId}/topics/`;
    const names = [...this.topics.keys()].filter((name) => name.startsWith(prefix)).sort();
    const { page, nextPageToken } = paginate(names, pageSize, pageToken);
    return { topics: page.map((name) => this.topicRecord(name).config), nextPageToken };
  }

  listTopicSubscriptions(topicName: string, pageSize: number, pageToken: string): { subscriptions: string[]; nextPageToken: string } {
    const record = this.topicRecord(topicName);
    const names = [...record.subscriptions].map((runtime) => runtime.name).sort();
    const { page, nextPageToken } = paginate(names, pageSize, pageToken);
    return { subscriptions: page, nextPageToken };
  }

  deleteTopic(topicName: string): void {
    const record = this.topicRecord(topicName);
    this.topics.delete(topicName);
    // As in Pub/Sub, subscriptions outlive their topic and point at _deleted-topic_.
    for (const runtime of record.subscriptions) {
      runtime.reconfigure({ ...runtime.config, topic: DELETED_TOPIC }, runtime.policy);
    }
  }

  publish(topicName: string, messages: readonly PublishInput[]): string[] {
    const record = this.topicRecord(topicName);
    if (messages.length === 0) throw invalidArgument('The request contains no messages.');
    for (const message of messages) {
      if (message.data.length === 0 && Object.keys(message.attributes).length === 0) {
        throw invalidArgument(
          'One or more messages in the publish request is empty. Each message must contain either non-empty data, or at least one attribute.',
        );
      }
    }
    const publishTimeMs = this.deps.now();
    const ids: string[] = [];
    for (const input of messages) {
      this.messageCounter += 1;
      const message = createStoredMessage(input, String(this.messageCounter), topicName, publishTimeMs);
      for (const runtime of record.subscriptions) runtime.enqueue(message);
      ids.push(message.messageId);
    }
    return ids;
  }

  createSubscription(request: WireSubscription): WireSubscription {
    const name = parseSubscriptionName(request.name);
    const topicName = parseTopicName(request.topic);
    const topic = this.topics.get(request.topic);
    if (topic === undefined) throw notFound(topicName.id);
    if (this.subscriptions.has(request.name)) throw alreadyExists(name.id);
    const config = normalizeSubscription(request);
    this.subscriptionCounter += 1;
    const runtime = new SubscriptionRuntime(config, toDeliveryPolicy(config), `s${this.subscriptionCounter}`, this.runtimeDeps);
    this.subscriptions.set(config.name, runtime);
    // Only messages published from now on reach the new subscription, as in Pub/Sub.
    topic.subscriptions.add(runtime);
    return config;
  }

  getSubscription(subscriptionName: string): WireSubscription {
    return this.subscription(subscriptionName).config;
  }

  updateSubscription(subscription: WireSubscription | null, mask: WireFieldMask | null): WireSubscription {
    if (subscription === null) throw invalidArgument('The subscription must be set in the UpdateSubscriptionRequest.');
    const runtime = this.subscription(subscription.name);
    const merged: WireSubscription = { ...runtime.config };
    for (const path of maskedPaths(mask, UPDATABLE_SUBSCRIPTION_FIELDS, 'Subscription')) {
      const field = toCamelCase(path);
      merged[field] = subscription[field];
    }
    const config = normalizeSubscription(merged);
    runtime.reconfigure(config, toDeliveryPolicy(config));
    return config;
  }

  modifyPushConfig(subscriptionName: string, pushConfig: WirePushConfig | null): void {
    const runtime = this.subscription(subscriptionName);
    const config = normalizeSubscription({ ...runtime.config, pushConfig });
    runtime.reconfigure(config, toDeliveryPolicy(config));
  }

  listSubscriptions(project: string, pageSize: number, pageToken: string): { subscriptions: WireSubscription[]; nextPageToken: string } {
    const projectId = parseProjectName(project);
    const prefix = `projects/${projectId}/subscriptions/`;
    const names = [...this.subscriptions.keys()].filter((name) => name.startsWith(prefix)).sort();
    const { page, nextPageToken } = paginate(names, pageSize, pageToken);
    return { subscriptions: page.map((name) => this.subscription(name).config), nextPageToken };
  }

  deleteSubscription(subscriptionName: string): void {
    const runtime = this.subscription(subscriptionName);
    this.subscriptions.delete(subscriptionName);
    this.topics.get(runtime.config.topic)?.subscriptions.delete(runtime);
    runtime.close(status.NOT_FOUND, `Subscription does not exist (resource=${parseSubscriptionName(subscriptionName).id})`);
  }

  /** The live subscription, or NOT_FOUND. */
  subscription(subscriptionName: string): SubscriptionRuntime {
    const runtime = this.subscriptions.get(subscriptionName);
    if (runtime === undefined) throw notFound(parseSubscriptionName(subscriptionName).id);
    return runtime;
  }

  stats(): Record<string, SubscriptionStats> {
    const result: Record<string, SubscriptionStats> = {};
    for (const [name, runtime] of this.subscriptions) result[name] = runtime.stats();
    return result;
  }

  busySubscriptions(): string[] {
    return [...this.subscriptions.values()].filter((runtime) => runtime.hasPendingWork()).map((runtime) => runtime.name);
  }

  close(): void {
    for (const runtime of this.subscriptions.values()) runtime.close(status.UNAVAILABLE, 'The Pub/Sub emulator is shutting down.');
    this.subscriptions.clear();
    this.topics.clear();
  }

  private topicRecord(topicName: string): TopicRecord {
    const record = this.topics.get(topicName);
    if (record === undefined) throw notFound(parseTopicName(topicName).id);
    return record;
  }

  private deadLetter(runtime: SubscriptionRuntime, message: StoredMessage, attempts: number): void {
    const policy = runtime.policy.deadLetter;
    if (policy === undefined) return;
    const source = parseSubscriptionName(runtime.name);
    if (!this.topics.has(policy.topic)) {
      this.deps.log(`pubsub: dead-letter topic ${policy.topic} does not exist; message ${message.messageId} from ${runtime.name} dropped`);
      return;
    }
    const [id] = this.publish(policy.topic, [
      {
        data: message.data,
        attributes: {
          ...message.attributes,
          CloudPubSubDeadLetterSourceDeliveryCount: String(attempts),
          CloudPubSubDeadLetterSourceSubscription: source.id,
          CloudPubSubDeadLetterSourceSubscriptionProject: source.project,
          CloudPubSubDeadLetterSourceTopicPublishTime: publishTimeOf(message),
        },
        orderingKey: message.orderingKey,
      },
    ]);
    this.deps.log(`pubsub: message ${message.messageId} from ${runtime.name} dead-lettered to ${policy.topic} as ${id} after ${attempts} attempts`);
  }
}
