// Composite indexes are needed by queries, and queries live in the code. This census counts
// the document-store queries (`.query(` / `.count(`) in functions/ and shared/ per file and
// compares them with the reviewed list below; terraform/firestore.tf says why none of them
// needs a composite index. A new or changed query fails here until someone has decided
// whether it needs one (firestore_composite_indexes) and updated both places.
//
// Likewise for TTL policies: the files mentioning `expireAt` are reviewed below, and the TTL
// list is exactly the collections they write with it.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Evaluator } from './lib/evaluate';
import { loadConfiguration } from './lib/hcl';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');

/** file => what its queries are (each served by single-field indexes; see terraform/firestore.tf). */
const REVIEWED_QUERIES: Record<string, { count: number; why: string }> = {
  'functions/crm/mock/docstore-crm.ts': {
    count: 3,
    why: 'accounts by one field; open records by accountId == and status == (equality only); pages of a collection',
  },
  'functions/crm/mock/faults.ts': { count: 2, why: 'all faults; operation in [...]' },
  'functions/crm/mock/admin.ts': { count: 1, why: 'dump of a collection' },
  'functions/crm/mock/journal.ts': { count: 1, why: 'keys array-contains (sorted in memory), or orderBy at desc alone' },
  'functions/call-log/call-state.ts': { count: 1, why: 'calls due: dueAt <= now ordered by dueAt (single-field range)' },
  'shared/reconcile/store.ts': { count: 2, why: 'slices by runId ==; count by runId == and state == (equality only)' },
  'shared/trace/trace.ts': {
    count: 11,
    why:
      'equality only, one field each: zoomEventKeys / zoomWebhookRefusals / deadLetters engagementId ==, ledger crmRecordId ==, ' +
      'conversations conversationName ==, reconcileSlices marks.<mark> ==; crmMockJournal keys array-contains',
  },
  'shared/trace/day.ts': {
    count: 6,
    why:
      'one field each: receivedAt / updatedAt / hour / recordedAt >= and < of one day ' +
      '(zoomEventKeys, ledger, reconcileSlices, zoomWebhookRefusals, deadLetters); reconcileReports orderBy startedAt desc limit 1',
  },
  'shared/agent-assist/notification-log.ts': {
    count: 2,
    why: 'room == and publishTimeMs >= ordered (composite index); committedAt >= ordered by it (single-field)',
  },
};

/** file mentioning expireAt => the collection it writes with that field (null: it only reads or forwards it). */
const EXPIRING: Record<string, string | null> = {
  'functions/crm/mock/journal.ts': 'crmMockJournal',
  'functions/crm/mock/admin.ts': null, // shows journal entries
  'functions/ui-connector/conversation-name.ts': 'conversations', // through conversation-store.ts (UI_CONNECTOR_COLLECTION)
  'functions/ui-connector/conversation-store.ts': 'conversations',
  'functions/ui-connector/conversation-events.ts': null, // the event carries the mapping's expiry
  // call-log keeps the registration's expiry inside its state (registration.expireAt): no TTL on call-logs.
  'functions/call-log/call-log.ts': null,
  'functions/call-log/call-state.ts': null,
  'functions/call-log/registration.ts': null,
  'functions/zoom-webhook/event-keys.ts': 'zoomEventKeys',
  'functions/zoom-webhook/refusals.ts': 'zoomWebhookRefusals',
  'functions/interaction-worker/dead-letters.ts': 'deadLetters',
  'shared/agent-assist/notification-log.ts': 'agentAssistEvents',
  'shared/trace/sources.ts': null, // reads registrations' expiry
  'shared/trace/trace.ts': null, // shows a registration's expiry
};

/** Adapters and ports implement the store; they do not query on their own. */
const NOT_CALL_SITES = [/^shared\/adapters\//, /^shared\/ports\//];

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    return e.name.endsWith('.ts') ? [path] : [];
  });
}

function sourceFiles(): string[] {
  return ['functions', 'shared']
    .flatMap((d) => tsFiles(join(repo, d)))
    .map((p) => relative(repo, p))
    .filter((p) => !NOT_CALL_SITES.some((re) => re.test(p)))
    .sort();
}

describe('Firestore queries and indexes', () => {
  it('every document-store query call site is in the reviewed list (new ones: decide on a composite index in terraform/firestore.tf)', () => {
    const found: Record<string, number> = {};
    for (const file of sourceFiles()) {
      const n = [...readFileSync(join(repo, file), 'utf8').matchAll(/\b\w+\.(query|count)\(/g)].length;
      if (n > 0) found[file] = n;
    }
    expect(found).toEqual(Object.fromEntries(Object.entries(REVIEWED_QUERIES).map(([f, q]) => [f, q.count])));
  });

  it('declares only the composite index the notification log needs (room, publishTimeMs)', async () => {
    const ev = new Evaluator(await loadConfiguration(join(repo, 'terraform')));
    expect(ev.root.local('firestore_composite_indexes')).toEqual([
      {
        collection: 'agentAssistEvents',
        fields: [
          { field_path: 'room', order: 'ASCENDING' },
          { field_path: 'publishTimeMs', order: 'ASCENDING' },
        ],
      },
    ]);
  });

  it('has a TTL policy on expireAt for the collections the code writes with one (files mentioning expireAt are reviewed)', async () => {
    const ev = new Evaluator(await loadConfiguration(join(repo, 'terraform')));
    const mentioning = sourceFiles().filter((file) => /\bexpireAt\b/.test(readFileSync(join(repo, file), 'utf8')));
    expect(mentioning).toEqual(Object.keys(EXPIRING).sort());
    expect(ev.root.local('firestore_ttl_field')).toBe('expireAt');
    const collections = [...new Set(Object.values(EXPIRING).filter((c): c is string => c !== null))].sort();
    expect([...(ev.root.local('firestore_ttl_collections') as string[])].sort()).toEqual(collections);
  });
});
