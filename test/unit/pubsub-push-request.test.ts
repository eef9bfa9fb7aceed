import { buildPushRequest } from '../../local/pubsub/push-request';
import { createStoredMessage } from '../../local/pubsub/stored-message';

const publishTimeMs = Date.UTC(2026, 10, 21, 12, 30, 45, 123);

test('a push request is the wrapped JSON body Pub/Sub documents, without CloudEvent headers', () => {
  const message = createStoredMessage(
    { data: Buffer.from('{"a":1}'), attributes: { kind: 'k' }, orderingKey: 'order-1' },
    '77',
    'projects/p/topics/t',
    publishTimeMs,
  );

  const { headers, body } = buildPushRequest(message, 'projects/p/subscriptions/s', 3);

  expect(headers).toEqual({ 'content-type': 'application/json' });
  expect(JSON.parse(body.toString())).toEqual({
    message: {
      data: Buffer.from('{"a":1}').toString('base64'),
      attributes: { kind: 'k' },
      messageId: '77',
      message_id: '77',
      publishTime: '2026-11-21T12:30:45.123Z',
      publish_time: '2026-11-21T12:30:45.123Z',
      orderingKey: 'order-1',
    },
    subscription: 'projects/p/subscriptions/s',
    deliveryAttempt: 3,
  });
});

test('orderingKey and deliveryAttempt are left out when the message and subscription have none', () => {
  const message = createStoredMessage({ data: Buffer.from('x'), attributes: {}, orderingKey: '' }, '1', 'projects/p/topics/t', 0);
  const envelope = JSON.parse(buildPushRequest(message, 'projects/p/subscriptions/s', undefined).body.toString());
  expect(envelope.message).not.toHaveProperty('orderingKey');
  expect(envelope).not.toHaveProperty('deliveryAttempt');
});
