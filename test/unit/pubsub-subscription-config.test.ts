import { status } from '@grpc/grpc-js';
import { PubSubApiError } from '../../local/pubsub/errors';
import { computeRetryDelayMs, type DeliveryPolicy, normalizeSubscription, toDeliveryPolicy } from '../../local/pubsub/subscription-config';
import type { WireSubscription } from '../../local/pubsub/wire';

function subscription(overrides: Partial<WireSubscription> = {}): WireSubscription {
  return {
    name: 'projects/p/subscriptions/sub',
    topic: 'projects/p/topics/topic',
    pushConfig: null,
    ackDeadlineSeconds: 0,
    enableMessageOrdering: false,
    filter: '',
    deadLetterPolicy: null,
    retryPolicy: null,
    enableExactlyOnceDelivery: false,
    bigqueryConfig: null,
    cloudStorageConfig: null,
    state: 'STATE_UNSPECIFIED',
    ...overrides,
  };
}

test('normalizing fills in the defaults Pub/Sub shows on a new subscription', () => {
  const normalized = normalizeSubscription(
    subscription({
      retryPolicy: { minimumBackoff: null, maximumBackoff: null },
      deadLetterPolicy: { deadLetterTopic: 'projects/p/topics/dlq', maxDeliveryAttempts: 0 },
    }),
  );
  expect(normalized.ackDeadlineSeconds).toBe(10);
  expect(normalized.state).toBe('ACTIVE');
  expect(normalized.retryPolicy).toEqual({
    minimumBackoff: { seconds: '10', nanos: 0 },
    maximumBackoff: { seconds: '600', nanos: 0 },
  });
  expect(normalized.deadLetterPolicy?.maxDeliveryAttempts).toBe(5);
});

test.each<[string, Partial<WireSubscription>]>([
  ['an ack deadline under 10 s', { ackDeadlineSeconds: 5 }],
  ['an ack deadline over 600 s', { ackDeadlineSeconds: 601 }],
  ['a minimum back-off above the maximum', { retryPolicy: { minimumBackoff: { seconds: 5, nanos: 0 }, maximumBackoff: { seconds: 1, nanos: 0 } } }],
  ['a back-off over 600 s', { retryPolicy: { minimumBackoff: null, maximumBackoff: { seconds: 601, nanos: 0 } } }],
  ['more than 100 delivery attempts', { deadLetterPolicy: { deadLetterTopic: 'projects/p/topics/dlq', maxDeliveryAttempts: 101 } }],
  ['a malformed dead-letter topic', { deadLetterPolicy: { deadLetterTopic: 'dlq', maxDeliveryAttempts: 5 } }],
  ['a push endpoint that is not a URL', { pushConfig: { pushEndpoint: 'not a url', attributes: {} } }],
  ['a push endpoint that is not http(s)', { pushConfig: { pushEndpoint: 'ftp://example.com/', attributes: {} } }],
  ['a filter (unsupported here)', { filter: 'attributes.kind = "x"' }],
])('normalizing rejects %s with INVALID_ARGUMENT', (_name, overrides) => {
  let caught: unknown;
  try {
    normalizeSubscription(subscription(overrides));
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(PubSubApiError);
  expect((caught as PubSubApiError).code).toBe(status.INVALID_ARGUMENT);
});

test('a single delivery attempt is accepted, unlike Pub/Sub, so tests can dead-letter at once', () => {
  const normalized = normalizeSubscription(subscription({ deadLetterPolicy: { deadLetterTopic: 'projects/p/topics/dlq', maxDeliveryAttempts: 1 } }));
  expect(normalized.deadLetterPolicy?.maxDeliveryAttempts).toBe(1);
});

test('the delivery policy uses the push endpoint as OIDC audience when none is configured', () => {
  const policy = toDeliveryPolicy(
    normalizeSubscription(
      subscription({
        pushConfig: {
          pushEndpoint: 'http://127.0.0.1:8080/fn',
          attributes: {},
          oidcToken: { serviceAccountEmail: 'sa@p.iam.gserviceaccount.com', audience: '' },
        },
      }),
    ),
  );
  expect(policy.push).toEqual({
    endpoint: 'http://127.0.0.1:8080/fn',
    oidc: { serviceAccountEmail: 'sa@p.iam.gserviceaccount.com', audience: 'http://127.0.0.1:8080/fn' },
  });
});

const base: DeliveryPolicy = { ackDeadlineMs: 10_000, retry: undefined, deadLetter: undefined, push: undefined, ordered: false };
const push = { endpoint: 'http://127.0.0.1/', oidc: undefined };

test.each<[string, DeliveryPolicy, number, number]>([
  ['retry policy, first failure', { ...base, retry: { minimumMs: 100, maximumMs: 1000 } }, 1, 100],
  ['retry policy, third failure doubles twice', { ...base, retry: { minimumMs: 100, maximumMs: 1000 } }, 3, 400],
  ['retry policy, capped at the maximum', { ...base, retry: { minimumMs: 100, maximumMs: 1000 } }, 10, 1000],
  ['pull without retry policy: at once', base, 3, 0],
  ['push without retry policy: short back-off', { ...base, push }, 1, 100],
  ['push without retry policy: capped at 1 s', { ...base, push }, 8, 1000],
])('retry delay: %s', (_name, policy, failures, expectedMs) => {
  expect(computeRetryDelayMs(policy, failures)).toBe(expectedMs);
});
