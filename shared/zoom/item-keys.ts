/**
 * Ledger keys of notes and dispositions: the one place they are derived, by the interaction
 * worker from an event (functions/interaction-worker/plan.ts) and by the reconciliation from
 * the engagements listing (shared/reconcile/expected.ts), so the reconciliation can tell from
 * the ledger alone whether an item Zoom lists was processed.
 *
 * Each key uses only what both carry (docs/contracts/zoom.md#what-an-item-needs-and-derived-keys):
 * a listed disposition has only its id and name, a listed note its id, text, last editor and
 * last-modified time, while the events' fields are unconfirmed. So a note is its text, a
 * disposition its id.
 */
import { createHash } from 'node:crypto';
import { safeSegment } from './artifacts';

/** The same text noted twice on one engagement is one note (its id and author may differ between event and listing). */
export function noteItemKey(note: { note?: string | undefined }): string {
  return `note-${createHash('sha256')
    .update(note.note ?? '')
    .digest('hex')
    .slice(0, 24)}`;
}

/** A disposition set again (another agent after a transfer) is the same item: the listing cannot tell them apart. */
export function dispositionItemKey(disposition: { disposition_id: string }): string {
  return `disposition-${safeSegment(disposition.disposition_id)}`;
}
