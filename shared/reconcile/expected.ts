/**
 * What a listed Zoom item means for the ledger: the entries (artifacts and items) the worker
 * would have recorded had its webhook arrived, each with the ledger key to look for and the
 * webhook envelope to queue if it is missing. The envelope is rebuilt from the listing only —
 * the listings carry the download URLs and ids — so backfilling costs no further API call.
 */
import { type SkippedItem, queueIdOf, type ZoomEngagement, type ZoomRecording, type ZoomVoicemail } from '../zoom/api-schemas';
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
      envelope: () =>
        buildEnvelope(accountId, ZOOM_EVENTS.recordingTranscriptCompleted, ts, {
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
  const queueId = e.queues.map(queueIdOf).find((q) => q !== undefined);
  const agentId = e.agents.find((a) => a.user_id !== undefined)?.user_id;
  // One entry per ledger key: the same note text, or a disposition set again, is one item.
  const items = new Map<string, ExpectedEntry>();
  e.notes.forEach((n, i) => {
    const ts = timeOf(n.last_modified_time, e.end_time, e.start_time);
    if (n.note === undefined) {
      out.push(unusable('note', e.engagement_id, 'items', `note-unusable-${i}`, 'note listed without its text'));
      return;
    }
    const object = { engagement_id: e.engagement_id, note_id: n.note_id, note: n.note, user_id: n.user_id };
    const key = noteItemKey(object);
    items.set(key, {
      type: 'note',
      engagementId: e.engagement_id,
      section: 'items',
      key,
      id: `note:${e.engagement_id}:${key}`,
      envelope: () => buildEnvelope(accountId, ZOOM_EVENTS.noteAdded, ts, object),
    });
  });
  const dispositions = e.dispositions;
  const end = timeOf(e.end_time, e.start_time);
  dispositions.forEach((d, i) => {
    if (d.disposition_id === undefined) {
      out.push(unusable('disposition', e.engagement_id, 'items', `disposition-unusable-${i}`, 'disposition listed without disposition_id'));
      return;
    }
    // The order of dispositions decides the record's call result. The listing gives them no
    // time, so they are dated just before the engagement's end, in listed order: a backfilled
    // one never overtakes one applied from its event later on.
    const ts = end === undefined ? undefined : end - (dispositions.length - i) * 1000;
    const object = { engagement_id: e.engagement_id, disposition_id: d.disposition_id, disposition_name: d.disposition_name, queue_id: queueId };
    const key = dispositionItemKey(object);
    // Set twice (e.g. again after a transfer): one item, dated by its last place in the list.
    items.delete(key);
    items.set(key, {
      type: 'disposition',
      engagementId: e.engagement_id,
      section: 'items',
      key,
      id: `disposition:${e.engagement_id}:${key}`,
      envelope: () => buildEnvelope(accountId, ZOOM_EVENTS.dispositionAdded, ts, object),
    });
  });
  out.push(...items.values());
  // A messaging engagement's transcript is its transcript_url (Zoom has no listing of them).
  if (e.transcript_url) {
    const key = artifactKey('messaging_transcript');
    out.push({
      type: 'messaging_transcript',
      engagementId: e.engagement_id,
      section: 'artifacts',
      key,
      id: `messaging_transcript:${e.engagement_id}:${key}`,
      envelope: () =>
        buildEnvelope(accountId, ZOOM_EVENTS.messagingTranscriptCompleted, end, {
          engagement_id: e.engagement_id,
          transcript_url: e.transcript_url,
          queue_id: queueId,
          user_id: agentId,
          channel_type: 'messaging',
          start_time: e.start_time,
        }),
    });
  }
  return out;
}

export function entriesOfVoicemail(v: ZoomVoicemail, accountId: string): ExpectedEntry[] {
  const ts = timeOf(v.created_at);
  const common = { engagement_id: v.engagement_id, message_id: v.message_id, message_type: 'voicemail', queue_id: queueIdOf(v), created_at: v.created_at };
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
  // A voicemail without transcript (transcription off, or none made) is its audio alone.
  if (v.download_url) out.push(entry('voicemail', { download_url: v.download_url }));
  if (v.transcript_url) out.push(entry('voicemail_transcript', { transcript_url: v.transcript_url }));
  if (out.length === 0)
    out.push(
      unusable('voicemail', v.engagement_id, 'artifacts', `voicemail-unusable-${v.message_id}`, 'voicemail listed without download_url or transcript_url'),
    );
  return out;
}

/** An entry that is only reported: Zoom listed it, but without what the worker needs. */
function unusable(type: ReportType, engagementId: string | undefined, section: ExpectedEntry['section'], key: string, problem: string): ExpectedEntry {
  return { type, engagementId, section, key, id: `unusable:${engagementId ?? '-'}:${key}`, envelope: undefined, problem };
}

/** A listed item that did not even parse (it lacks its own id or its engagement's). */
export function skippedEntry(type: ReportType, source: string, skipped: SkippedItem): ExpectedEntry {
  return unusable(
    type,
    undefined,
    type === 'note' || type === 'disposition' ? 'items' : 'artifacts',
    `skipped-${source}-${skipped.digest}`,
    `${source} item ${skipped.reason}`,
  );
}
