/** Zoom Contact Center REST responses: lenient (unknown fields kept), only what is used is required. */
import * as z from 'zod';

const id = z.union([z.string().min(1), z.number()]).transform(String);
const optionalString = z.string().nullish().transform((v) => v ?? undefined);

const pageBase = {
  next_page_token: optionalString,
  page_size: z.number().optional(),
  total_records: z.number().optional(),
};
// A missing or null list is an empty page, not an error.
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

export const zoomRecordingSchema = z.looseObject({
  recording_id: id,
  engagement_id: id,
  queue_id: id.optional(),
  queue_name: z.string().optional(),
  user_id: id.optional(),
  download_url: z.url().optional(),
  transcript_url: z.url().optional(),
  recording_start_time: z.string().optional(),
  recording_end_time: z.string().optional(),
  recording_duration: z.number().optional(),
  channel_type: z.string().optional(),
  direction: z.string().optional(),
});
export type ZoomRecording = z.output<typeof zoomRecordingSchema>;

export const zoomNoteSchema = z.looseObject({
  note_id: id,
  note: z.string().optional(),
  user_id: id.optional(),
  created_time: z.string().optional(),
});
export type ZoomNote = z.output<typeof zoomNoteSchema>;

export const zoomDispositionSchema = z.looseObject({
  disposition_id: id,
  disposition_name: z.string().optional(),
  user_id: id.optional(),
  // When it was set: not in every answer (unconfirmed field name), so optional.
  created_time: optionalString,
});

export const zoomEngagementSchema = z.looseObject({
  engagement_id: id,
  start_time: z.string().optional(),
  end_time: z.string().optional(),
  channel: z.string().optional(),
  direction: z.string().optional(),
  queues: z.array(z.looseObject({ queue_id: id, queue_name: z.string().optional() })).optional(),
  agents: z.array(z.looseObject({ user_id: id, display_name: z.string().optional() })).optional(),
  consumers: z.array(z.looseObject({})).optional(),
  notes: z.array(zoomNoteSchema).optional(),
  dispositions: z.array(zoomDispositionSchema).optional(),
});
export type ZoomEngagement = z.output<typeof zoomEngagementSchema>;

export const zoomVoicemailSchema = z.looseObject({
  message_id: id,
  engagement_id: id.optional(),
  message_type: z.string().optional(),
  download_url: z.url().optional(),
  transcript_url: z.url().optional(),
  queue_id: id.optional(),
  date_time: z.string().optional(),
});
export type ZoomVoicemail = z.output<typeof zoomVoicemailSchema>;

export const zoomMessagingMessageSchema = z.looseObject({
  message_id: id,
  engagement_id: id.optional(),
  message: z.string().optional(),
  sender_type: z.string().optional(),
  date_time: z.string().optional(),
});

/**
 * An entry of the range listing of messaging transcripts (path and fields unconfirmed in
 * Zoom's public reference; the fields are those of the engagement_messaging_transcript_completed event).
 */
export const zoomMessagingTranscriptSchema = z.looseObject({
  engagement_id: id,
  transcript_url: z.url().optional(),
  message_id: id.optional(),
  queue_id: id.optional(),
  user_id: id.optional(),
  channel_type: z.string().optional(),
  start_time: z.string().optional(),
  end_time: z.string().optional(),
});
export type ZoomMessagingTranscript = z.output<typeof zoomMessagingTranscriptSchema>;

export const recordingsPageSchema = z.looseObject({ ...pageBase, recordings: list(zoomRecordingSchema) });
export const engagementsPageSchema = z.looseObject({ ...pageBase, engagements: list(zoomEngagementSchema) });
export const notesPageSchema = z.looseObject({ ...pageBase, notes: list(zoomNoteSchema) });
export const voicemailsPageSchema = z.looseObject({ ...pageBase, messages: list(zoomVoicemailSchema) });
export const messagingPageSchema = z.looseObject({ ...pageBase, messages: list(zoomMessagingMessageSchema) });
export const messagingTranscriptsPageSchema = z.looseObject({ ...pageBase, transcripts: list(zoomMessagingTranscriptSchema) });
