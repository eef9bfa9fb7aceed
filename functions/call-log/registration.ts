/**
 * `conversation.registered` as call-log reads it (the ui-connector publishes it, version 1:
 * functions/ui-connector/conversation-events.ts). Only what call-log needs is required; the
 * CallSid comes from the conversation name, which the shipped Studio flow builds from it
 * (`<CallSid>` or `TW-<number>-<CallSid>`, twilio/README.md). A name without a CallSid
 * cannot be joined to a status callback and is acknowledged without a log.
 */
import * as z from 'zod';
import { PermanentEventError } from '../../shared/events/pubsub-event';
import type { Registration } from './call-log';

const registeredEventSchema = z.looseObject({
  type: z.literal('conversation.registered'),
  version: z.literal(1),
  conversationName: z.string().min(1).max(512),
  conversationIntegrationKey: z.string().max(512),
  keyKind: z.enum(['phone', 'opaque']),
  registeredAt: z.iso.datetime(),
  expireAt: z.iso.datetime(),
});

export type RegistrationReading = { kind: 'registration'; registration: Registration } | { kind: 'other-event'; type: string } | { kind: 'no-call-sid' };

export function readRegistration(data: unknown): RegistrationReading {
  const type = z.looseObject({ type: z.string() }).safeParse(data);
  if (type.success && type.data.type !== 'conversation.registered') return { kind: 'other-event', type: type.data.type };
  const parsed = registeredEventSchema.safeParse(data);
  if (!parsed.success) throw new PermanentEventError('not a conversation.registered event of version 1', 'malformed_event');
  const event = parsed.data;
  const sids = event.conversationName.match(/CA[0-9a-fA-F]{32}/g);
  const callSid = sids?.[sids.length - 1];
  if (callSid === undefined) return { kind: 'no-call-sid' };
  return {
    kind: 'registration',
    registration: {
      callSid,
      conversationName: event.conversationName,
      // One ISO form (with milliseconds) for every stored time: the sweep compares them as strings.
      registeredAt: new Date(event.registeredAt).toISOString(),
      expireAt: new Date(event.expireAt).toISOString(),
      phone: event.keyKind === 'phone' ? event.conversationIntegrationKey : undefined,
    },
  };
}
