/**
 * Pub/Sub messages as a push subscription hands them to an HTTP function (the wrapped JSON
 * body, docs/contracts/google-cloud.md §2): parsed, typed and validated. The handler decides retry or acknowledge by what it throws
 * (see `runEvent`).
 */
import * as z from 'zod';
import { isAppError } from '../errors';
import { exceedsJsonDepth } from '../json-depth';
import type { Logger } from '../logging';

/** The wrapped push body (also read by the worker's dead-letter recorder, which keeps messages whose data is not JSON). */
export const messagePublishedSchema = z.object({
  message: z.object({
    data: z.string().optional(),
    attributes: z.record(z.string(), z.string()).optional(),
    messageId: z.string().optional(),
    message_id: z.string().optional(),
    publishTime: z.string().optional(),
    orderingKey: z.string().optional(),
  }),
  subscription: z.string().optional(),
  deliveryAttempt: z.number().int().optional(),
});

export interface PubSubMessage {
  id: string;
  data: unknown;
  attributes: Record<string, string>;
  publishTime: string | undefined;
  orderingKey: string | undefined;
  deliveryAttempt: number | undefined;
}

export class PermanentEventError extends Error {
  constructor(
    message: string,
    readonly reason: string,
  ) {
    super(message);
    this.name = 'PermanentEventError';
  }
}

/**
 * Decodes the body of a wrapped push request. `deliveryAttempt` is there only when the
 * subscription has a dead-letter policy; a body that is no push envelope is a PermanentEventError.
 */
export function decodePubSubPush(body: unknown): PubSubMessage {
  const parsed = messagePublishedSchema.safeParse(body);
  if (!parsed.success) throw new PermanentEventError('event is not a Pub/Sub message', 'malformed_event');
  const m = parsed.data.message;
  let data: unknown;
  try {
    data = m.data === undefined ? undefined : JSON.parse(Buffer.from(m.data, 'base64').toString('utf8'));
  } catch {
    throw new PermanentEventError('message data is not JSON', 'malformed_data');
  }
  if (exceedsJsonDepth(data)) throw new PermanentEventError('message data nests too deep', 'malformed_data');
  return {
    id: m.messageId ?? m.message_id ?? 'unknown',
    data,
    attributes: m.attributes ?? {},
    publishTime: m.publishTime,
    orderingKey: m.orderingKey,
    deliveryAttempt: parsed.data.deliveryAttempt,
  };
}

/**
 * Runs an event handler with the bundle's retry rule: errors that may succeed later
 * propagate (the platform redelivers, then dead-letters); permanent ones are logged
 * and the event is acknowledged.
 */
export async function runEvent(log: Logger, eventId: string, handle: () => Promise<void>): Promise<void> {
  try {
    await handle();
  } catch (err) {
    const permanent = err instanceof PermanentEventError || (isAppError(err) && !err.retryable);
    if (permanent) {
      log.warn('event dropped: permanent failure', { eventId, err });
      return;
    }
    log.error('event failed: will be retried', { eventId, err });
    throw err;
  }
}
