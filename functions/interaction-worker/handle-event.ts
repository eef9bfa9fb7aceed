/**
 * The worker core: one Zoom event (as queued by the webhook or the reconciliation) →
 * ledger opened, artifacts stored and linked, notes/dispositions written. Throws only
 * retryable failures (Pub/Sub redelivers); permanent ones are in the ledger. On the
 * subscription's last delivery a retryable failure becomes a permanent one too — recorded as
 * given up, which the reconciliation queues again — so nothing reaches the dead-letter topic
 * that the ledger does not account for (unless the worker dies on that very delivery).
 */
import { queuedZoomEventSchema } from '../../shared/zoom/queued-event';
import { PermanentEventError } from '../../shared/events/pubsub-event';
import type { WorkerDeps } from './deps';
import { reasonOf } from './failures';
import { type EventPlan, planEvent } from './plan';
import { type ArtifactOutcome, storeArtifact } from './store-artifact';
import { type ItemOutcome, writeItem } from './write-item';

export interface EventOutcome {
  engagementId?: string;
  event: string;
  artifacts: Record<string, ArtifactOutcome | 'given_up'>;
  items: Record<string, ItemOutcome | 'given_up'>;
  ignored?: boolean;
}

/** How Pub/Sub handed the event over: its delivery count, when the push carried one. */
export interface Delivery {
  deliveryAttempt: number | undefined;
}

export async function handleZoomEvent(deps: WorkerDeps, data: unknown, delivery: Delivery = { deliveryAttempt: undefined }): Promise<EventOutcome> {
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
  const failures = new Map<string, unknown>();
  for (const artifact of plan.artifacts) {
    try {
      outcome.artifacts[artifact.key] = await storeArtifact(deps, plan, artifact, queued.source);
    } catch (err) {
      failures.set(artifact.key, err);
    }
  }
  for (const item of plan.items) {
    try {
      outcome.items[item.key] = await writeItem(deps, plan, item, queued.source);
    } catch (err) {
      failures.set(item.key, err);
    }
  }
  const last = deps.settings.maxDeliveryAttempts > 0 && (delivery.deliveryAttempt ?? 0) >= deps.settings.maxDeliveryAttempts;
  const gaveUp = failures.size > 0 && last && (await giveUp(deps, plan, failures, outcome, delivery.deliveryAttempt!));
  await deps.ledger.refreshState(plan.engagementId).catch((err: unknown) => deps.log.warn('zoom ledger: state not refreshed', { err }));
  if (failures.size > 0 && !gaveUp) throw failures.values().next().value;
  return outcome;
}

/**
 * Records each entry that still failed on the last delivery as failed and given up, with its
 * reason; true when every one is recorded (then the event is acknowledged). An entry another
 * delivery finished meanwhile is left alone.
 */
async function giveUp(deps: WorkerDeps, plan: EventPlan, failures: Map<string, unknown>, outcome: EventOutcome, attempts: number): Promise<boolean> {
  const engagementId = plan.engagementId;
  const reasonFor = (key: string) => `gave up after ${attempts} deliveries: ${reasonOf(failures.get(key))}`;
  try {
    const doc = await deps.ledger.get(engagementId);
    // An entry never registered (the ledger failed before) cannot carry the record: leave it to the dead-letter topic.
    const unregistered = [...failures.keys()].filter((key) => !doc?.artifacts[key] && !doc?.items[key]);
    if (!doc || unregistered.length > 0) throw new Error(`not in the ledger: ${unregistered.join(', ') || engagementId}`);
    for (const key of failures.keys()) {
      const artifact = doc.artifacts[key];
      const item = doc.items[key];
      if (artifact) {
        if (artifact.state === 'linked' || artifact.state === 'failed') continue;
        await deps.ledger.updateArtifact(engagementId, key, { state: 'failed', reason: reasonFor(key), gaveUp: true });
        outcome.artifacts[key] = 'given_up';
      } else if (item && (item.state === 'pending' || item.state === 'writing')) {
        await deps.ledger.updateItem(engagementId, key, { state: 'failed', reason: reasonFor(key), gaveUp: true });
        outcome.items[key] = 'given_up';
      }
    }
  } catch (err) {
    deps.log.error('zoom event: could not record giving up; the message goes to the dead-letter topic', { engagementId, err });
    return false;
  }
  deps.log.error('zoom event: given up after the last delivery, recorded in the ledger for the reconciliation', {
    engagementId,
    attempts,
    entries: [...failures.keys()].map((key) => ({ key, reason: reasonOf(failures.get(key)) })),
  });
  return true;
}
