/**
 * The reconciliation's verdict per ledger entry (shared/reconcile/compare.ts), table-driven:
 * done or recently touched is present; absent, stuck, failed artifacts and items the worker
 * gave up on are queued again; items the CRM refused stay failed (a person must look).
 */
import { type CompareOptions, judge, type Verdict } from '../../shared/reconcile/compare';
import type { ExpectedEntry } from '../../shared/reconcile/expected';
import type { LedgerDoc } from '../../shared/zoom/ledger';

const NOW = Date.parse('2026-11-22T02:00:00Z');
const options: CompareOptions = { now: NOW, staleMs: 60 * 60_000, retryFailedArtifacts: true };
const recent = new Date(NOW - 5 * 60_000);
const old = new Date(NOW - 3 * 3600_000);

const entry = (section: 'artifacts' | 'items', key: string): ExpectedEntry => ({
  type: section === 'artifacts' ? 'recording' : 'note',
  engagementId: 'e-1',
  section,
  key,
  id: key,
  envelope: () => ({ event: 'x', payload: { account_id: 'a', object: {} } }),
});

const ledger = (artifact: Record<string, unknown> | undefined, item: Record<string, unknown> | undefined): LedgerDoc =>
  ({
    engagementId: 'e-1',
    state: 'open',
    artifacts: artifact ? { 'recording-r1': { kind: 'recording', path: 'p', ...artifact } } : {},
    items: item ? { 'note-n1': { kind: 'note', eventTs: 1, ...item } } : {},
  }) as LedgerDoc;

const cases: Array<[string, ExpectedEntry, LedgerDoc | undefined, CompareOptions, Verdict['kind'], string?]> = [
  ['no ledger', entry('artifacts', 'recording-r1'), undefined, options, 'backfill', 'missing'],
  ['artifact linked', entry('artifacts', 'recording-r1'), ledger({ state: 'linked', updatedAt: old }, undefined), options, 'present'],
  ['artifact pending, touched recently', entry('artifacts', 'recording-r1'), ledger({ state: 'pending', updatedAt: recent }, undefined), options, 'present'],
  ['artifact pending, stuck', entry('artifacts', 'recording-r1'), ledger({ state: 'pending', updatedAt: old }, undefined), options, 'backfill', 'stale'],
  ['artifact failed', entry('artifacts', 'recording-r1'), ledger({ state: 'failed', updatedAt: recent }, undefined), options, 'backfill', 'retry_failed'],
  [
    'artifact failed, retries off',
    entry('artifacts', 'recording-r1'),
    ledger({ state: 'failed' }, undefined),
    { ...options, retryFailedArtifacts: false },
    'failed',
  ],
  ['item written', entry('items', 'note-n1'), ledger(undefined, { state: 'written' }), options, 'present'],
  ['item writing, touched recently', entry('items', 'note-n1'), ledger(undefined, { state: 'writing', updatedAt: recent }), options, 'present'],
  ['item pending, stuck', entry('items', 'note-n1'), ledger(undefined, { state: 'pending', updatedAt: old }), options, 'backfill', 'stale'],
  ['item the CRM refused', entry('items', 'note-n1'), ledger(undefined, { state: 'failed', reason: 'crm: HTTP 400' }), options, 'failed'],
  // Found by npm run chaos: a given-up item was dead-lettered as "pending, touched recently".
  [
    'item given up on its last delivery, just now',
    entry('items', 'note-n1'),
    ledger(undefined, { state: 'failed', gaveUp: true, updatedAt: recent }),
    options,
    'backfill',
    'retry_failed',
  ],
  [
    'item given up, retries off',
    entry('items', 'note-n1'),
    ledger(undefined, { state: 'failed', gaveUp: true }),
    { ...options, retryFailedArtifacts: false },
    'failed',
  ],
];

describe('reconcile: verdict per ledger entry', () => {
  for (const [name, e, doc, opts, kind, why] of cases) {
    it(name, () => {
      const verdict = judge(e, doc, opts);
      expect(verdict.kind).toBe(kind);
      if (why) expect(verdict).toMatchObject({ why });
    });
  }
});
