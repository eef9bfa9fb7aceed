/**
 * The webhook core: verify, parse, deduplicate, record, publish — in that order, and
 * answer 2xx only once the event is durable (recorded in Firestore and accepted by
 * Pub/Sub). Anything else is a typed error that `createHttpApp` turns into the response:
 * 401 for a bad signature, or a stale or replayed request of an event already published,
 * 400 for a body that is not an event, 503 when the event could not be made durable (Zoom
 * then retries). A correctly signed request whose event is not yet published is taken even if
 * it is stale or repeats earlier bytes: Zoom's retry must not be refused (README, "Retries").
 */
import type { Secret } from '../../shared/config';
import { AppError, unauthenticated, unavailable } from '../../shared/errors';
import { describeIssues, parseJson } from '../../shared/http/body';
import type { Logger } from '../../shared/logging';
import type { EventBus } from '../../shared/ports/eventbus';
import { businessKeyOf, urlValidationPayloadSchema, ZOOM_EVENTS, type ZoomEnvelope, zoomEnvelopeSchema } from '../../shared/zoom/events';
import { type QueuedZoomEvent, queuedEventAttributes } from '../../shared/zoom/queued-event';
import { encryptPlainToken, verifyZoomSignature } from '../../shared/zoom/webhook-signature';
import type { EventKeyStore } from './event-keys';

const KNOWN_EVENTS = new Set<string>(Object.values(ZOOM_EVENTS));

/** The 401 answers, by why (./refusals classifies refused deliveries by them). */
export const UNAUTHENTICATED_MESSAGES = {
  stale: 'request timestamp outside the accepted window',
  signature: 'invalid or missing Zoom signature',
  replay: 'replayed request',
} as const;

export interface ZoomWebhookDeps {
  secrets: readonly Secret[];
  windowSeconds: number;
  /** How old a correctly signed request of a not yet published event may be (Zoom's retries span ~85 min). */
  retryWindowSeconds: number;
  keys: EventKeyStore;
  bus: EventBus;
  topic: string;
  now: () => number;
  log: Logger;
}

export interface ZoomWebhookInput {
  rawBody: Buffer;
  signature: string | undefined;
  timestamp: string | undefined;
}

export type ZoomWebhookOutcome =
  | { kind: 'url_validation'; body: { plainToken: string; encryptedToken: string } }
  | { kind: 'accepted' | 'duplicate' | 'republished'; key: string; messageId?: string };

export async function handleZoomWebhook(deps: ZoomWebhookDeps, input: ZoomWebhookInput): Promise<ZoomWebhookOutcome> {
  const verdict = verifyZoomSignature({ signature: input.signature, timestamp: input.timestamp }, input.rawBody, {
    secrets: deps.secrets,
    windowSeconds: deps.windowSeconds,
    retryWindowSeconds: deps.retryWindowSeconds,
    nowMs: deps.now(),
  });
  if (!verdict.ok) {
    deps.log.warn('zoom webhook rejected: signature', { reason: verdict.reason });
    throw unauthenticated(verdict.reason === 'stale_timestamp' ? UNAUTHENTICATED_MESSAGES.stale : UNAUTHENTICATED_MESSAGES.signature);
  }
  const stale = (): never => {
    deps.log.warn('zoom webhook rejected: signature', { reason: 'stale_timestamp' });
    throw unauthenticated(UNAUTHENTICATED_MESSAGES.stale);
  };

  const envelope = parseEnvelope(input.rawBody);

  if (envelope.event === ZOOM_EVENTS.urlValidation) {
    // Nothing to lose by refusing a stale validation: Zoom validates again.
    if (!verdict.fresh) stale();
    const payload = urlValidationPayloadSchema.safeParse(envelope.payload ?? {});
    if (!payload.success) throw new AppError('invalid_body', 400, 'url_validation without payload.plainToken');
    // Answered with the secret that signed the request, so validation works mid-rotation.
    const secret = deps.secrets[verdict.secretIndex]!;
    return {
      kind: 'url_validation',
      body: { plainToken: payload.data.plainToken, encryptedToken: encryptPlainToken(secret.reveal(), payload.data.plainToken) },
    };
  }

  if (!KNOWN_EVENTS.has(envelope.event)) deps.log.notice('zoom webhook: unknown event type kept', { event: envelope.event });
  const { key, engagementId } = businessKeyOf(envelope, input.rawBody);
  const receivedAt = new Date(deps.now());

  const outcome = await durably('record the event', () =>
    deps.keys.record({
      key,
      event: envelope.event,
      engagementId,
      body: input.rawBody.toString('utf8'),
      receivedAt,
      signature: input.signature!.trim().toLowerCase(),
      fresh: verdict.fresh,
    }),
  );
  if (outcome === 'replay') {
    // An exact copy of a request whose event is published already: nothing to gain by taking it.
    deps.log.warn('zoom webhook rejected: replayed request', { event: envelope.event });
    throw unauthenticated(UNAUTHENTICATED_MESSAGES.replay);
  }
  if (outcome === 'stale') stale();
  if (outcome === 'already_published') {
    deps.log.info('zoom webhook: duplicate suppressed', { event: envelope.event, engagementId });
    return { kind: 'duplicate', key };
  }

  // 'new', or recorded earlier but never published (a crash or a Pub/Sub failure between
  // the two steps): publish now. A second publish of the same key is harmless, the worker
  // is idempotent; losing one is not.
  const message: QueuedZoomEvent = { v: 1, key, source: 'webhook', receivedAt: receivedAt.toISOString(), envelope };
  const messageId = await durably('publish the event', () =>
    deps.bus.publish(deps.topic, { data: message, attributes: queuedEventAttributes(message, engagementId) }),
  );
  await durably('mark the event published', () => deps.keys.markPublished(key, messageId));
  deps.log.info('zoom webhook: event accepted', { event: envelope.event, engagementId, messageId, republished: outcome !== 'new' });
  return { kind: outcome === 'new' ? 'accepted' : 'republished', key, messageId };
}

function parseEnvelope(rawBody: Buffer): ZoomEnvelope {
  // The key derivation and the publish walk the object: parseJson refuses a body nesting deep enough to overflow them.
  const parsed = zoomEnvelopeSchema.safeParse(parseJson(rawBody));
  if (!parsed.success) throw new AppError('invalid_body', 400, 'request body is not a Zoom event envelope', { details: describeIssues(parsed.error) });
  return parsed.data;
}

/** Any failure to make the event durable is a 503: Zoom retries, nothing is acknowledged. */
async function durably<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof AppError && err.status < 500) throw err;
    throw unavailable(`could not ${what}; retry later`, { cause: err });
  }
}
