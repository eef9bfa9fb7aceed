/**
 * Zoom Contact Center REST responses, as docs/contracts/zoom.md#fields-per-item lists them:
 * lenient (unknown fields kept), and since Zoom marks every field optional, only what an item
 * cannot be used without is required. Listings are parsed item by item: an item that lacks
 * what it needs is skipped (and reported with its reason), the rest of the page goes on.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

const id = z.union([z.string().min(1), z.number()]).transform(String);
const optionalId = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : String(v)));
const optionalString = z
  .string()
  .nullish()
  .transform((v) => v ?? undefined);
const optionalUrl = z
  .string()
  .nullish()
  .transform((v, ctx) => {
    if (v === null || v === undefined || v === '') return undefined;
    if (!URL.canParse(v)) {
      ctx.addIssue({ code: 'custom', message: 'not a URL' });
      return z.NEVER;
    }
    return v;
  });
const optionalNumber = z
  .number()
  .nullish()
  .transform((v) => v ?? undefined);
/** A list Zoom may leave out or send as null. */
const optionalList = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

const zoomRecordingSchema = z.looseObject({
  recording_id: id,
  engagement_id: id,
  queue_id: optionalId,
  cc_queue_id: optionalId,
  queue_name: optionalString,
  user_id: optionalId,
  download_url: optionalUrl,
  transcript_url: optionalUrl,
  recording_start_time: optionalString,
  recording_end_time: optionalString,
  recording_duration: optionalNumber,
  channel_type: optionalString,
  channel: optionalString,
  direction: optionalString,
});
export type ZoomRecording = z.output<typeof zoomRecordingSchema>;

const zoomNoteSchema = z.looseObject({
  note_id: optionalId,
  note: optionalString,
  user_id: optionalId,
  last_modified_time: optionalString,
});
export type ZoomNote = z.output<typeof zoomNoteSchema>;

/** An engagement's `dispositions[]` item: only these two fields exist (no user, no time). */
const zoomDispositionSchema = z.looseObject({
  disposition_id: optionalId,
  disposition_name: optionalString,
});

/** Listing: `cc_queue_id` + `queue_name`; details: also `queue_id`. */
const zoomEngagementQueueSchema = z.looseObject({ queue_id: optionalId, cc_queue_id: optionalId, queue_name: optionalString });

export const zoomEngagementSchema = z.looseObject({
  engagement_id: id,
  start_time: optionalString,
  end_time: optionalString,
  direction: optionalString,
  channels: optionalList(z.looseObject({ channel: optionalString, channel_source: optionalString })),
  queues: optionalList(zoomEngagementQueueSchema),
  agents: optionalList(z.looseObject({ user_id: optionalId, display_name: optionalString })),
  consumers: optionalList(z.looseObject({})),
  // Items of an engagement's own lists are kept whatever they lack; what each needs is
  // decided where it is used (shared/reconcile/expected.ts), so one bad note skips only itself.
  notes: optionalList(zoomNoteSchema),
  dispositions: optionalList(zoomDispositionSchema),
  /** Messaging engagements only: where their transcript is downloaded. */
  transcript_url: optionalUrl,
});
export type ZoomEngagement = z.output<typeof zoomEngagementSchema>;

/** An inbox message of type voicemail. */
const zoomVoicemailSchema = z.looseObject({
  message_id: id,
  engagement_id: optionalId,
  message_type: optionalString,
  download_url: optionalUrl,
  transcript_url: optionalUrl,
  queue_id: optionalId,
  cci_queue_id: optionalId,
  created_at: optionalString,
});
export type ZoomVoicemail = z.output<typeof zoomVoicemailSchema>;

/** The queue id of an engagement, a recording or a voicemail, whichever field Zoom filled. */
export function queueIdOf(item: { queue_id?: string | undefined; cc_queue_id?: string | undefined; cci_queue_id?: string | undefined }): string | undefined {
  return item.queue_id ?? item.cc_queue_id ?? item.cci_queue_id;
}

/** An item of a page that could not be used: its position and why. */
export interface SkippedItem {
  index: number;
  reason: string;
  /** A short hash of the item as received, to tell skipped items apart in reports. */
  digest: string;
}

/** A page's list, parsed item by item. */
const itemsOf = <T extends z.ZodType>(item: T) =>
  z
    .array(z.unknown())
    .nullish()
    .transform((raw) => {
      const items: Array<z.output<T>> = [];
      const skipped: SkippedItem[] = [];
      (raw ?? []).forEach((value, index) => {
        const parsed = item.safeParse(value);
        if (parsed.success) items.push(parsed.data);
        else
          skipped.push({
            index,
            reason: `without usable ${parsed.error.issues.map((i) => i.path.join('.') || '(item)').join(', ')}`,
            digest: createHash('sha256')
              .update(JSON.stringify(value) ?? '')
              .digest('hex')
              .slice(0, 16),
          });
      });
      return { items, skipped };
    });

const pageOf = <T extends z.ZodType>(key: string, item: T): z.ZodType<ZoomPage<z.output<T>>> => {
  const list = itemsOf(item);
  const meta = z.looseObject({ next_page_token: optionalString, page_size: optionalNumber, total_records: optionalNumber });
  return meta.extend({ [key]: list }).transform((page): ZoomPage<z.output<T>> => {
    const { items, skipped } = (page as Record<string, unknown>)[key] as z.output<typeof list>;
    const m = page as unknown as z.output<typeof meta>;
    return { next_page_token: m.next_page_token || undefined, page_size: m.page_size, total_records: m.total_records, items, skipped };
  });
};

export const recordingsPageSchema = pageOf('recordings', zoomRecordingSchema);
export const engagementsPageSchema = pageOf('engagements', zoomEngagementSchema);
export const notesPageSchema = pageOf('notes', zoomNoteSchema);
export const voicemailsPageSchema = pageOf('messages', zoomVoicemailSchema);

export interface ZoomPage<T> {
  next_page_token: string | undefined;
  page_size: number | undefined;
  total_records: number | undefined;
  items: T[];
  skipped: SkippedItem[];
}
