/**
 * What one Zoom event asks of the worker: facts about the engagement, artifacts to fetch
 * into Cloud Storage, and items (notes, dispositions) to write to the CRM. Pure: parsing
 * and keys only, so every redelivery of an event plans exactly the same work.
 */
import type * as z from 'zod';
import { PermanentEventError } from '../../shared/events/pubsub-event';
import { queueIdOf } from '../../shared/zoom/api-schemas';
import { type ArtifactKind, artifactKey } from '../../shared/zoom/artifacts';
import {
  dispositionObjectSchema,
  MAX_DATE_MS,
  messagingTranscriptObjectSchema,
  noteObjectSchema,
  recordingObjectSchema,
  recordingTranscriptObjectSchema,
  voicemailObjectSchema,
  ZOOM_EVENTS,
} from '../../shared/zoom/events';
import { dispositionItemKey, noteItemKey } from '../../shared/zoom/item-keys';
import type { EngagementFacts } from '../../shared/zoom/ledger';
import type { QueuedZoomEvent } from '../../shared/zoom/queued-event';

export interface PlannedArtifact {
  key: string;
  kind: ArtifactKind;
  sourceId?: string | undefined;
  /** undefined: look it up through the REST API (recordings only). */
  url: string | undefined;
  /** The time the storage path is dated by. */
  time: string | undefined;
}

export type PlannedItem =
  | { kind: 'note'; key: string; eventTs: number; body: string; author: string | undefined }
  | { kind: 'disposition'; key: string; eventTs: number; value: string };

export interface EventPlan {
  engagementId: string;
  facts: EngagementFacts;
  artifacts: PlannedArtifact[];
  items: PlannedItem[];
  /** When the event happened (event_ts, else when the webhook received it), in ms. */
  eventTs: number;
  /** When the webhook received it, in ms (what the settle window counts from). */
  receivedAtMs: number;
}

/** ECMAScript dates span ±8.64e15 ms around the epoch. */
const isDateMs = (ms: number) => Number.isFinite(ms) && Math.abs(ms) <= MAX_DATE_MS;

export function planEvent(queued: QueuedZoomEvent): EventPlan | undefined {
  const { envelope } = queued;
  const object = envelope.payload?.object ?? {};
  const receivedAtMs = Date.parse(queued.receivedAt);
  const eventTs = envelope.event_ts ?? receivedAtMs;
  // Times come from the message; one no Date can hold would throw below on every redelivery.
  if (!isDateMs(receivedAtMs) || !isDateMs(eventTs))
    throw new PermanentEventError('event time (event_ts or receivedAt) is not a representable date', 'malformed_time');
  const eventTime = new Date(eventTs).toISOString();
  const parse = <S extends z.ZodType>(schema: S): z.output<S> => {
    const parsed = schema.safeParse(object);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
      throw new PermanentEventError(`${envelope.event} without usable ${fields}`, 'malformed_object');
    }
    return parsed.data;
  };

  switch (envelope.event) {
    case ZOOM_EVENTS.recordingCompleted: {
      const o = parse(recordingObjectSchema);
      return {
        engagementId: o.engagement_id,
        facts: { queueId: queueIdOf(o), agentId: o.user_id, channel: o.channel_type ?? 'voice', startTime: o.recording_start_time },
        artifacts: [
          {
            key: artifactKey('recording', o.recording_id),
            kind: 'recording',
            sourceId: o.recording_id,
            url: o.download_url,
            time: o.recording_start_time ?? eventTime,
          },
        ],
        items: [],
        eventTs,
        receivedAtMs,
      };
    }
    case ZOOM_EVENTS.recordingTranscriptCompleted: {
      const o = parse(recordingTranscriptObjectSchema);
      return {
        engagementId: o.engagement_id,
        facts: { queueId: queueIdOf(o), agentId: o.user_id, startTime: o.recording_start_time },
        artifacts: [
          {
            key: artifactKey('recording_transcript', o.recording_id),
            kind: 'recording_transcript',
            sourceId: o.recording_id,
            url: o.transcript_url,
            time: o.recording_start_time ?? eventTime,
          },
        ],
        items: [],
        eventTs,
        receivedAtMs,
      };
    }
    case ZOOM_EVENTS.messagingTranscriptCompleted: {
      const o = parse(messagingTranscriptObjectSchema);
      return {
        engagementId: o.engagement_id,
        facts: { queueId: queueIdOf(o), agentId: o.user_id, channel: o.channel_type ?? 'messaging', startTime: o.start_time },
        // One transcript per engagement: the listing knows it only as the engagement's transcript_url.
        artifacts: [{ key: artifactKey('messaging_transcript'), kind: 'messaging_transcript', url: o.transcript_url, time: o.start_time ?? eventTime }],
        items: [],
        eventTs,
        receivedAtMs,
      };
    }
    case ZOOM_EVENTS.voicemailTranscriptCompleted:
    case ZOOM_EVENTS.inboxMessageReceived: {
      const o = parse(voicemailObjectSchema);
      // Inbox messages are voicemails today; another type would be no artifact of ours.
      if (o.message_type !== undefined && o.message_type !== 'voicemail') return undefined;
      const id = o.message_id ?? o.voicemail_id ?? o.engagement_id;
      // The inbox listing dates a voicemail by created_at; the same here, so a backfill files it alike.
      const time = o.created_at ?? o.start_time ?? eventTime;
      const artifacts: PlannedArtifact[] = [];
      // A voicemail without transcript has only its audio (download_url).
      if (o.download_url) artifacts.push({ key: artifactKey('voicemail', id), kind: 'voicemail', sourceId: id, url: o.download_url, time });
      if (o.transcript_url)
        artifacts.push({ key: artifactKey('voicemail_transcript', id), kind: 'voicemail_transcript', sourceId: id, url: o.transcript_url, time });
      return {
        engagementId: o.engagement_id,
        facts: { queueId: queueIdOf(o), agentId: o.user_id, channel: 'voice', startTime: o.created_at ?? o.start_time },
        artifacts,
        items: [],
        eventTs,
        receivedAtMs,
      };
    }
    case ZOOM_EVENTS.noteAdded: {
      const o = parse(noteObjectSchema);
      const body = o.note ?? '';
      return {
        engagementId: o.engagement_id,
        facts: { agentId: o.user_id },
        artifacts: [],
        items: [{ kind: 'note', key: noteItemKey(o), eventTs, body, author: o.user_name ?? o.user_id }],
        eventTs,
        receivedAtMs,
      };
    }
    case ZOOM_EVENTS.dispositionAdded: {
      const o = parse(dispositionObjectSchema);
      const key = dispositionItemKey(o);
      return {
        engagementId: o.engagement_id,
        facts: { queueId: queueIdOf(o), agentId: o.user_id },
        artifacts: [],
        items: [{ kind: 'disposition', key, eventTs, value: o.disposition_name ?? o.disposition_id }],
        eventTs,
        receivedAtMs,
      };
    }
    default:
      return undefined;
  }
}
