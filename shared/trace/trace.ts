/**
 * One interaction's timeline, put together from what the bundle already stores: the
 * webhook's event keys, the worker's ledger, the archive's objects, the reconciliation's
 * slices (which entries a run queued again), conversation registrations (found by key hash)
 * and the crm mock's journal. Read-only; every document is parsed leniently (sources.ts).
 */
import type * as z from 'zod';
import type { BlobStore } from '../ports/blobstore';
import type { DocData, DocStore } from '../ports/docstore';
import { type CountryCode, looksLikePhone } from '../phone';
import { markOf } from '../reconcile/process-slice';
import { COLLECTIONS as RECONCILE_COLLECTIONS, sliceDocSchema } from '../reconcile/store';
import { type LedgerDoc, ledgerDocSchema } from '../zoom/ledger';
import {
  type ConversationView,
  conversationKeyHash,
  conversationViewSchema,
  type DeadLetterView,
  deadLetterViewSchema,
  eventKeyViewSchema,
  journalViewSchema,
  refusalEntryViewSchema,
  TRACE_COLLECTIONS,
} from './sources';

export type TimelineKind =
  | 'webhook'
  | 'refused'
  | 'pubsub'
  | 'dead_letter'
  | 'ledger'
  | 'artifact'
  | 'object'
  | 'item'
  | 'crm'
  | 'reconcile'
  | 'registration'
  | 'unreadable';

export interface TimelineEntry {
  /** ISO time; undefined when the store keeps no time for it (sorted last). */
  at: string | undefined;
  kind: TimelineKind;
  summary: string;
  outcome?: 'ok' | 'duplicate' | 'pending' | 'failed' | 'retry' | undefined;
  detail?: Record<string, unknown> | undefined;
}

export type Verdict =
  | { status: 'complete'; line: string }
  | { status: 'in_progress'; line: string; waitingFor: string[] }
  | { status: 'failed'; line: string; failures: Array<{ what: string; reason: string; nightlyRetries: boolean; action: string }> }
  | { status: 'unknown'; line: string };

export interface Trace {
  identifier: { kind: 'engagement' | 'crm_record' | 'conversation_key' | 'conversation_name' | 'unknown'; shown: string };
  engagementIds: string[];
  crmRecordIds: string[];
  entries: TimelineEntry[];
  verdict: Verdict;
}

export interface TraceDeps {
  docs: DocStore;
  blobs: BlobStore;
  /** The ui-connector's key-hash secret and default country, to find registrations by hash. */
  conversations?: { collection: string; hashKey: Buffer | string; defaultCountry: CountryCode } | undefined;
  /** Whether the nightly run queues given-up (failed after the last delivery) artifacts again (RECONCILE setting). */
  retryFailedArtifacts: boolean;
}

const iso = (d: Date | undefined): string | undefined => (d && !Number.isNaN(d.getTime()) ? d.toISOString() : undefined);

function unreadable(where: string, issues: z.core.$ZodIssue[]): TimelineEntry {
  return {
    at: undefined,
    kind: 'unreadable',
    summary: `${where}: stored document does not parse (${issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')})`,
    outcome: 'failed',
  };
}

/** What may be shown of the identifier: a phone number or conversation key only by its last two characters. */
function shown(raw: string, kind: Trace['identifier']['kind']): string {
  return kind === 'conversation_key' || looksLikePhone(raw) ? `…${raw.trim().slice(-2)} (hashed)` : raw;
}

export async function traceInteraction(deps: TraceDeps, rawId: string): Promise<Trace> {
  const id = rawId.trim();
  const entries: TimelineEntry[] = [];
  const engagementIds = new Set<string>();
  const crmRecordIds = new Set<string>();
  let kind: Trace['identifier']['kind'] = 'unknown';

  // 1. Resolve: engagement id, CRM record id, conversation key (phone, CallSid, any key), conversation name.
  const ledgerRaw = await deps.docs.get(TRACE_COLLECTIONS.ledger, id);
  if (ledgerRaw) {
    kind = 'engagement';
    engagementIds.add(id);
  } else if (
    (await deps.docs.count(TRACE_COLLECTIONS.eventKeys, { where: [['engagementId', '==', id]] })) > 0 ||
    // Every delivery refused (a wrong webhook secret, say), or its message dead-lettered: still this engagement.
    (await deps.docs.count(TRACE_COLLECTIONS.refusals, { where: [['engagementId', '==', id]] })) > 0 ||
    (await deps.docs.count(TRACE_COLLECTIONS.deadLetters, { where: [['engagementId', '==', id]] })) > 0
  ) {
    kind = 'engagement';
    engagementIds.add(id);
  }
  if (kind === 'unknown') {
    const byRecord = await deps.docs.query(TRACE_COLLECTIONS.ledger, { where: [['crmRecordId', '==', id]], limit: 20 });
    if (byRecord.length > 0) {
      kind = 'crm_record';
      crmRecordIds.add(id);
      for (const d of byRecord) engagementIds.add(d.id);
    }
  }
  const registrations: Array<{ id: string; data: DocData }> = [];
  if (deps.conversations) {
    const { hash } = conversationKeyHash(id, deps.conversations);
    const doc = await deps.docs.get(deps.conversations.collection, hash);
    if (doc) {
      if (kind === 'unknown') kind = 'conversation_key';
      registrations.push({ id: hash, data: doc });
    }
    if (registrations.length === 0) {
      const byName = await deps.docs.query(deps.conversations.collection, { where: [['conversationName', '==', id]], limit: 20 });
      if (byName.length > 0 && kind === 'unknown') kind = 'conversation_name';
      registrations.push(...byName);
    }
  }
  if (kind === 'unknown') {
    const journal = await deps.docs.count(TRACE_COLLECTIONS.crmJournal, { where: [['keys', 'array-contains', `record:${id}`]] });
    if (journal > 0) {
      kind = 'crm_record';
      crmRecordIds.add(id);
    }
  }

  for (const r of registrations) {
    const p = conversationViewSchema.safeParse(r.data);
    if (!p.success) {
      entries.push(unreadable(`conversation registration ${r.id.slice(0, 8)}…`, p.error.issues));
      continue;
    }
    entries.push(registrationEntry(r.id, p.data));
  }

  // 2. Per engagement: webhook deliveries, Pub/Sub hand-off, ledger, objects, reconciliation.
  const ledgers: LedgerDoc[] = [];
  const deadLetters: DeadLetterView[] = [];
  for (const eid of engagementIds) {
    entries.push(...(await refusalEntries(deps.docs, eid)));
    for (const d of await deps.docs.query(TRACE_COLLECTIONS.deadLetters, { where: [['engagementId', '==', eid]], limit: 50 })) {
      const p = deadLetterViewSchema.safeParse(d.data);
      if (!p.success) {
        entries.push(unreadable(`dead letter ${d.id}`, p.error.issues));
        continue;
      }
      deadLetters.push(p.data);
      entries.push(deadLetterEntry(p.data));
    }
    for (const d of await deps.docs.query(TRACE_COLLECTIONS.eventKeys, { where: [['engagementId', '==', eid]], limit: 200 })) {
      const p = eventKeyViewSchema.safeParse(d.data);
      if (!p.success) {
        entries.push(unreadable(`webhook key ${d.id}`, p.error.issues));
        continue;
      }
      const k = p.data;
      entries.push({
        at: iso(k.receivedAt),
        kind: 'webhook',
        summary: `webhook ${k.event} received${k.duplicates ? `; ${k.duplicates} duplicate deliveries suppressed` : ''}`,
        outcome: 'ok',
        detail: { key: k.key, duplicates: k.duplicates ?? 0 },
      });
      entries.push(
        k.published
          ? {
              at: iso(k.publishedAt),
              kind: 'pubsub',
              summary: `published to Pub/Sub (message ${k.messageId ?? '?'})`,
              outcome: 'ok',
              detail: { messageId: k.messageId },
            }
          : {
              at: iso(k.receivedAt),
              kind: 'pubsub',
              summary: `${k.event} recorded but not yet published (the next delivery or the reconciliation republishes it)`,
              outcome: 'pending',
            },
      );
    }
    const raw = eid === id && ledgerRaw ? ledgerRaw : await deps.docs.get(TRACE_COLLECTIONS.ledger, eid);
    if (!raw) continue;
    const p = ledgerDocSchema.safeParse(raw);
    if (!p.success) {
      entries.push(unreadable(`ledger ${eid}`, p.error.issues));
      continue;
    }
    const ledger = p.data;
    ledgers.push(ledger);
    if (ledger.crmRecordId) crmRecordIds.add(ledger.crmRecordId);
    entries.push({
      at: iso(ledger.createdAt),
      kind: 'ledger',
      summary: `worker opened the ledger of engagement ${eid} (now ${ledger.state})`,
      outcome: 'ok',
      detail: { crmRecordId: ledger.crmRecordId, queueId: ledger.queueId, channel: ledger.channel },
    });
    for (const [key, a] of Object.entries(ledger.artifacts)) {
      entries.push({
        at: iso(a.updatedAt),
        kind: 'artifact',
        summary: `${a.kind} ${a.state}${a.reason ? `: ${a.reason}` : ''}${a.attempts ? ` (${a.attempts} attempts)` : ''}`,
        outcome: a.state === 'failed' ? 'failed' : a.state === 'linked' ? 'ok' : 'pending',
        detail: { key, path: a.path, gaveUp: a.gaveUp ?? false },
      });
      if (a.state === 'stored' || a.state === 'linked') {
        const info = await deps.blobs.stat(a.path);
        entries.push(
          info
            ? {
                at: iso(a.updatedAt),
                kind: 'object',
                summary: `object gs://${deps.blobs.bucket}/${info.path} (${info.size} bytes, generation ${info.generation})`,
                outcome: 'ok',
                detail: {
                  path: info.path,
                  size: info.size,
                  generation: info.generation,
                  crc32c: info.crc32c,
                  md5Hash: info.md5Hash,
                  link: `gs://${deps.blobs.bucket}/${info.path}`,
                  ledgerCrc32c: a.crc32c,
                },
              }
            : {
                at: iso(a.updatedAt),
                kind: 'object',
                summary: `object ${a.path} is in the ledger as ${a.state} but absent from the archive`,
                outcome: 'failed',
                detail: { path: a.path },
              },
        );
      }
    }
    for (const [key, it] of Object.entries(ledger.items)) {
      entries.push({
        at: iso(it.updatedAt),
        kind: 'item',
        summary: `CRM ${it.kind}${it.value ? ` "${it.value}"` : ''} ${it.state}${it.reason ? `: ${it.reason}` : ''}`,
        outcome:
          it.state === 'failed'
            ? 'failed'
            : it.state === 'written' || it.state === 'superseded'
              ? 'ok'
              : it.reason?.startsWith('retrying')
                ? 'retry'
                : 'pending',
        detail: { key, gaveUp: it.gaveUp ?? false },
      });
    }
    entries.push(...(await reconcileEntries(deps.docs, ledger)));
  }

  // 3. CRM requests the mock journaled for the record(s).
  for (const rid of crmRecordIds) {
    for (const d of await deps.docs.query(TRACE_COLLECTIONS.crmJournal, { where: [['keys', 'array-contains', `record:${rid}`]], limit: 200 })) {
      const p = journalViewSchema.safeParse(d.data);
      if (!p.success) {
        entries.push(unreadable(`crm journal ${d.id}`, p.error.issues));
        continue;
      }
      const j = p.data;
      const ok = j.status < 400;
      entries.push({
        at: iso(j.at),
        kind: 'crm',
        summary: `CRM ${j.operation}: ${j.method} ${j.path} → ${j.status}${j.fault ? ` (fault injected: ${j.fault})` : ''}`,
        outcome: ok ? 'ok' : 'failed',
        detail: { record: rid, operation: j.operation, status: j.status, fault: j.fault ?? undefined },
      });
    }
  }

  entries.sort((a, b) => (a.at ?? '\uffff').localeCompare(b.at ?? '\uffff'));
  return {
    identifier: { kind, shown: shown(id, kind) },
    engagementIds: [...engagementIds],
    crmRecordIds: [...crmRecordIds],
    entries,
    verdict: verdictOf(ledgers, entries, deadLetters, engagementIds.size + registrations.length > 0, deps.retryFailedArtifacts),
  };
}

/** What to do about a dead-lettered message (also the day view's advice). */
export const DEAD_LETTER_ACTION =
  'every delivery failed and the last one could not record why (its instance died, or Firestore failed): ' +
  'read the worker logs for this message id; ' +
  "the nightly reconciliation queues the engagement's still-pending entries again once they are stale (RECONCILE_STALE_MINUTES); " +
  'to retry at once, republish the message from the zoom-events-dead-letter-inspect subscription to zoom-events';

function deadLetterEntry(d: DeadLetterView): TimelineEntry {
  return {
    at: iso(d.recordedAt),
    kind: 'dead_letter',
    summary:
      `message ${d.messageId}${d.event ? ` (${d.event})` : ''} dead-lettered after ${d.deliveryAttempts ?? '?'} delivery attempts; ` +
      `to do: ${DEAD_LETTER_ACTION}`,
    outcome: 'failed',
    detail: {
      messageId: d.messageId,
      deliveryAttempts: d.deliveryAttempts,
      sourceSubscription: d.sourceSubscription,
      firstPublishedAt: d.sourcePublishTime,
      key: d.key,
    },
  };
}

const REFUSAL_WHY: Record<string, string> = {
  bad_signature: 'missing or wrong signature (check the webhook secret token)',
  stale: 'timestamp outside the accepted window',
  replay: 'an exact replay of a delivery already taken',
  bad_body: 'body is not a Zoom event',
  too_large: 'body too large',
  bad_encoding: 'unsupported Content-Encoding or charset',
  unavailable: 'the event could not be made durable (Zoom retries)',
};

/** Refused deliveries kept in detail for this engagement (as the request claimed it: unverified unless its signature was checked). */
async function refusalEntries(docs: DocStore, engagementId: string): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  for (const d of await docs.query(TRACE_COLLECTIONS.refusals, { where: [['engagementId', '==', engagementId]], limit: 100 })) {
    const p = refusalEntryViewSchema.safeParse(d.data);
    if (!p.success) {
      out.push(unreadable(`refused delivery ${d.id}`, p.error.issues));
      continue;
    }
    const r = p.data;
    out.push({
      at: iso(r.at),
      kind: 'refused',
      summary:
        `webhook ${r.event ?? 'delivery'} refused with ${r.status}: ${REFUSAL_WHY[r.reason] ?? r.reason}` +
        (r.signatureChecked ? '' : ' (engagement as the unverified request claimed it)'),
      outcome: 'failed',
      detail: { reason: r.reason, status: r.status, message: r.message, signatureChecked: r.signatureChecked ?? false },
    });
  }
  return out;
}

function registrationEntry(hash: string, r: ConversationView): TimelineEntry {
  return {
    at: iso(r.registeredAt),
    kind: 'registration',
    summary: `conversation ${r.conversationName} registered for a ${r.keyKind} key${r.registeredBy ? ` by ${r.registeredBy}` : ''}`,
    outcome: r.expireAt && r.expireAt.getTime() < Date.now() ? 'pending' : 'ok',
    detail: { keyHash: hash, conversationName: r.conversationName, expireAt: iso(r.expireAt) },
  };
}

/** The reconciliation's entry ids (shared/reconcile/expected.ts) of what the ledger holds, as slice marks. */
function candidateMarks(ledger: LedgerDoc): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, a] of Object.entries(ledger.artifacts)) if (a.sourceId) out.set(markOf(`${a.kind}:${a.sourceId}`), `${a.kind} ${key}`);
  for (const [key, it] of Object.entries(ledger.items)) out.set(markOf(`${it.kind}:${ledger.engagementId}:${key}`), `${it.kind} ${key}`);
  return out;
}

async function reconcileEntries(docs: DocStore, ledger: LedgerDoc): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  for (const [mark, what] of candidateMarks(ledger)) {
    for (const d of await docs.query(RECONCILE_COLLECTIONS.slices, { where: [[`marks.${mark}`, '==', true]], limit: 20 })) {
      const p = sliceDocSchema.safeParse(d.data);
      if (!p.success) {
        out.push(unreadable(`reconcile slice ${d.id}`, p.error.issues));
        continue;
      }
      out.push({
        at: iso(p.data.updatedAt),
        kind: 'reconcile',
        summary: `reconciliation run ${p.data.runId} backfilled ${what} (queued it again)`,
        outcome: 'retry',
        detail: { runId: p.data.runId, slice: d.id },
      });
    }
  }
  // A ledger whose engagement no webhook announced was opened by a backfilled message.
  for (const it of Object.values(ledger.items)) {
    if (it.reason === 'queued again by the reconciliation')
      out.push({ at: iso(it.updatedAt), kind: 'reconcile', summary: `${it.kind} queued again by the reconciliation`, outcome: 'retry' });
  }
  return out;
}

function verdictOf(ledgers: LedgerDoc[], entries: TimelineEntry[], deadLetters: DeadLetterView[], known: boolean, retryFailedArtifacts: boolean): Verdict {
  if (!known) return { status: 'unknown', line: 'UNKNOWN: nothing stored matches this identifier (wrong id, or older than the stores keep it)' };
  const failures: Extract<Verdict, { status: 'failed' }>['failures'] = [];
  const waiting: string[] = [];
  for (const l of ledgers) {
    for (const [key, a] of Object.entries(l.artifacts)) {
      if (a.state === 'failed') {
        const nightly = (a.gaveUp ?? false) && retryFailedArtifacts;
        failures.push({
          what: `${a.kind} ${key} of ${l.engagementId}`,
          reason: a.reason ?? 'failed in the worker',
          nightlyRetries: nightly,
          action: nightly
            ? 'nothing yet: the nightly reconciliation queues it again; if it fails again, check the reason and run npm run reconcile for that day'
            : a.gaveUp
              ? 'the nightly run does not retry failed artifacts here: ' +
                'fix the cause, then run npm run reconcile for that day with failed-artifact retry enabled'
              : 'Zoom or the archive refused it for good: ' +
                'fix the cause named in the reason, then run npm run reconcile for that day with failed-artifact retry enabled',
        });
      } else if (a.state !== 'linked') waiting.push(`${a.kind} ${key} to be ${a.state === 'pending' ? 'stored' : 'linked in the CRM'}`);
    }
    for (const [key, it] of Object.entries(l.items)) {
      if (it.state === 'failed') {
        const nightly = it.gaveUp ?? false;
        failures.push({
          what: `CRM ${it.kind} ${key} of ${l.engagementId}`,
          reason: it.reason ?? 'failed',
          nightlyRetries: nightly,
          action: nightly
            ? 'nothing yet: the nightly reconciliation queues it again'
            : 'the CRM refused it for good: correct the record (or the CRM configuration) named in the reason, ' +
              'then write it by hand or re-run npm run reconcile after fixing',
        });
      } else if (it.state === 'pending' || it.state === 'writing') waiting.push(`CRM ${it.kind} ${key} to be written${it.reason ? ` (${it.reason})` : ''}`);
    }
  }
  for (const e of entries) if (e.kind === 'pubsub' && e.outcome === 'pending') waiting.push('a recorded webhook event to be published');
  for (const e of entries)
    if (e.kind === 'unreadable')
      failures.push({ what: 'a stored document', reason: e.summary, nightlyRetries: false, action: 'inspect the document in Firestore' });
  // A dead letter matters while the engagement is unfinished (a later delivery may have done the work).
  if (failures.length + waiting.length > 0 || ledgers.length === 0) {
    for (const d of deadLetters)
      failures.push({
        what: `message ${d.messageId}${d.event ? ` (${d.event})` : ''}`,
        reason: `dead-lettered after ${d.deliveryAttempts ?? '?'} delivery attempts`,
        nightlyRetries: true,
        action: DEAD_LETTER_ACTION,
      });
  }
  // Nothing taken, only refusals: the webhook never got through.
  const refused = entries.filter((e) => e.kind === 'refused');
  if (ledgers.length === 0 && refused.length > 0 && !entries.some((e) => e.kind === 'webhook')) {
    failures.push({
      what: 'every webhook delivery of this engagement',
      reason: refused[refused.length - 1]!.summary,
      nightlyRetries: true,
      action:
        'fix the cause (for a signature, the Zoom secret token in Secret Manager); ' +
        'Zoom retries for about 85 minutes, after that the nightly reconciliation backfills the day',
    });
  }
  if (failures.length > 0) {
    const f = failures[0]!;
    return {
      status: 'failed',
      line:
        `FAILED: ${f.what}: ${f.reason}; nightly run retries: ${f.nightlyRetries ? 'yes' : 'no'}; to do: ${f.action}` +
        (failures.length > 1 ? ` (+${failures.length - 1} more)` : ''),
      failures,
    };
  }
  if (waiting.length > 0) return { status: 'in_progress', line: `IN PROGRESS: waiting for ${waiting.join('; ')}`, waitingFor: waiting };
  if (ledgers.length === 0)
    return {
      status: 'in_progress',
      line: 'IN PROGRESS: events received, the worker has not opened the ledger yet',
      waitingFor: ['the worker to process the event'],
    };
  return { status: 'complete', line: 'COMPLETE: every artifact stored and linked, every CRM item written' };
}
