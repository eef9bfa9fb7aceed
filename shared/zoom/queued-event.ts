/**
 * The message on the `zoom-events` topic: a Zoom event as received (envelope kept whole,
 * unknown fields included) plus its business key. The webhook publishes it; the nightly
 * reconciliation publishes the same shape for events Zoom never delivered.
 */
import * as z from 'zod';
import { zoomEnvelopeSchema } from './events';

export const queuedZoomEventSchema = z.object({
  v: z.literal(1),
  key: z.string().min(1),
  source: z.enum(['webhook', 'reconcile']),
  receivedAt: z.string(),
  envelope: zoomEnvelopeSchema,
});
export type QueuedZoomEvent = z.output<typeof queuedZoomEventSchema>;

export function queuedEventAttributes(event: QueuedZoomEvent, engagementId: string | undefined): Record<string, string> {
  return { event: event.envelope.event, source: event.source, ...(engagementId ? { engagementId } : {}) };
}
