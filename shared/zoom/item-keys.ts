/**
 * Ledger keys of notes and dispositions, derived from the event object exactly as the
 * interaction worker derives them (functions/interaction-worker/plan.ts), so the
 * reconciliation can tell from the ledger alone whether an item Zoom lists was processed.
 * test/unit/reconcile-expected.test.ts checks both derivations agree.
 */
import { createHash } from 'node:crypto';
import { safeSegment } from './artifacts';

/** note_id is unconfirmed: without it a note's identity is its author, time and text. */
export function noteItemKey(note: { note_id?: string | undefined; user_id?: string | undefined; created_time?: string | undefined; note?: string | undefined }, eventTs: number): string {
  const id = note.note_id ?? createHash('sha256').update(`${note.user_id ?? ''}\n${note.created_time ?? eventTs}\n${note.note ?? ''}`).digest('hex').slice(0, 24);
  return `note-${safeSegment(id)}`;
}

/** The same disposition chosen by another agent (e.g. after a transfer) is a distinct one. */
export function dispositionItemKey(disposition: { disposition_id: string; user_id?: string | undefined }): string {
  return `disposition-${safeSegment(disposition.disposition_id)}${disposition.user_id ? `-${safeSegment(disposition.user_id)}` : ''}`;
}
