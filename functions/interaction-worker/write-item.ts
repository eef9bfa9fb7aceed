/**
 * Notes and dispositions: each distinct one is written to the CRM once (a note as a
 * comment, a disposition as the record's call result), in event order.
 *
 * Pub/Sub does not keep order and Zoom itself delivers out of order, so order is made
 * here, with the ledger as the only shared state (no transactions needed):
 *  1. the item is registered (pending) and waits until `settleMs` after the webhook
 *     received it, so neighbours delivered close together are all registered;
 *  2. it waits until no earlier item of the engagement is pending or being written;
 *  3. it claims itself (writing), then looks again: if an earlier item appeared meanwhile
 *     it steps back (pending) and waits again. Claim-then-check on one side and
 *     register-then-check on the other means two items can never both miss each other.
 *  4. a disposition that finds a later disposition claimed or applied is `superseded`
 *     (it must not overwrite a newer call result); otherwise the item is written.
 * An item arriving after a later one was written cannot be put before it: a late note is
 * still written (its comment carries its own time), a late disposition is superseded.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import type { LedgerDoc, LedgerItem } from '../../shared/zoom/ledger';
import type { QueuedZoomEvent } from '../../shared/zoom/queued-event';
import { holdingClaim } from './claims';
import { ensureCrmRecord } from './crm-record';
import type { WorkerDeps } from './deps';
import { isRetryable, reasonOf } from './failures';
import type { EventPlan, PlannedItem } from './plan';

/** `already_failed`: the CRM refused it on an earlier delivery (a person must look); not tried again. */
export type ItemOutcome = 'written' | 'already_done' | 'already_failed' | 'superseded' | 'failed';

export async function writeItem(deps: WorkerDeps, plan: EventPlan, item: PlannedItem, source: QueuedZoomEvent['source'] = 'webhook'): Promise<ItemOutcome> {
  const engagementId = plan.engagementId;
  const log = deps.log.child({ engagementId, item: item.key });
  let entry = await deps.ledger.registerItem(engagementId, item.key, {
    kind: item.kind,
    eventTs: item.eventTs,
    ...(item.kind === 'disposition' ? { value: item.value } : {}),
  });
  // An item given up on (its deliveries ran out, the CRM never refused it) is tried again
  // when the reconciliation queues it; one the CRM refused stays failed (a person must look).
  if (entry.state === 'failed' && entry.gaveUp && source === 'reconcile') {
    await deps.ledger.updateItem(engagementId, item.key, { state: 'pending', reason: 'queued again by the reconciliation' });
    entry = { ...entry, state: 'pending' };
    log.notice('zoom item: given up earlier, tried again for the reconciliation');
  }
  // 'writing' here means an earlier delivery died mid-write: resume it (writes are idempotent).
  if (entry.state !== 'pending' && entry.state !== 'writing') {
    log.info('zoom item: repeat ignored', { state: entry.state });
    return entry.state === 'failed' ? 'already_failed' : 'already_done';
  }

  const age = deps.now() - plan.receivedAtMs;
  if (age < deps.settings.itemSettleMs) await deps.sleep(Math.min(deps.settings.itemSettleMs - age, deps.settings.itemSettleMs));
  const claimed = await claimInOrder(deps, engagementId, item.key, entry);
  if (!claimed) return 'already_done';
  const { doc, owner } = claimed;

  try {
    if (item.kind === 'disposition') {
      const newer = laterDisposition(deps, doc, item.key, entry);
      if (newer !== undefined) {
        await deps.ledger.updateItem(engagementId, item.key, { state: 'superseded', reason: `a later disposition (event_ts ${newer}) is the call result` });
        log.notice('zoom item: late disposition superseded');
        return 'superseded';
      }
    }
    // The CRM write, under a claim kept fresh while it runs (the lease then only lapses for a dead writer).
    const renew = () => deps.ledger.renewClaim(engagementId, item.key, { owner, now: deps.now() });
    await holdingClaim(deps, renew, { engagementId, item: item.key }, async () => {
      const recordId = await ensureCrmRecord(deps, doc);
      if (item.kind === 'note') {
        await deps.crm.addComment(recordId, {
          body: item.body,
          ...(item.author ? { author: item.author } : {}),
          idempotencyKey: `zoom:${engagementId}:${item.key}`,
        });
      } else {
        // The record already showing this value means an earlier attempt wrote it before a crash.
        const current = await deps.crm.findRecord({ id: recordId });
        if (current?.disposition !== item.value) await deps.crm.updateRecord(recordId, { disposition: item.value });
        // The entry's time, not this event's: every event of one key (a disposition set twice) is the same item.
        await deps.ledger.setFields(engagementId, { dispositionTs: entry.eventTs });
      }
    });
    await deps.ledger.updateItem(engagementId, item.key, { state: 'written', reason: '' });
    log.info(`zoom item: ${item.kind} written`);
    return 'written';
  } catch (err) {
    if (isRetryable(err)) {
      // Step back so later items are not held up by a claim nobody is working on.
      await deps.ledger.updateItem(engagementId, item.key, { state: 'pending', reason: `retrying: crm: ${reasonOf(err)}` }).catch(() => undefined);
      throw err;
    }
    const reason = `crm: ${reasonOf(err)}`;
    await deps.ledger.updateItem(engagementId, item.key, { state: 'failed', reason, gaveUp: false });
    log.warn('zoom item: permanent failure recorded', { reason });
    return 'failed';
  }
}

const inFlight = (i: LedgerItem) => i.state === 'pending' || i.state === 'writing';

function isEarlier(a: { key: string; item: LedgerItem }, b: { key: string; item: LedgerItem }): boolean {
  return a.item.eventTs < b.item.eventTs || (a.item.eventTs === b.item.eventTs && a.key < b.key);
}

function earlierInFlight(deps: WorkerDeps, doc: LedgerDoc, key: string, entry: LedgerItem): number {
  const now = deps.now();
  return Object.entries(doc.items).filter(
    ([k, other]) =>
      k !== key &&
      inFlight(other) &&
      isEarlier({ key: k, item: other }, { key, item: entry }) &&
      // An earlier item nobody has touched for long may be dead-lettered: do not wait for it.
      (other.updatedAt === undefined || now - other.updatedAt.getTime() < deps.settings.itemOrderStaleMs),
  ).length;
}

/** event_ts of a later disposition that is claimed or applied, if any. */
function laterDisposition(deps: WorkerDeps, doc: LedgerDoc, key: string, entry: LedgerItem): number | undefined {
  if (doc.dispositionTs !== undefined && doc.dispositionTs > entry.eventTs) return doc.dispositionTs;
  const now = deps.now();
  const later = Object.entries(doc.items).filter(
    ([k, other]) =>
      k !== key &&
      other.kind === 'disposition' &&
      (other.state === 'written' ||
        (other.state === 'writing' && (other.updatedAt === undefined || now - other.updatedAt.getTime() < deps.settings.itemOrderStaleMs))) &&
      isEarlier({ key, item: entry }, { key: k, item: other }),
  );
  return later.length > 0 ? Math.max(...later.map(([, o]) => o.eventTs)) : undefined;
}

/** Waits for earlier items, claims this one, and re-checks; undefined if it is no longer to be written. */
async function claimInOrder(deps: WorkerDeps, engagementId: string, key: string, entry: LedgerItem): Promise<{ doc: LedgerDoc; owner: string } | undefined> {
  const deadline = deps.now() + deps.settings.itemOrderWaitMs;
  const owner = randomUUID();
  const pollMs = Math.max(20, Math.min(250, Math.floor(deps.settings.itemOrderWaitMs / 8)));
  const read = async () => {
    const doc = await deps.ledger.get(engagementId);
    if (!doc) throw new Error(`ledger of ${engagementId} vanished`);
    return doc;
  };
  for (;;) {
    let doc = await read();
    const own = doc.items[key];
    if (!own || !inFlight(own)) return undefined;
    let blocking = earlierInFlight(deps, doc, key, entry);
    if (blocking === 0) {
      // Conditioned on the ledger's version: of two deliveries only one owns the item.
      const claim = await deps.ledger.claimItem(engagementId, key, {
        owner,
        staleMs: Math.min(deps.settings.itemOrderStaleMs, deps.settings.itemClaimLeaseMs),
        now: deps.now(),
      });
      if (claim === 'gone') return undefined;
      if (claim === 'taken') {
        // Another delivery (a duplicate webhook, a redelivery) is writing it: wait for its outcome, then retry later.
        if (deps.now() >= deadline) throw new AppError('unavailable', 503, 'another delivery is writing this item; retry later', { retryable: true });
        await deps.sleep(pollMs);
        continue;
      }
      doc = await read();
      blocking = earlierInFlight(deps, doc, key, entry);
      if (blocking === 0) return { doc, owner };
      await deps.ledger.updateItem(engagementId, key, { state: 'pending' });
    }
    if (deps.now() >= deadline) {
      throw new AppError('unavailable', 503, `waiting for ${blocking} earlier note(s)/disposition(s) of the engagement`, { retryable: true });
    }
    await deps.sleep(pollMs);
  }
}
