/**
 * The worker core: one Zoom event (as queued by the webhook or the reconciliation) →
 * ledger opened, artifacts stored and linked, notes/dispositions written. Throws only
 * retryable failures (Pub/Sub redelivers); permanent ones are in the ledger.
 */
import { queuedZoomEventSchema } from '../../shared/zoom/queued-event';
import { PermanentEventError } from '../../shared/events/pubsub-event';
import type { WorkerDeps } from './deps';
import { planEvent } from './plan';
import { type ArtifactOutcome, storeArtifact } from './store-artifact';
import { type ItemOutcome, writeItem } from './write-item';

export interface EventOutcome {
  engagementId?: string;
  event: string;
  artifacts: Record<string, ArtifactOutcome>;
  items: Record<string, ItemOutcome>;
  ignored?: boolean;
}

export async function handleZoomEvent(deps: WorkerDeps, data: unknown): Promise<EventOutcome> {
  const parsed = queuedZoomEventSchema.safeParse(data);
  if (!parsed.success) throw new PermanentEventError('message is not a queued Zoom event', 'malformed_message');
  const queued = parsed.data;
  const plan = planEvent(queued);
  if (!plan) {
    deps.log.notice('zoom event: no work for this event type, acknowledged', { event: queued.envelope.event });
    return { event: queued.envelope.event, artifacts: {}, items: {}, ignored: true };
  }
  await deps.ledger.open(plan.engagementId, plan.facts);
  const outcome: EventOutcome = { engagementId: plan.engagementId, event: queued.envelope.event, artifacts: {}, items: {} };

  // Every artifact gets its chance even if an earlier one must be retried.
  let retry: unknown;
  for (const artifact of plan.artifacts) {
    try {
      outcome.artifacts[artifact.key] = await storeArtifact(deps, plan, artifact, queued.source);
    } catch (err) {
      retry ??= err;
    }
  }
  for (const item of plan.items) {
    try {
      outcome.items[item.key] = await writeItem(deps, plan, item);
    } catch (err) {
      retry ??= err;
    }
  }
  await deps.ledger.refreshState(plan.engagementId).catch((err: unknown) => deps.log.warn('zoom ledger: state not refreshed', { err }));
  if (retry !== undefined) throw retry;
  return outcome;
}
