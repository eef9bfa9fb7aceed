/**
 * Creates, through the real client libraries, what Terraform creates in production:
 * buckets, topics, dead-letter topics, and the push subscriptions that deliver events to
 * the functions as Eventarc does (retry with back-off, dead-letter after N attempts).
 */
import type { Env } from '../shared/config';
import { createPubSub, createStorage } from '../shared/google';
import type { FunctionManifestEntry } from './manifest';

export interface ProvisionOptions {
  env: Env;
  functionUrls: Record<string, string>;
  manifest: FunctionManifestEntry[];
  pushBackoff: { min: number; max: number };
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
    const topics = [options.env['ZOOM_EVENTS_TOPIC'], options.env['CONVERSATION_EVENTS_TOPIC'], options.env['RECONCILE_SLICES_TOPIC']].filter((t): t is string => !!t);
    for (const topic of topics) {
      await ensureTopic(pubsub, topic);
      await ensureTopic(pubsub, deadLetterTopic(topic));
      // A pull subscription on every dead-letter topic, so what lands there can be inspected.
      await ensureSubscription(pubsub, deadLetterTopic(topic), `${deadLetterTopic(topic)}-inspect`, {});
    }
    // The conversation events have no consumer in the bundle yet; keep them inspectable.
    const conversations = options.env['CONVERSATION_EVENTS_TOPIC'];
    if (conversations) await ensureSubscription(pubsub, conversations, `${conversations}-inspect`, {});

    for (const fn of options.manifest) {
      if (fn.signature !== 'cloudevent' || !fn.topic) continue;
      const url = options.functionUrls[fn.name];
      if (!url) continue;
      await ensureSubscription(pubsub, fn.topic, `${fn.name}-trigger`, {
        pushConfig: { pushEndpoint: url },
        ackDeadlineSeconds: 60,
        retryPolicy: { minimumBackoff: seconds(options.pushBackoff.min), maximumBackoff: seconds(options.pushBackoff.max) },
        deadLetterPolicy: { deadLetterTopic: pubsub.topic(deadLetterTopic(fn.topic)).name, maxDeliveryAttempts: options.maxDeliveryAttempts },
      });
    }

    // reconcile hands its lanes to itself through reconcile-slices, pushed to /slices with an
    // OIDC token of its own service account for its URL (terraform/main.tf: reconcile-slices-push).
    // The push waits for the answer up to the ack deadline, as in production (600 s).
    const slicesTopic = options.env['RECONCILE_SLICES_TOPIC'];
    const reconcileUrl = options.functionUrls['reconcile'];
    const pushIdentity = options.env['RECONCILE_PUSH_INVOKERS']?.split(',')[0]?.trim();
    if (slicesTopic && reconcileUrl && pushIdentity) {
      await ensureSubscription(pubsub, slicesTopic, 'reconcile-slices-push', {
        pushConfig: { pushEndpoint: `${reconcileUrl}/slices`, oidcToken: { serviceAccountEmail: pushIdentity, audience: options.env['RECONCILE_AUDIENCE'] ?? reconcileUrl } },
        ackDeadlineSeconds: 600,
        retryPolicy: { minimumBackoff: seconds(options.pushBackoff.min), maximumBackoff: seconds(options.pushBackoff.max) },
        deadLetterPolicy: { deadLetterTopic: pubsub.topic(deadLetterTopic(slicesTopic)).name, maxDeliveryAttempts: options.maxDeliveryAttempts },
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
