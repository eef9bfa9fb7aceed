/**
 * Where the chaos run expects things, written again from the documents rather than imported
 * from the product, so a bug in the product's own path or key functions cannot hide itself
 * (the checker would otherwise expect exactly what the bug produced):
 *  - object names: functions/interaction-worker/README.md "Artifacts", step 1 —
 *    `zoom/<yyyy>/<mm>/<dd>/<engagement>/<artifact>.<ext>`, UTC date, extension by kind
 *    (`mp3`, `vtt`, `json`);
 *  - ledger keys and CRM idempotency keys: docs/contracts/zoom.md "What an item needs, and
 *    derived keys" (`recording-<id>`, `…-transcript`, `messaging-transcript`, `voicemail-<id>`,
 *    `note-<sha256(text)[0..24]>`, `disposition-<id>`) and the worker README
 *    (`zoom:<engagement>:<artifact or item>`);
 *  - which work an event carries: the same table, by the event's documented fields.
 * Only plain ids (letters, digits, `_`, `-`, as the Zoom stand-in generates) are spelled here:
 * the escaping of other ids is the product's business and no chaos day has one.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';

export type ExpectedArtifactKind = 'recording' | 'recording_transcript' | 'messaging_transcript' | 'voicemail' | 'voicemail_transcript';

const plain = (id: string, what: string): string => {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(id)) throw new Error(`the chaos checker spells only plain ids; ${what} ${JSON.stringify(id)} is not one`);
  return id;
};

export function expectedArtifactKey(kind: ExpectedArtifactKind, sourceId?: string): string {
  if (kind === 'messaging_transcript') return 'messaging-transcript';
  const id = plain(sourceId ?? '', `${kind} id`);
  if (kind === 'recording') return `recording-${id}`;
  if (kind === 'recording_transcript') return `recording-${id}-transcript`;
  if (kind === 'voicemail') return `voicemail-${id}`;
  return `voicemail-${id}-transcript`;
}

const EXTENSION: Record<ExpectedArtifactKind, string> = {
  recording: 'mp3',
  voicemail: 'mp3',
  recording_transcript: 'vtt',
  voicemail_transcript: 'vtt',
  messaging_transcript: 'json',
};

/** The object name of an artifact dated by `time` (an ISO instant; its UTC day). */
export function expectedObjectName(input: { prefix: string; engagementId: string; time: string; key: string; kind: ExpectedArtifactKind }): string {
  const day = new Date(input.time).toISOString().slice(0, 10).split('-').join('/');
  return `${input.prefix}/${day}/${plain(input.engagementId, 'engagement id')}/${input.key}.${EXTENSION[input.kind]}`;
}

export const expectedNoteKey = (text: string) => `note-${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
export const expectedDispositionKey = (dispositionId: string) => `disposition-${plain(dispositionId, 'disposition id')}`;
/** The idempotency key the worker gives the CRM for an artifact or item. */
export const expectedCrmKey = (engagementId: string, key: string) => `zoom:${engagementId}:${key}`;

const queuedSchema = z.object({
  envelope: z.object({ event: z.string(), payload: z.object({ object: z.record(z.string(), z.unknown()) }) }),
});
const str = (o: Record<string, unknown>, field: string) => (typeof o[field] === 'string' && o[field] !== '' ? (o[field] as string) : undefined);

interface ExpectedWork {
  engagementId: string;
  event: string;
  keys: string[];
}

/**
 * The engagement and ledger keys one queued event's work is filed under, from its documented
 * fields: 'unreadable' for a message that is no queued Zoom event, 'no work' for one that
 * carries no work of ours (an unknown event, an inbox message that is no voicemail) or lacks
 * a field the table says it needs (the worker refuses it for good).
 */
export function expectedWorkOf(data: unknown): ExpectedWork | 'unreadable' | 'no work' {
  const parsed = queuedSchema.safeParse(data);
  if (!parsed.success) return 'unreadable';
  const { event, payload } = parsed.data.envelope;
  const o = payload.object;
  const engagementId = str(o, 'engagement_id');
  if (!engagementId) return 'no work';
  const work = (keys: string[]): ExpectedWork => ({ engagementId, event, keys });
  switch (event) {
    case 'contact_center.recording_completed':
    case 'contact_center.recording_transcript_completed': {
      const id = str(o, 'recording_id');
      if (!id) return 'no work';
      return work([expectedArtifactKey(event.endsWith('transcript_completed') ? 'recording_transcript' : 'recording', id)]);
    }
    case 'contact_center.engagement_messaging_transcript_completed':
      return work([expectedArtifactKey('messaging_transcript')]);
    case 'contact_center.voicemail_transcript_completed':
    case 'contact_center.inbox_message_received': {
      if (str(o, 'message_type') !== undefined && str(o, 'message_type') !== 'voicemail') return 'no work';
      const id = str(o, 'message_id') ?? str(o, 'voicemail_id') ?? engagementId;
      const keys = [
        ...(str(o, 'download_url') ? [expectedArtifactKey('voicemail', id)] : []),
        ...(str(o, 'transcript_url') ? [expectedArtifactKey('voicemail_transcript', id)] : []),
      ];
      return work(keys);
    }
    case 'contact_center.engagement_note_added':
      return work([expectedNoteKey(str(o, 'note') ?? '')]);
    case 'contact_center.engagement_disposition_added': {
      const id = str(o, 'disposition_id');
      return id ? work([expectedDispositionKey(id)]) : 'no work';
    }
    default:
      return 'no work';
  }
}
