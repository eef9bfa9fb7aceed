/**
 * The record of what the worker's subscription dead-lettered: a push subscription on the
 * dead-letter topic posts each message to `POST /dead-letters` (terraform/operator.tf; the
 * local stack likewise, terraform/delivery.json `deadLetterRecording`). One document per
 * dead-lettered message in collection `deadLetters` (id: the message id on the dead-letter
 * topic, so a redelivery of the push changes nothing; TTL on `expireAt`), holding the ids and
 * attributes Pub/Sub adds (docs/contracts/google-cloud.md §2: delivery count, source
 * subscription, first publish time) and what the message says of itself (event, engagement,
 * business key) — never the event body. The operator's timeline and day view read it.
 */
import * as z from 'zod';
import { messagePublishedSchema } from '../../shared/events/pubsub-event';
import { badRequest } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import { claimedZoomIds } from '../../shared/zoom/events';
import { DocAlreadyExistsError, type DocStore } from '../../shared/ports/docstore';

export const DEAD_LETTERS_COLLECTION = 'deadLetters';

/** Attributes Pub/Sub sets on a message it forwards to a dead-letter topic. */
const DEAD_LETTER_ATTRIBUTES = {
  deliveryCount: 'CloudPubSubDeadLetterSourceDeliveryCount',
  subscription: 'CloudPubSubDeadLetterSourceSubscription',
  subscriptionProject: 'CloudPubSubDeadLetterSourceSubscriptionProject',
  publishTime: 'CloudPubSubDeadLetterSourceTopicPublishTime',
} as const;

const idText = z.string().min(1).max(200);
/** What the queued event says of itself (shared/zoom/queued-event.ts), read leniently: a dead letter may be malformed. */
const selfDescriptionSchema = z.looseObject({
  key: idText.optional().catch(undefined),
  envelope: z.unknown(),
});

export interface DeadLetterDeps {
  docs: DocStore;
  now: () => number;
  ttlMs: number;
  log: Logger;
}

/** Records one dead-lettered message; 'duplicate' when it was recorded before. A body that is no push is a 400. */
export async function recordDeadLetter(deps: DeadLetterDeps, body: unknown): Promise<'recorded' | 'duplicate'> {
  const parsed = messagePublishedSchema.safeParse(body);
  if (!parsed.success) throw badRequest('the body is not a Pub/Sub push message');
  const m = parsed.data.message;
  const messageId = m.messageId ?? m.message_id;
  if (!messageId) throw badRequest('the push message has no messageId');
  // Data that is not JSON is still a dead letter worth recording, by its ids.
  let data: unknown;
  try {
    data = m.data === undefined ? undefined : JSON.parse(Buffer.from(m.data, 'base64').toString('utf8'));
  } catch {
    data = undefined;
  }
  const message = { id: messageId, attributes: m.attributes ?? {}, publishTime: m.publishTime };
  const a = message.attributes;
  const self = selfDescriptionSchema.safeParse(data ?? {});
  const described: { key?: string | undefined; envelope?: unknown } = self.success ? self.data : {};
  const count = Number(a[DEAD_LETTER_ATTRIBUTES.deliveryCount]);
  const recordedAt = new Date(deps.now());
  const claimed = claimedZoomIds(described.envelope);
  const engagementId = a['engagementId'] ?? claimed.engagementId;
  try {
    await deps.docs.create(DEAD_LETTERS_COLLECTION, message.id, {
      messageId: message.id,
      recordedAt,
      expireAt: new Date(recordedAt.getTime() + deps.ttlMs),
      ...(Number.isInteger(count) && count > 0 ? { deliveryAttempts: count } : {}),
      ...optional('sourceSubscription', a[DEAD_LETTER_ATTRIBUTES.subscription]),
      ...optional('sourceProject', a[DEAD_LETTER_ATTRIBUTES.subscriptionProject]),
      ...optional('sourcePublishTime', a[DEAD_LETTER_ATTRIBUTES.publishTime]),
      ...optional('publishTime', message.publishTime),
      ...optional('event', a['event'] ?? claimed.event),
      ...optional('source', a['source']),
      ...optional('engagementId', engagementId),
      ...optional('key', described.key),
    });
  } catch (err) {
    if (err instanceof DocAlreadyExistsError) return 'duplicate';
    throw err;
  }
  deps.log.warn('dead-lettered message recorded', { messageId: message.id, deliveryAttempts: count, engagementId, event: a['event'] });
  return 'recorded';
}

const optional = (field: string, value: string | undefined): Record<string, string> =>
  value !== undefined && value.length > 0 && value.length <= 300 ? { [field]: value } : {};
