import { publishTimeOf, type StoredMessage } from './stored-message';

export interface PushRequestContent {
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * The HTTP request a Pub/Sub push subscription sends (wrapped, the default): a JSON body with
 * `message` (data base64, attributes, messageId/message_id, publishTime/publish_time,
 * orderingKey when set), `subscription`, and `deliveryAttempt` only when the subscription has
 * a dead-letter policy; no CloudEvent headers (docs/contracts/google-cloud.md §2, Google's
 * minimum and maximum request examples, which show both spellings).
 */
export function buildPushRequest(message: StoredMessage, subscription: string, deliveryAttempt: number | undefined): PushRequestContent {
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
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(JSON.stringify(envelope)),
  };
}
