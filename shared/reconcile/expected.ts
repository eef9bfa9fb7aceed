/**
 * What a listed Zoom item means for the ledger: the entries (artifacts and items) the worker
 * would have recorded had its webhook arrived, each with the ledger key to look for and the
 * webhook envelope to queue if it is missing. The envelope is rebuilt from the listing only —
 * the listings carry the download URLs and ids — so backfilling costs no further API call.
 */
import type { ZoomEngagement, ZoomMessagingTranscript, ZoomRecording, ZoomVoicemail } from '../zoom/api-schemas';
import { artifactKey } from '../zoom/artifacts';
import { ZOOM_EVENTS, type ZoomEnvelope } from '../zoom/events';
import { dispositionItemKey, noteItemKey } from '../zoom/item-keys';
import type { ReportType } from './report';

export interface ExpectedEntry {
  type: ReportType;
  engagementId: string | undefined;
  section: 'artifacts' | 'items';
  /** The key of the entry in the engagement's ledger document. */
  key: string;
  /** Stable identity across runs and passes (run marks, the queued event's key). */
  id: string;
  /**
   * Builds what to queue when it is missing (only then: most entries are present); undefined
   * when the listing lacks what the worker needs.
   */
  envelope: (() => ZoomEnvelope) | undefined;
  /** Why it cannot be backfilled (with `envelope` undefined). */
  problem?: string;
}

const timeOf = (...values: Array<string | undefined>): number | undefined => {
  for (const v of values) {
    const t = v === undefined ? Number.NaN : Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return undefined;
};

function buildEnvelope(accountId: string, event: string, eventTs: number | undefined, object: Record<string, unknown>): ZoomEnvelope {
  const clean = Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined));
  return { event, ...(eventTs === undefined ? {} : { event_ts: eventTs }), payload: { account_id: accountId, object: clean } };
}

export function entriesOfRecording(r: ZoomRecording, accountId: string): ExpectedEntry[] {
  const ts = timeOf(r.recording_end_time, r.recording_start_time);
  const out: ExpectedEntry[] = [
    {
      type: 'recording',
      engagementId: r.engagement_id,
      section: 'artifacts',
      key: artifactKey('recording', r.recording_id),
      id: `recording:${r.recording_id}`,
      // Without download_url the worker looks the recording up itself (one call, for a missing one only).
      envelope: () => buildEnvelope(accountId, ZOOM_EVENTS.recordingCompleted, ts, { ...r, transcript_url: undefined }),
    },
  ];
  if (r.transcript_url) {
    out.push({
      type: 'recording_transcript',
      engagementId: r.engagement_id,
      section: 'artifacts',
      key: artifactKey('recording_transcript', r.recording_id),
      id: `recording_transcript:${r.recording_id}`,
      envelope: () => buildEnvelope(accountId, ZOOM_EVENTS.recordingTranscriptCompleted, ts, {
        recording_id: r.recording_id,
        engagement_id: r.engagement_id,
        transcript_url: r.transcript_url,
        queue_id: r.queue_id,
        user_id: r.user_id,
        recording_start_time: r.recording_start_time,
        recording_end_time: r.recording_end_time,
      }),
    });
  }
  return out;
}

export function entriesOfEngagement(e: ZoomEngagement, accountId: string): ExpectedEntry[] {
  const out: ExpectedEntry[] = [];
  const queueId = e.queues?.[0]?.queue_id;
  for (const n of e.notes ?? []) {
    const ts = timeOf(n.created_time, e.end_time, e.start_time);
    const object = { engagement_id: e.engagement_id, note_id: n.note_id, note: n.note, user_id: n.user_id, created_time: n.created_time };
    const key = noteItemKey(object, ts ?? 0);
    out.push({ type: 'note', engagementId: e.engagement_id, section: 'items', key, id: `note:${e.engagement_id}:${key}`, envelope: () => buildEnvelope(accountId, ZOOM_EVENTS.noteAdded, ts, object) });
  }
  const dispositions = e.dispositions ?? [];
  const end = timeOf(e.end_time, e.start_time);
  dispositions.forEach((d, i) => {
    // The order of dispositions decides the record's call result. Without a time in the
    // listing (the field is unconfirmed) they are dated just before the engagement's end, in
    // listed order, so a backfilled one never overtakes one applied from its webhook later on.
    const ts = timeOf(d.created_time) ?? (end === undefined ? undefined : end - (dispositions.length - i) * 1000);
    const object = { engagement_id: e.engagement_id, disposition_id: d.disposition_id, disposition_name: d.disposition_name, queue_id: queueId, user_id: d.user_id };
    const key = dispositionItemKey(object);
    out.push({ type: 'disposition', engagementId: e.engagement_id, section: 'items', key, id: `disposition:${e.engagement_id}:${key}`, envelope: () => buildEnvelope(accountId, ZOOM_EVENTS.dispositionAdded, ts, object) });
  });
  return out;
}

export function entriesOfVoicemail(v: ZoomVoicemail, accountId: string): ExpectedEntry[] {
  const ts = timeOf(v.date_time);
  const common = { engagement_id: v.engagement_id, voicemail_id: v.message_id, queue_id: v.queue_id, start_time: v.date_time };
  const problem = v.engagement_id === undefined ? 'voicemail without engagement_id (nothing to file it under)' : undefined;
  const entry = (type: 'voicemail' | 'voicemail_transcript', url: Record<string, string>): ExpectedEntry => ({
    type,
    engagementId: v.engagement_id,
    section: 'artifacts',
    key: artifactKey(type, v.message_id),
    id: `${type}:${v.message_id}`,
    envelope: problem ? undefined : () => buildEnvelope(accountId, ZOOM_EVENTS.voicemailTranscriptCompleted, ts, { ...common, ...url }),
    ...(problem ? { problem } : {}),
  });
  const out: ExpectedEntry[] = [];
  if (v.download_url) out.push(entry('voicemail', { download_url: v.download_url }));
  if (v.transcript_url) out.push(entry('voicemail_transcript', { transcript_url: v.transcript_url }));
  return out;
}

export function entriesOfMessagingTranscript(m: ZoomMessagingTranscript, accountId: string): ExpectedEntry[] {
  const key = artifactKey('messaging_transcript', m.message_id);
  const problem = m.transcript_url ? undefined : 'messaging transcript listed without transcript_url';
  return [
    {
      type: 'messaging_transcript',
      engagementId: m.engagement_id,
      section: 'artifacts',
      key,
      id: `messaging_transcript:${m.engagement_id}:${key}`,
      envelope: problem
        ? undefined
        : () =>
            buildEnvelope(accountId, ZOOM_EVENTS.messagingTranscriptCompleted, timeOf(m.end_time, m.start_time), {
            engagement_id: m.engagement_id,
            transcript_url: m.transcript_url,
            message_id: m.message_id,
            queue_id: m.queue_id,
            user_id: m.user_id,
            channel_type: m.channel_type ?? 'messaging',
            start_time: m.start_time,
          }),
      ...(problem ? { problem } : {}),
    },
  ];
}
