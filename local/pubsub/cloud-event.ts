import { publishTimeOf, type StoredMessage } from './stored-message';

export interface PushRequestContent {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

export const MESSAGE_PUBLISHED_TYPE = 'google.cloud.pubsub.topic.v1.messagePublished';

/**
 * The HTTP request Eventarc sends to a 2nd gen Cloud Function for a Pub/Sub message: a
 * binary-mode CloudEvent (`ce-*` headers) whose JSON body is the Pub/Sub push envelope.
 * Deliveries seen from Eventarc also repeat messageId/publishTime in snake case
 * (message_id, publish_time); Google's documented example shows only camel case. Both
 * are sent, so handlers written against either spelling work here and in production.
 */
export function buildPubSubCloudEvent(
  message: StoredMessage,
  subscription: string,
  deliveryAttempt: number | undefined,
): PushRequestContent {
  const publishTime = publishTimeOf(message);
  const envelope = {
    message: {
      data: message.data.toString('base64'),
      attributes: message.attributes,
      messageId: message.messageId,
      message_id: message.messageId,
      publishTime,
      publish_time: publishTime,
      ...(message.orderingKey === '' ? {} : { orderingKey: message.orderingKey }),
    },
    subscription,
    ...(deliveryAttempt === undefined ? {} : { deliveryAttempt }),
  };
  return {
    headers: {
      'ce-id': message.messageId,
      'ce-specversion': '1.0',
      'ce-type': MESSAGE_PUBLISHED_TYPE,
      'ce-source': `//pubsub.googleapis.com/${message.topic}`,
      'ce-time': publishTime,
      'content-type': 'application/json',
    },
    body: Buffer.from(JSON.stringify(envelope)),
  };
}
