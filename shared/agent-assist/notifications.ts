/**
 * Agent Assist notifications as the UI modules receive them over socket.io. Dialogflow
 * publishes to the conversation profile's topics (HumanAgentAssistantEvent for suggestions,
 * ConversationEvent for lifecycle, new messages and new recognition results); each Pub/Sub
 * push is turned into the reference interceptor's payload: `{conversation_name, data,
 * data_type, ack_time, publish_time, message_id}` (+ `participant_role`,
 * `new_recognition_result_message_id` for recognition results), `data` being the decoded
 * message text as is (a JSON string), `conversation_name` without `locations/<l>/`.
 * See docs/contracts/agent-assist.md.
 */
import * as z from 'zod';

const NOTIFICATION_TYPES = [
  'human-agent-assistant-event',
  'conversation-lifecycle-event',
  'new-message-event',
  'new-recognition-result-notification-event',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export function isNotificationType(value: string): value is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/** A Pub/Sub push body (wrapped), as Pub/Sub and Eventarc deliver it. */
export const pushEnvelopeSchema = z.object({
  message: z.object({
    data: z.string().max(1_500_000).optional(),
    attributes: z.record(z.string(), z.string()).nullish(),
    messageId: z.string().min(1).max(200).optional(),
    message_id: z.string().min(1).max(200).optional(),
    publishTime: z.string().max(64).optional(),
    publish_time: z.string().max(64).optional(),
  }),
  subscription: z.string().max(300).optional(),
});
export type PushEnvelope = z.infer<typeof pushEnvelopeSchema>;

/** What Dialogflow's event JSON must hold for routing; the rest is passed on untouched. */
const routedEventSchema = z.looseObject({ conversation: z.string().min(1).max(512) });

/** projects/<p>/(locations/<l>/)?conversations/<id> */
export const CONVERSATION_NAME =
  /^projects\/[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}\/(?:locations\/[a-z][a-z0-9-]{0,62}\/)?conversations\/[A-Za-z0-9][A-Za-z0-9_.+~@:-]{0,199}$/;

/** The room of a conversation: its name without `locations/<l>/`, as the reference's rooms are named. */
export function conversationRoom(conversationName: string): string {
  return conversationName.replace(/^(projects\/[^/]+\/)locations\/[^/]+\/(conversations\/)/, '$1$2');
}

export const socketPayloadSchema = z.object({
  conversation_name: z.string(),
  data: z.string(),
  data_type: z.enum(NOTIFICATION_TYPES),
  ack_time: z.string(),
  publish_time: z.string(),
  message_id: z.string(),
  participant_role: z.string().optional(),
  new_recognition_result_message_id: z.string().optional(),
});
export type SocketPayload = z.infer<typeof socketPayloadSchema>;

export type DecodedNotification =
  | { kind: 'event'; room: string; payload: SocketPayload; publishTimeMs: number }
  /** A well-formed push that names no conversation: acknowledged, nothing to deliver. */
  | { kind: 'unroutable'; reason: string };

/** The reference's ack_time format: UTC to the second. */
function ackTime(now: Date): string {
  return `${now.toISOString().slice(0, 19)}Z`;
}

export function decodeNotification(envelope: PushEnvelope, dataType: NotificationType, now: Date): DecodedNotification {
  const m = envelope.message;
  const messageId = m.messageId ?? m.message_id;
  const publishTime = m.publishTime ?? m.publish_time;
  if (!messageId || !publishTime || Number.isNaN(Date.parse(publishTime))) return { kind: 'unroutable', reason: 'the message has no id or publish time' };
  if (m.data === undefined) return { kind: 'unroutable', reason: 'the message has no data' };
  const data = Buffer.from(m.data, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { kind: 'unroutable', reason: 'the message data is not JSON' };
  }
  const routed = routedEventSchema.safeParse(parsed);
  if (!routed.success) return { kind: 'unroutable', reason: 'the event names no conversation' };
  if (!CONVERSATION_NAME.test(routed.data.conversation)) return { kind: 'unroutable', reason: 'the event names no valid conversation' };
  const room = conversationRoom(routed.data.conversation);
  const payload: SocketPayload = {
    conversation_name: room,
    data,
    data_type: dataType,
    ack_time: ackTime(now),
    publish_time: publishTime,
    message_id: messageId,
  };
  if (dataType === 'new-recognition-result-notification-event') {
    payload.participant_role = m.attributes?.['participant_role'] ?? '';
    payload.new_recognition_result_message_id = m.attributes?.['message_id'] ?? '';
  }
  return { kind: 'event', room, payload, publishTimeMs: Date.parse(publishTime) };
}
