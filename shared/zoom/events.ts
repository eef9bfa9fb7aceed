/**
 * Zoom Contact Center webhook events, parsed leniently: the envelope and each event's
 * `payload.object` require only the fields the bundle uses and keep every other field
 * (the payload field lists are unconfirmed: docs/contracts/zoom.md#events-used; the names
 * follow the REST items, which describe the same objects). Unknown event types are valid
 * envelopes: they are kept and acknowledged, never rejected.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export const ZOOM_EVENTS = {
  urlValidation: 'endpoint.url_validation',
  recordingCompleted: 'contact_center.recording_completed',
  recordingTranscriptCompleted: 'contact_center.recording_transcript_completed',
  messagingTranscriptCompleted: 'contact_center.engagement_messaging_transcript_completed',
  noteAdded: 'contact_center.engagement_note_added',
  dispositionAdded: 'contact_center.engagement_disposition_added',
  voicemailTranscriptCompleted: 'contact_center.voicemail_transcript_completed',
  /** How a voicemail without transcript is announced, if at all (its payload is unconfirmed). */
  inboxMessageReceived: 'contact_center.inbox_message_received',
} as const;

/** ECMAScript dates span ±8.64e15 ms around the epoch: an event_ts beyond that names no time. */
export const MAX_DATE_MS = 8.64e15;

const id = z.union([z.string().min(1), z.number()]).transform(String);
/** Zoom sends times as ISO strings; epoch milliseconds are tolerated too. */
const time = z.union([z.string().min(1), z.number()]).transform((v) => (typeof v === 'number' ? new Date(v).toISOString() : v));

export const zoomEnvelopeSchema = z.looseObject({
  event: z.string().min(1),
  // Milliseconds; a numeric string is tolerated. One no Date can hold is refused here, at the
  // webhook (400), rather than acknowledged and then dropped by the worker.
  event_ts: z.coerce.number().int().nonnegative().max(MAX_DATE_MS, 'event_ts is not a representable time').optional(),
  payload: z
    .looseObject({
      account_id: z.string().optional(),
      object: z.looseObject({}).optional(),
      plainToken: z.string().optional(),
    })
    .optional(),
});
export type ZoomEnvelope = z.output<typeof zoomEnvelopeSchema>;

export const urlValidationPayloadSchema = z.looseObject({ plainToken: z.string().min(1).max(1024) });

export const recordingObjectSchema = z.looseObject({
  recording_id: id,
  engagement_id: id,
  download_url: z.url().optional(),
  transcript_url: z.url().optional(),
  queue_id: id.optional(),
  cc_queue_id: id.optional(),
  queue_name: z.string().optional(),
  user_id: id.optional(),
  recording_start_time: time.optional(),
  recording_end_time: time.optional(),
  recording_duration: z.number().optional(),
  channel_type: z.string().optional(),
  direction: z.string().optional(),
});

export const recordingTranscriptObjectSchema = z.looseObject({
  recording_id: id,
  engagement_id: id,
  transcript_url: z.url(),
  queue_id: id.optional(),
  cc_queue_id: id.optional(),
  user_id: id.optional(),
  recording_start_time: time.optional(),
});

export const messagingTranscriptObjectSchema = z.looseObject({
  engagement_id: id,
  transcript_url: z.url(),
  message_id: id.optional(),
  queue_id: id.optional(),
  cc_queue_id: id.optional(),
  user_id: id.optional(),
  start_time: time.optional(),
  channel_type: z.string().optional(),
});

export const noteObjectSchema = z.looseObject({
  engagement_id: id,
  note_id: id.optional(),
  note: z.string().optional(),
  user_id: id.optional(),
  user_name: z.string().optional(),
});

export const dispositionObjectSchema = z.looseObject({
  engagement_id: id,
  disposition_id: id,
  disposition_name: z.string().optional(),
  queue_id: id.optional(),
  cc_queue_id: id.optional(),
  user_id: id.optional(),
});

/** voicemail_transcript_completed and inbox_message_received: an inbox message (REST: created_at). */
export const voicemailObjectSchema = z.looseObject({
  engagement_id: id,
  // Zoom calls the voicemail a message of the inbox; either id is accepted.
  message_id: id.optional(),
  voicemail_id: id.optional(),
  message_type: z.string().optional(),
  download_url: z.url().optional(),
  transcript_url: z.url().optional(),
  queue_id: id.optional(),
  cc_queue_id: id.optional(),
  cci_queue_id: id.optional(),
  user_id: id.optional(),
  created_at: time.optional(),
  start_time: time.optional(),
});

/**
 * The business identity of an event, for deduplication at the webhook. Zoom has no event
 * id and delivers the same event more than once (with different download tokens), so the
 * key is the event type, the business ids it is about, and event_ts.
 */
export function businessKeyOf(envelope: ZoomEnvelope, rawBody: Buffer): { key: string; engagementId: string | undefined } {
  const object = envelope.payload?.object ?? {};
  const pick = (field: string): string | undefined => {
    const v = object[field];
    return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
  };
  const engagementId = pick('engagement_id');
  const ts = envelope.event_ts ?? '';
  const business = (() => {
    switch (envelope.event) {
      case ZOOM_EVENTS.recordingCompleted:
      case ZOOM_EVENTS.recordingTranscriptCompleted:
        return pick('recording_id');
      case ZOOM_EVENTS.noteAdded:
        return joinDefined(engagementId, pick('note_id'));
      case ZOOM_EVENTS.dispositionAdded:
        return joinDefined(engagementId, pick('disposition_id'));
      case ZOOM_EVENTS.messagingTranscriptCompleted:
        return pick('message_id') ?? engagementId;
      case ZOOM_EVENTS.voicemailTranscriptCompleted:
      case ZOOM_EVENTS.inboxMessageReceived:
        return pick('message_id') ?? pick('voicemail_id') ?? engagementId;
      default:
        return undefined;
    }
  })();
  // Without a business id (unknown or unexpected events) the content is the identity.
  const identity = business ?? `body:${createHash('sha256').update(stripVolatile(rawBody, envelope)).digest('hex')}`;
  return { key: `${envelope.event}|${identity}|${ts}`, engagementId };
}

function joinDefined(a: string | undefined, b: string | undefined): string | undefined {
  return a !== undefined && b !== undefined ? `${a}:${b}` : undefined;
}

/** Download tokens differ between duplicate deliveries; the rest of the body does not. */
function stripVolatile(rawBody: Buffer, envelope: ZoomEnvelope): string {
  const object = envelope.payload?.object;
  if (!object) return rawBody.toString('utf8');
  const strip = (v: unknown): unknown => {
    if (typeof v === 'string' && /^https?:\/\//.test(v)) return v.split('?')[0];
    if (Array.isArray(v)) return v.map(strip);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(
        Object.entries(v)
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, x]) => [k, strip(x)]),
      );
    return v;
  };
  return JSON.stringify(strip({ event: envelope.event, event_ts: envelope.event_ts, object }));
}

/** The key as a Firestore document id (no slashes, bounded length). */
const claimedIdsSchema = z.looseObject({
  event: z
    .string()
    .max(100)
    .regex(/^[\w.-]+$/)
    .optional()
    .catch(undefined),
  payload: z
    .looseObject({
      object: z
        .looseObject({
          engagement_id: z
            .union([z.string(), z.number()])
            .transform(String)
            .pipe(
              z
                .string()
                .min(1)
                .max(128)
                .regex(/^[\w.:@=+/-]+$/),
            )
            .optional()
            .catch(undefined),
        })
        .optional()
        .catch(undefined),
    })
    .optional()
    .catch(undefined),
});

/**
 * The event name and engagement id a body says it carries, read as leniently as possible (any
 * field missing or malformed is left out, nothing throws): for records of deliveries that were
 * refused or dead-lettered, where the body may be anything. Unverified by itself.
 */
export function claimedZoomIds(body: unknown): { event?: string; engagementId?: string } {
  const p = claimedIdsSchema.safeParse(body);
  if (!p.success) return {};
  const engagementId = p.data.payload?.object?.engagement_id;
  return { ...(p.data.event ? { event: p.data.event } : {}), ...(engagementId ? { engagementId } : {}) };
}

export function eventKeyDocId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}
