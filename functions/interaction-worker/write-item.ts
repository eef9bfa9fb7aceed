/**
 * Notes and dispositions: each distinct one is written to the CRM once (a note as a
 * comment, a disposition as the record's call result), in event order.
 *
 * Pub/Sub does not keep order and Zoom itself delivers out of order, so order is made
 * here: an item is registered in the ledger, waits until it is `settleMs` old (so
 * neighbours delivered close together are all registered), then waits for every earlier
 * pending item of its engagement to be written, and only then writes. An item arriving
 * after a later one was already written cannot be put before it: a late note is still
 * written (its comment carries its own time), a late disposition is recorded as
 * `superseded` instead of overwriting a newer call result.
 */
import { AppError } from '../../shared/errors';
import type { LedgerDoc, LedgerItem } from '../../shared/zoom/ledger';
import { ensureCrmRecord } from './crm-record';
import type { WorkerDeps } from './deps';
import { isRetryable, reasonOf } from './failures';
import type { EventPlan, PlannedItem } from './plan';

export type ItemOutcome = 'written' | 'already_done' | 'superseded' | 'failed';

export async function writeItem(deps: WorkerDeps, plan: EventPlan, item: PlannedItem): Promise<ItemOutcome> {
  const engagementId = plan.engagementId;
  const log = deps.log.child({ engagementId, item: item.key });
  const entry = await deps.ledger.registerItem(engagementId, item.key, {
    kind: item.kind,
    eventTs: item.eventTs,
    ...(item.kind === 'disposition' ? { value: item.value } : {}),
  });
  if (entry.state !== 'pending') {
    log.info('zoom item: repeat ignored', { state: entry.state });
    return 'already_done';
  }

  const age = deps.now() - item.eventTs;
  if (age < deps.settings.itemSettleMs) await deps.sleep(Math.min(deps.settings.itemSettleMs - age, deps.settings.itemSettleMs));
  const doc = await waitForEarlierItems(deps, engagementId, item.key, entry);
  if (doc.items[item.key]?.state !== 'pending') return 'already_done';

  try {
    const recordId = await ensureCrmRecord(deps, doc);
    if (item.kind === 'note') {
      await deps.crm.addComment(recordId, {
        body: item.body,
        ...(item.author ? { author: item.author } : {}),
        idempotencyKey: `zoom:${engagementId}:${item.key}`,
      });
      await deps.ledger.updateItem(engagementId, item.key, { state: 'written' });
      log.info('zoom item: note written');
      return 'written';
    }
    if (doc.dispositionTs !== undefined && doc.dispositionTs > item.eventTs) {
      await deps.ledger.updateItem(engagementId, item.key, { state: 'superseded', reason: `a later disposition (event_ts ${doc.dispositionTs}) is already the call result` });
      log.notice('zoom item: late disposition superseded');
      return 'superseded';
    }
    // The record already showing this value means an earlier attempt wrote it before a crash.
    const current = await deps.crm.findRecord({ id: recordId });
    if (current?.disposition !== item.value) await deps.crm.updateRecord(recordId, { disposition: item.value });
    await deps.ledger.setFields(engagementId, { dispositionTs: item.eventTs });
    await deps.ledger.updateItem(engagementId, item.key, { state: 'written' });
    log.info('zoom item: disposition written');
    return 'written';
  } catch (err) {
    if (isRetryable(err)) throw err;
    const reason = `crm: ${reasonOf(err)}`;
    await deps.ledger.updateItem(engagementId, item.key, { state: 'failed', reason });
    log.warn('zoom item: permanent failure recorded', { reason });
    return 'failed';
  }
}

function isEarlier(a: { key: string; item: LedgerItem }, b: { key: string; item: LedgerItem }): boolean {
  return a.item.eventTs < b.item.eventTs || (a.item.eventTs === b.item.eventTs && a.key < b.key);
}

async function waitForEarlierItems(deps: WorkerDeps, engagementId: string, key: string, entry: LedgerItem): Promise<LedgerDoc> {
  const deadline = deps.now() + deps.settings.itemOrderWaitMs;
  const pollMs = Math.max(20, Math.min(250, Math.floor(deps.settings.itemOrderWaitMs / 8)));
  for (;;) {
    const doc = await deps.ledger.get(engagementId);
    if (!doc) throw new Error(`ledger of ${engagementId} vanished`);
    const now = deps.now();
    const blocking = Object.entries(doc.items).filter(
      ([k, other]) =>
        k !== key &&
        other.state === 'pending' &&
        isEarlier({ key: k, item: other }, { key, item: entry }) &&
        // An earlier item nobody has touched for long may be dead-lettered: do not wait for it.
        (other.updatedAt === undefined || now - other.updatedAt.getTime() < deps.settings.itemOrderStaleMs),
    );
    if (blocking.length === 0) return doc;
    if (now >= deadline) {
      throw new AppError('unavailable', 503, `waiting for ${blocking.length} earlier note(s)/disposition(s) of the engagement`, { retryable: true });
    }
    await deps.sleep(pollMs);
  }
}
