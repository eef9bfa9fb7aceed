/**
 * Creates, through the real client libraries, what Terraform creates in production:
 * buckets, topics, dead-letter topics, and the push subscriptions of terraform/delivery.json
 * (OIDC token, ack deadline, retry back-off, dead-letter after N attempts).
 */
import type { Env } from '../shared/config';
import { createPubSub, createStorage } from '../shared/google';
import type { DeliverySpec } from './delivery';

export interface ProvisionOptions {
  env: Env;
  functionUrls: Record<string, string>;
  delivery: DeliverySpec;
  /** Service account whose OIDC token each push subscription carries, by subscription name. */
  pushIdentities: Record<string, string>;
  /** Replaces every subscription's back-off (tests and chaos runs compress time), in seconds. */
  pushBackoff?: { min: number; max: number };
  maxDeliveryAttempts: number;
}

export const deadLetterTopic = (topic: string) => `${topic}-dead-letter`;

export async function provisionLocalResources(options: ProvisionOptions): Promise<void> {
  const project = options.env['GCP_PROJECT'] ?? 'ccbridge-local';
  const storage = createStorage(project);
  for (const bucket of [options.env['ARCHIVE_BUCKET'], options.env['CCAI_STORAGE_BUCKET']]) {
    if (!bucket) continue;
    const [exists] = await storage.bucket(bucket).exists();
    if (!exists) await storage.createBucket(bucket);
  }

  const pubsub = createPubSub(project);
  try {
    const topics = [options.env['ZOOM_EVENTS_TOPIC'], options.env['CONVERSATION_EVENTS_TOPIC'], options.env['RECONCILE_SLICES_TOPIC']].filter(
      (t): t is string => !!t,
    );
    for (const topic of topics) {
      await ensureTopic(pubsub, topic);
      await ensureTopic(pubsub, deadLetterTopic(topic));
      // A pull subscription on every dead-letter topic, so what lands there can be inspected.
      await ensureSubscription(pubsub, deadLetterTopic(topic), `${deadLetterTopic(topic)}-inspect`, {});
    }
    // Besides call-log's push subscription, keep the conversation events inspectable.
    const conversations = options.env['CONVERSATION_EVENTS_TOPIC'];
    if (conversations) await ensureSubscription(pubsub, conversations, `${conversations}-inspect`, {});

    // The topics' names in this environment (the *_TOPIC settings), by their production name.
    const topicNames: Record<string, string | undefined> = {
      'zoom-events': options.env['ZOOM_EVENTS_TOPIC'],
      'reconcile-slices': options.env['RECONCILE_SLICES_TOPIC'],
      'conversation-events': options.env['CONVERSATION_EVENTS_TOPIC'],
    };
    for (const [name, sub] of Object.entries(options.delivery.subscriptions)) {
      const topic = topicNames[sub.topic];
      const url = options.functionUrls[sub.function];
      const identity = options.pushIdentities[name];
      if (!topic || !url || !identity) continue;
      // The audience is the function's URL, as Terraform sets it (reconcile reads it as RECONCILE_AUDIENCE).
      const audience = sub.function === 'reconcile' ? (options.env['RECONCILE_AUDIENCE'] ?? url) : url;
      const backoff = options.pushBackoff ?? { min: sub.minimumBackoffSeconds, max: sub.maximumBackoffSeconds };
      await ensureSubscription(pubsub, topic, name, {
        pushConfig: { pushEndpoint: `${url}${sub.path === '/' ? '' : sub.path}`, oidcToken: { serviceAccountEmail: identity, audience } },
        // Also the push request's timeout: the push waits for the answer this long, as in production.
        ackDeadlineSeconds: sub.ackDeadlineSeconds,
        retryPolicy: { minimumBackoff: seconds(backoff.min), maximumBackoff: seconds(backoff.max) },
        deadLetterPolicy: { deadLetterTopic: pubsub.topic(deadLetterTopic(topic)).name, maxDeliveryAttempts: options.maxDeliveryAttempts },
      });
    }
    // What the worker's subscription dead-letters is pushed to the recorder, as Terraform does (operator.tf).
    const recording = options.delivery.deadLetterRecording;
    const recordingTopic = topicNames[recording.sourceTopic];
    const recordingUrl = options.functionUrls[recording.function];
    const recordingIdentity = options.pushIdentities[recording.subscription];
    if (recordingTopic && recordingUrl && recordingIdentity) {
      const backoff = options.pushBackoff ?? { min: recording.minimumBackoffSeconds, max: recording.maximumBackoffSeconds };
      await ensureSubscription(pubsub, deadLetterTopic(recordingTopic), recording.subscription, {
        pushConfig: { pushEndpoint: `${recordingUrl}${recording.path}`, oidcToken: { serviceAccountEmail: recordingIdentity, audience: recordingUrl } },
        ackDeadlineSeconds: recording.ackDeadlineSeconds,
        retryPolicy: { minimumBackoff: seconds(backoff.min), maximumBackoff: seconds(backoff.max) },
      });
    }
  } finally {
    await pubsub.close();
  }
}

function seconds(value: number): { seconds: number; nanos: number } {
  const whole = Math.floor(value);
  return { seconds: whole, nanos: Math.round((value - whole) * 1e9) };
}

async function ensureTopic(pubsub: ReturnType<typeof createPubSub>, name: string): Promise<void> {
  const [exists] = await pubsub.topic(name).exists();
  if (!exists) await pubsub.createTopic(name);
}

async function ensureSubscription(
  pubsub: ReturnType<typeof createPubSub>,
  topic: string,
  name: string,
  options: Parameters<ReturnType<typeof createPubSub>['createSubscription']>[2],
): Promise<void> {
  const [exists] = await pubsub.subscription(name).exists();
  if (!exists) await pubsub.createSubscription(topic, name, options);
}
