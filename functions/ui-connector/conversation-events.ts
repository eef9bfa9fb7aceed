/**
 * `conversation.registered`: published on the conversation events topic after a mapping is
 * stored, for consumers such as CRM call logging. It carries the normalised key (the E.164
 * phone a CRM needs to find the contact) — Pub/Sub is not a log — and its hash, which is
 * what every log line uses.
 */
import * as z from 'zod';
import { AppError } from '../../shared/errors';
import type { EventBus } from '../../shared/ports/eventbus';

const CONVERSATION_REGISTERED = 'conversation.registered';

const conversationRegisteredSchema = z.object({
  type: z.literal(CONVERSATION_REGISTERED),
  version: z.literal(1),
  registrationId: z.string(),
  conversationName: z.string(),
  conversationIntegrationKey: z.string(),
  keyKind: z.enum(['phone', 'opaque']),
  keyHash: z.string(),
  registeredAt: z.string(),
  expireAt: z.string(),
  registeredBy: z.string().optional(),
});
export type ConversationRegistered = z.infer<typeof conversationRegisteredSchema>;

export interface ConversationEvents {
  registered(event: ConversationRegistered): Promise<void>;
}

export function createConversationEvents(options: { bus: EventBus; topic: string; timeoutMs: number }): ConversationEvents {
  return {
    async registered(event) {
      const message = {
        data: conversationRegisteredSchema.parse(event),
        attributes: { type: CONVERSATION_REGISTERED, keyKind: event.keyKind, registrationId: event.registrationId },
      };
      // The Pub/Sub client retries for up to a minute; Studio gives up after 10 s.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`publish timed out after ${options.timeoutMs} ms`)), options.timeoutMs);
      });
      try {
        await Promise.race([options.bus.publish(options.topic, message), timeout]);
      } catch (err) {
        throw new AppError('unavailable', 503, 'the conversation was stored but its event could not be published; retry the request', {
          retryable: true,
          retryAfterSeconds: 1,
          cause: err,
        });
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
