/**
 * What the bundle keeps of an engagement, and where: one object per artifact under a
 * predictable path, `zoom/<yyyy>/<mm>/<dd>/<engagement>/<artifact>.<ext>`, dated by the
 * engagement's start (UTC), so a redelivery, the reconciliation and a person all find the
 * same object without a lookup.
 */
import { createHash } from 'node:crypto';

export const ARTIFACT_KINDS = ['recording', 'recording_transcript', 'messaging_transcript', 'voicemail', 'voicemail_transcript'] as const;
export type ArtifactKind = (typeof ARTIFACT_KINDS)[number];

/** A Zoom id as a path segment and a Firestore field name: only [A-Za-z0-9_-], stable, unique. */
export function safeSegment(value: string): string {
  if (/^[A-Za-z0-9_-]{1,100}$/.test(value)) return value;
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
  return `${cleaned}_${createHash('sha256').update(value).digest('hex').slice(0, 10)}`;
}

/** The ledger key of an artifact; `sourceId` is the recording or voicemail id (none for messaging). */
export function artifactKey(kind: ArtifactKind, sourceId?: string): string {
  const id = sourceId === undefined ? '' : safeSegment(sourceId);
  switch (kind) {
    case 'recording':
      return `recording-${id}`;
    case 'recording_transcript':
      return `recording-${id}-transcript`;
    case 'messaging_transcript':
      return sourceId === undefined ? 'messaging-transcript' : `messaging-transcript-${id}`;
    case 'voicemail':
      return `voicemail-${id}`;
    case 'voicemail_transcript':
      return `voicemail-${id}-transcript`;
  }
}

const EXTENSIONS: Record<string, string> = {
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/mp4': 'm4a',
  'audio/ogg': 'ogg',
  'video/mp4': 'mp4',
  'text/vtt': 'vtt',
  'text/plain': 'txt',
  'application/json': 'json',
  'application/pdf': 'pdf',
};

const DEFAULT_EXTENSIONS: Record<ArtifactKind, string> = {
  recording: 'mp3',
  recording_transcript: 'vtt',
  messaging_transcript: 'json',
  voicemail: 'mp3',
  voicemail_transcript: 'vtt',
};

/**
 * The extension is fixed by the artifact kind, not by what a download answers, so the
 * path is known before any byte is fetched (a redelivery must find the same object).
 */
export function extensionFor(kind: ArtifactKind): string {
  return DEFAULT_EXTENSIONS[kind];
}

/** The extension a content type would have, for the CRM file name. */
export function extensionOfContentType(contentType: string): string | undefined {
  return EXTENSIONS[contentType.toLowerCase()];
}

export function artifactPath(input: { engagementId: string; startTime: string | Date | undefined; key: string; kind: ArtifactKind; prefix?: string }): string {
  const date = toDate(input.startTime);
  const yyyy = String(date.getUTCFullYear()).padStart(4, '0');
  const mm = String(date.getUTCMonth() + 1).padStart(2, '0');
  const dd = String(date.getUTCDate()).padStart(2, '0');
  return `${input.prefix ?? 'zoom'}/${yyyy}/${mm}/${dd}/${safeSegment(input.engagementId)}/${input.key}.${extensionFor(input.kind)}`;
}

function toDate(value: string | Date | undefined): Date {
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value;
  if (typeof value === 'string') {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) return d;
  }
  // Without a usable time the path is dated at the Unix epoch: stable across redeliveries.
  return new Date(0);
}
