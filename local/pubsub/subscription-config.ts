import { invalidArgument } from './errors';
import { parseTopicName } from './resource-names';
import { durationToMs, msToDuration } from './time';
import type { WirePushConfig, WireSubscription } from './wire';

/** What the delivery machinery needs from a subscription, in milliseconds. */
export interface DeliveryPolicy {
  readonly ackDeadlineMs: number;
  /** Absent: no retry policy, Pub/Sub redelivers as soon as it can. */
  readonly retry: { readonly minimumMs: number; readonly maximumMs: number } | undefined;
  readonly deadLetter: { readonly topic: string; readonly maxDeliveryAttempts: number } | undefined;
  readonly push: PushTarget | undefined;
  readonly ordered: boolean;
}

export interface PushTarget {
  readonly endpoint: string;
  readonly oidc: { readonly serviceAccountEmail: string; readonly audience: string } | undefined;
}

const DEFAULT_ACK_DEADLINE_SECONDS = 10;
const MAX_ACK_DEADLINE_SECONDS = 600;
const DEFAULT_MIN_BACKOFF_MS = 10_000;
const DEFAULT_MAX_BACKOFF_MS = 600_000;
const MAX_BACKOFF_LIMIT_MS = 600_000;
const DEFAULT_MAX_DELIVERY_ATTEMPTS = 5;
// Pub/Sub itself accepts 5..100. The emulator accepts 1..100 so tests can dead-letter
// after one or two attempts instead of five rounds of back-off.
const MIN_DELIVERY_ATTEMPTS = 1;
const MAX_DELIVERY_ATTEMPTS = 100;

function parsePushConfig(push: WirePushConfig | null): WirePushConfig | null {
  if (push === null || push.pushEndpoint === '') return push;
  let url: URL;
  try {
    url = new URL(push.pushEndpoint);
  } catch {
    throw invalidArgument(`Invalid push endpoint given (endpoint=${push.pushEndpoint}).`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidArgument(`Invalid push endpoint given (endpoint=${push.pushEndpoint}). Push endpoints must be http or https URLs.`);
  }
  return push;
}

export function checkAckDeadlineSeconds(seconds: number, field: string): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_ACK_DEADLINE_SECONDS) {
    throw invalidArgument(`Invalid ${field}: ${seconds}. It must be between 0 and ${MAX_ACK_DEADLINE_SECONDS} seconds.`);
  }
}

/**
 * Checks a subscription as given to CreateSubscription/UpdateSubscription and returns it
 * with the defaults Pub/Sub fills in, as GetSubscription shows it.
 */
export function normalizeSubscription(subscription: WireSubscription): WireSubscription {
  if (subscription.filter !== '') {
    throw invalidArgument('Subscription filters are not supported by the ccbridge Pub/Sub emulator.');
  }
  for (const field of ['bigqueryConfig', 'cloudStorageConfig', 'bigtableConfig'] as const) {
    if (subscription[field] !== null && subscription[field] !== undefined) {
      throw invalidArgument(`${field} subscriptions are not supported by the ccbridge Pub/Sub emulator.`);
    }
  }

  let ackDeadlineSeconds = subscription.ackDeadlineSeconds;
  if (ackDeadlineSeconds === 0) ackDeadlineSeconds = DEFAULT_ACK_DEADLINE_SECONDS;
  if (!Number.isInteger(ackDeadlineSeconds) || ackDeadlineSeconds < 10 || ackDeadlineSeconds > MAX_ACK_DEADLINE_SECONDS) {
    throw invalidArgument(`Invalid ack deadline given: ${ackDeadlineSeconds}. The ack deadline must be between 10 and 600 seconds.`);
  }

  let retryPolicy = subscription.retryPolicy;
  if (retryPolicy !== null) {
    const minimumMs = durationToMs(retryPolicy.minimumBackoff) ?? DEFAULT_MIN_BACKOFF_MS;
    const maximumMs = durationToMs(retryPolicy.maximumBackoff) ?? DEFAULT_MAX_BACKOFF_MS;
    if (minimumMs < 0 || maximumMs < 0 || minimumMs > MAX_BACKOFF_LIMIT_MS || maximumMs > MAX_BACKOFF_LIMIT_MS) {
      throw invalidArgument('Invalid retry policy: backoff durations must be between 0 and 600 seconds.');
    }
    if (minimumMs > maximumMs) {
      throw invalidArgument('Invalid retry policy: minimum_backoff must not exceed maximum_backoff.');
    }
    retryPolicy = { minimumBackoff: msToDuration(minimumMs), maximumBackoff: msToDuration(maximumMs) };
  }

  let deadLetterPolicy = subscription.deadLetterPolicy;
  if (deadLetterPolicy !== null) {
    parseTopicName(deadLetterPolicy.deadLetterTopic);
    const attempts = deadLetterPolicy.maxDeliveryAttempts === 0 ? DEFAULT_MAX_DELIVERY_ATTEMPTS : deadLetterPolicy.maxDeliveryAttempts;
    if (!Number.isInteger(attempts) || attempts < MIN_DELIVERY_ATTEMPTS || attempts > MAX_DELIVERY_ATTEMPTS) {
      throw invalidArgument(`Invalid max_delivery_attempts: ${attempts}. It must be between ${MIN_DELIVERY_ATTEMPTS} and ${MAX_DELIVERY_ATTEMPTS}.`);
    }
    deadLetterPolicy = { deadLetterTopic: deadLetterPolicy.deadLetterTopic, maxDeliveryAttempts: attempts };
  }

  return {
    ...subscription,
    pushConfig: parsePushConfig(subscription.pushConfig),
    ackDeadlineSeconds,
    retryPolicy,
    deadLetterPolicy,
    state: 'ACTIVE',
  };
}

/** Derives the delivery policy from a subscription already checked by `normalizeSubscription`. */
export function toDeliveryPolicy(subscription: WireSubscription): DeliveryPolicy {
  const retry = subscription.retryPolicy;
  const deadLetter = subscription.deadLetterPolicy;
  const push = subscription.pushConfig;
  return {
    ackDeadlineMs: subscription.ackDeadlineSeconds * 1000,
    retry:
      retry === null
        ? undefined
        : {
            minimumMs: durationToMs(retry.minimumBackoff) ?? DEFAULT_MIN_BACKOFF_MS,
            maximumMs: durationToMs(retry.maximumBackoff) ?? DEFAULT_MAX_BACKOFF_MS,
          },
    deadLetter: deadLetter === null ? undefined : { topic: deadLetter.deadLetterTopic, maxDeliveryAttempts: deadLetter.maxDeliveryAttempts },
    push:
      push === null || push.pushEndpoint === ''
        ? undefined
        : {
            endpoint: push.pushEndpoint,
            oidc:
              push.oidcToken === null || push.oidcToken === undefined
                ? undefined
                : {
                    serviceAccountEmail: push.oidcToken.serviceAccountEmail,
                    // Pub/Sub uses the endpoint URL when no audience is configured.
                    audience: push.oidcToken.audience === '' ? push.pushEndpoint : push.oidcToken.audience,
                  },
          },
    ordered: subscription.enableMessageOrdering,
  };
}

// Without a retry policy Pub/Sub redelivers nacked pull messages at once, and backs off
// failed pushes on its own schedule; a short capped back-off keeps a failing local endpoint
// from being hammered while staying fast enough for tests.
const PUSH_DEFAULT_BACKOFF_MS = 100;
const PUSH_DEFAULT_BACKOFF_CAP_MS = 1000;

/** Delay before the next delivery after `failures` failed attempts (1 = first failure). */
export function computeRetryDelayMs(policy: DeliveryPolicy, failures: number): number {
  const exponent = Math.max(0, failures - 1);
  if (policy.retry !== undefined) {
    const { minimumMs, maximumMs } = policy.retry;
    return Math.min(maximumMs, minimumMs * 2 ** exponent);
  }
  if (policy.push === undefined) return 0;
  return Math.min(PUSH_DEFAULT_BACKOFF_CAP_MS, PUSH_DEFAULT_BACKOFF_MS * 2 ** exponent);
}
