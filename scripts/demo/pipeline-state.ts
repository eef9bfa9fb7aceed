/**
 * What a run of Zoom traffic through the local stack left behind, read back from the
 * stores themselves (not counted by the sender): the webhook's event keys, the worker's
 * ledger, the CRM mock's data (its Firestore collections, whole: the admin API shows at most
 * 1 000 of each), and the worker subscription's delivery counts. `npm run demo` prints a
 * summary of it; `npm run chaos` checks it.
 */
import * as z from 'zod';
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createFirestore } from '../../shared/google';
import type { DocStore } from '../../shared/ports/docstore';
import { LEDGER_COLLECTION, type LedgerDoc, ledgerDocSchema } from '../../shared/zoom/ledger';
import { EVENT_KEYS_COLLECTION, eventKeyDocSchema } from '../../functions/zoom-webhook/event-keys';
import { MOCK_COLLECTIONS } from '../../functions/crm/mock/docstore-crm';
import type { Env } from '../../shared/config';
import type { SubscriptionStats } from '../../local/pubsub';

const crmRecordSchema = z.looseObject({ id: z.string(), sessionId: z.string(), disposition: z.string().nullish() });
const crmCommentSchema = z.looseObject({
  id: z.string(),
  recordId: z.string(),
  body: z.string(),
  idempotencyKey: z.string().nullish(),
  createdAt: z.date().optional(),
});
const crmAttachmentSchema = z.looseObject({
  id: z.string(),
  recordId: z.string(),
  fileName: z.string(),
  url: z.string().nullish(),
  idempotencyKey: z.string().nullish(),
});
export type CrmRecordDoc = z.output<typeof crmRecordSchema>;
export type CrmCommentDoc = z.output<typeof crmCommentSchema>;
export type CrmAttachmentDoc = z.output<typeof crmAttachmentSchema>;

export type EventKeyDoc = z.output<typeof eventKeyDocSchema>;

export interface PipelineState {
  eventKeys: EventKeyDoc[];
  ledgers: LedgerDoc[];
  crm: { records: CrmRecordDoc[]; comments: CrmCommentDoc[]; attachments: CrmAttachmentDoc[] };
}

/** Enough for any local run: the stand-in answers a query of this size in one go. */
const ALL = 1_000_000;

/** The stack's Firestore through the real client (the stand-in, wherever it runs). */
export function stackDocStore(env: Env): DocStore {
  return createFirestoreDocStore(createFirestore(env['GCP_PROJECT'] ?? 'ccbridge-local', env['FIRESTORE_DATABASE'] ?? '(default)'));
}

export async function readPipelineState(docs: DocStore): Promise<PipelineState> {
  const all = async <S extends z.ZodType>(collection: string, schema: S): Promise<Array<z.output<S>>> =>
    (await docs.query(collection, { limit: ALL })).map((d) => schema.parse(d.data));
  const [eventKeys, ledgers, records, comments, attachments] = await Promise.all([
    all(EVENT_KEYS_COLLECTION, eventKeyDocSchema),
    all(LEDGER_COLLECTION, ledgerDocSchema),
    all(MOCK_COLLECTIONS.records, crmRecordSchema),
    all(MOCK_COLLECTIONS.comments, crmCommentSchema),
    all(MOCK_COLLECTIONS.attachments, crmAttachmentSchema),
  ]);
  return { eventKeys, ledgers, crm: { records, comments, attachments } };
}

/** Delivery counts of the subscription whose name ends with `/<name>`. */
export function subscriptionStats(stats: Record<string, SubscriptionStats>, name: string): SubscriptionStats | undefined {
  return Object.entries(stats).find(([full]) => full.endsWith(`/${name}`))?.[1];
}

export interface PipelineSummary {
  eventsReceived: number;
  duplicatesSuppressed: number;
  artifactsStored: number;
  bytesStored: number;
  /** Artifacts and items the ledger records as failed for good. */
  failed: number;
  crm: { records: number; comments: number; attachments: number; dispositions: number };
  ledger: Record<string, number>;
  deadLettered: number;
  redeliveries: number;
}

export function summarizePipeline(state: PipelineState, worker: SubscriptionStats | undefined): PipelineSummary {
  const artifacts = state.ledgers.flatMap((l) => Object.values(l.artifacts));
  const items = state.ledgers.flatMap((l) => Object.values(l.items));
  const ledger: Record<string, number> = {};
  for (const l of state.ledgers) ledger[l.state] = (ledger[l.state] ?? 0) + 1;
  const duplicatesSuppressed = state.eventKeys.reduce((n, k) => n + (k.duplicates ?? 0), 0);
  return {
    eventsReceived: state.eventKeys.length + duplicatesSuppressed,
    duplicatesSuppressed,
    artifactsStored: artifacts.filter((a) => a.state === 'stored' || a.state === 'linked').length,
    bytesStored: artifacts.reduce((n, a) => n + (a.bytes ?? 0), 0),
    failed: artifacts.filter((a) => a.state === 'failed').length + items.filter((i) => i.state === 'failed').length,
    crm: {
      records: state.crm.records.length,
      comments: state.crm.comments.length,
      attachments: state.crm.attachments.length,
      dispositions: items.filter((i) => i.kind === 'disposition' && i.state === 'written').length,
    },
    ledger,
    deadLettered: worker?.deadLettered ?? 0,
    redeliveries: worker?.failedAttempts ?? 0,
  };
}
