/**
 * Comparing what Zoom lists with the ledger: one batched read of the ledger documents of a
 * page's engagements (no API call per engagement), then a verdict per entry.
 */
import type { DocStore } from '../ports/docstore';
import { LEDGER_COLLECTION, type LedgerDoc, ledgerDocSchema } from '../zoom/ledger';
import type { ExpectedEntry } from './expected';

/**
 * present: done, or being worked on (touched within the stale window);
 * backfill: absent from the ledger, stuck (untouched longer than the stale window), an
 *   artifact that failed for good, or an item the worker gave up on when its deliveries ran
 *   out (queued again with source "reconcile", which the worker retries);
 * failed: cannot be backfilled (nothing to queue) or an item the CRM refused for good
 *   (the worker does not rewrite those: they need a person).
 */
export type Verdict = { kind: 'present' } | { kind: 'backfill'; why: 'missing' | 'stale' | 'retry_failed' } | { kind: 'failed'; reason: string };

export interface CompareOptions {
  now: number;
  /** An entry pending (or stored, writing) untouched this long is re-queued. */
  staleMs: number;
  /** Re-queue artifacts the worker marked failed, and items it gave up on (the worker retries them for source "reconcile"). */
  retryFailedArtifacts: boolean;
}

/** undefined: no ledger document; null: a document that does not parse (treated as absent, and logged). */
export type LedgerLookup = Map<string, LedgerDoc | null>;

const GETALL_CHUNK = 100;

export async function readLedgers(docs: DocStore, engagementIds: Iterable<string>): Promise<LedgerLookup> {
  const ids = [...new Set(engagementIds)];
  const out: LedgerLookup = new Map();
  for (let i = 0; i < ids.length; i += GETALL_CHUNK) {
    const chunk = ids.slice(i, i + GETALL_CHUNK);
    const raw = await docs.getAll(LEDGER_COLLECTION, chunk);
    chunk.forEach((id, k) => {
      const value = raw[k];
      if (value === undefined) return;
      const parsed = ledgerDocSchema.safeParse(value);
      out.set(id, parsed.success ? parsed.data : null);
    });
  }
  return out;
}

function ageMs(updatedAt: Date | undefined, now: number): number {
  return updatedAt ? now - updatedAt.getTime() : Number.POSITIVE_INFINITY;
}

export function judge(entry: ExpectedEntry, ledger: LedgerDoc | null | undefined, options: CompareOptions): Verdict {
  if (!entry.envelope) return { kind: 'failed', reason: entry.problem ?? 'not enough in the listing to queue it' };
  if (!ledger) return { kind: 'backfill', why: 'missing' };
  if (entry.section === 'artifacts') {
    const a = ledger.artifacts[entry.key];
    if (!a) return { kind: 'backfill', why: 'missing' };
    switch (a.state) {
      case 'linked':
        return { kind: 'present' };
      case 'failed':
        return options.retryFailedArtifacts ? { kind: 'backfill', why: 'retry_failed' } : { kind: 'failed', reason: a.reason ?? 'failed in the worker' };
      default:
        return ageMs(a.updatedAt ?? ledger.updatedAt, options.now) > options.staleMs ? { kind: 'backfill', why: 'stale' } : { kind: 'present' };
    }
  }
  const item = ledger.items[entry.key];
  if (!item) return { kind: 'backfill', why: 'missing' };
  switch (item.state) {
    case 'written':
    case 'superseded':
      return { kind: 'present' };
    case 'failed':
      if (item.gaveUp && options.retryFailedArtifacts) return { kind: 'backfill', why: 'retry_failed' };
      return { kind: 'failed', reason: item.reason ?? 'failed in the CRM' };
    default:
      return ageMs(item.updatedAt ?? ledger.updatedAt, options.now) > options.staleMs ? { kind: 'backfill', why: 'stale' } : { kind: 'present' };
  }
}
