/**
 * Fixtures for the reconciliation tests: the core over in-memory Firestore and Pub/Sub
 * against the real Zoom mock (HTTP, OAuth, paging, rate limits), lanes run in-process; and
 * the interaction worker over in-memory ports to play what webhooks delivered (and then
 * what the reconciliation queued), so "stored exactly once" is checked end to end.
 */
import { createMemoryBlobStore, type MemoryBlobStore } from './doubles/memory-blobstore';
import { createMemoryDocStore, type MemoryDocStore } from './doubles/memory-docstore';
import { createMemoryEventBus, type MemoryEventBus } from './doubles/memory-eventbus';
import { Secret } from '../../shared/config';
import { createMemoryCrm, type MemoryCrm } from './doubles/memory-crm';
import { createLogger } from '../../shared/logging';
import type { ReconcileDeps, ReconcileSettings } from '../../shared/reconcile/deps';
import { createReconcileStore } from '../../shared/reconcile/store';
import { createReconcileZoom } from '../../shared/reconcile/zoom-clients';
import { createLaneLimits } from '../../shared/reconcile/lane-limits';
import { composeInteractionWorkerDelivery, type PushDelivery } from '../../functions/interaction-worker/compose';
import { planEvent } from '../../functions/interaction-worker/plan';
import { zoomEnvelopeSchema } from '../../shared/zoom/events';
import { LEDGER_COLLECTION } from '../../shared/zoom/ledger';
import type { DocData, DocStore } from '../../shared/ports/docstore';
import type { ZoomEnvelope, ZoomMock } from '../../local/mocks/zoom';
import { pubSubPush, queuedEvent, workerEnv, ZOOM_CREDENTIALS } from './zoom-fixture';

export const TEST_SETTINGS: ReconcileSettings = {
  accountId: ZOOM_CREDENTIALS.accountId,
  eventsTopic: 'zoom-events',
  rates: { light: 400, medium: 400, heavy: 100 },
  lanes: 3,
  targetPagesPerSlice: 1,
  planChunkHours: 24,
  staleMs: 3_600_000,
  retryFailedArtifacts: true,
  leaseMs: 30_000,
  laneBudgetMs: 60_000,
  tokenMaxAgeMs: 840_000,
  maxRestarts: 5,
  publishConcurrency: 16,
};

export type BaseDeps = Omit<ReconcileDeps, 'dispatch'>;

export interface CoreUnderTest {
  deps: BaseDeps;
  docs: MemoryDocStore;
  bus: MemoryEventBus;
  logs: string[];
}

export function reconcileCore(
  zoom: ZoomMock,
  options: {
    docs?: MemoryDocStore;
    bus?: MemoryEventBus;
    settings?: Partial<ReconcileSettings>;
    signal?: AbortSignal;
    onProgress?: ReconcileDeps['onProgress'];
    retryBaseMs?: number;
    /** The reconciliation's clock (leases, heartbeats, page-token ages); default the process's. */
    now?: () => number;
  } = {},
): CoreUnderTest {
  const docs = options.docs ?? createMemoryDocStore();
  const bus = options.bus ?? createMemoryEventBus();
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const deps: BaseDeps = {
    store: createReconcileStore(docs),
    docs,
    bus,
    zoom: createReconcileZoom({
      apiBaseUrl: `${zoom.baseUrl}/v2`,
      tokenUrl: `${zoom.baseUrl}/oauth/token`,
      accountId: ZOOM_CREDENTIALS.accountId,
      clientId: ZOOM_CREDENTIALS.clientId,
      clientSecret: new Secret(ZOOM_CREDENTIALS.clientSecret),
      retry: { limit: 8, baseDelayMs: options.retryBaseMs ?? 20, maxDelayMs: 400 },
    }),
    limits: createLaneLimits(),
    settings: { ...TEST_SETTINGS, ...options.settings },
    log,
    now: options.now ?? Date.now,
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  };
  return { deps, docs, bus, logs };
}

export interface WorkerUnderTest {
  docs: MemoryDocStore;
  blobs: MemoryBlobStore;
  crm: MemoryCrm;
  worker: PushDelivery;
  /** Hands envelopes to the worker as the webhook would have queued them (a few at a time). */
  deliver(envelopes: ZoomEnvelope[], source?: 'webhook' | 'reconcile'): Promise<void>;
  /** Hands the worker what the reconciliation published (the data of the bus messages). */
  process(published: Array<{ data: unknown }>): Promise<void>;
}

/**
 * The distinct ledger entries (by type) the worker records for `envelopes`, leaving out those
 * `except` records too: an entry can come from several events (a voicemail announced by the
 * inbox event and again with its transcript; a disposition set twice), and the report counts
 * entries, not events.
 */
export function countByType(envelopes: ZoomEnvelope[], except: ZoomEnvelope[] = []): Record<string, number> {
  const entriesOf = (list: ZoomEnvelope[]) => {
    const out = new Map<string, string>();
    for (const envelope of list) {
      const plan = planEvent({ v: 1, key: 'count', source: 'webhook', receivedAt: new Date().toISOString(), envelope: zoomEnvelopeSchema.parse(envelope) });
      if (!plan) continue;
      for (const a of plan.artifacts) out.set(`${plan.engagementId}|a|${a.key}`, a.kind);
      for (const i of plan.items) out.set(`${plan.engagementId}|i|${i.key}`, i.kind);
    }
    return out;
  };
  const left = entriesOf(except);
  const out: Record<string, number> = {};
  for (const [id, type] of entriesOf(envelopes)) if (!left.has(id)) out[type] = (out[type] ?? 0) + 1;
  return out;
}

export function workerOver(zoom: ZoomMock, docs: MemoryDocStore): WorkerUnderTest {
  const blobs = createMemoryBlobStore('archive');
  const crm = createMemoryCrm();
  const worker = composeInteractionWorkerDelivery(workerEnv(zoom.baseUrl, { ZOOM_ITEM_ORDER_WAIT_MS: '200' }), { docs, blobs, crm }, { log: () => undefined });
  const inParallel = async <T>(items: T[], run: (item: T) => Promise<void>) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < items.length) await run(items[next++]!);
      }),
    );
  };
  return {
    docs,
    blobs,
    crm,
    worker,
    async process(published) {
      await inParallel(published, (m) => worker(pubSubPush(m.data)));
    },
    async deliver(envelopes, source = 'webhook') {
      // Engagement by engagement, in event order (as Zoom sends them), several engagements at once.
      const byEngagement = new Map<string, ZoomEnvelope[]>();
      for (const e of envelopes) {
        const id = String((e.payload as { object?: { engagement_id?: unknown } }).object?.engagement_id ?? '');
        byEngagement.set(id, [...(byEngagement.get(id) ?? []), e]);
      }
      await inParallel([...byEngagement.values()], async (group) => {
        for (const envelope of group.sort((a, b) => a.event_ts - b.event_ts)) await worker(pubSubPush(queuedEvent(envelope, source)));
      });
    },
  };
}

/**
 * Writes the ledger the worker would have left after processing `envelopes` (artifacts
 * linked, items written), using the worker's own planning — fast, for tests about the
 * reconciliation rather than the worker.
 */
export async function seedLedger(docs: DocStore, envelopes: ZoomEnvelope[], state: { artifact?: string; item?: string; updatedAt?: Date } = {}): Promise<void> {
  const byEngagement = new Map<string, DocData>();
  for (const envelope of envelopes) {
    const plan = planEvent({ v: 1, key: 'seed', source: 'webhook', receivedAt: new Date().toISOString(), envelope: zoomEnvelopeSchema.parse(envelope) });
    if (!plan) continue;
    const doc = byEngagement.get(plan.engagementId) ?? { engagementId: plan.engagementId, state: 'complete', artifacts: {}, items: {} };
    const updatedAt = state.updatedAt ?? new Date();
    for (const a of plan.artifacts)
      (doc['artifacts'] as DocData)[a.key] = { kind: a.kind, state: state.artifact ?? 'linked', path: `zoom/${plan.engagementId}/${a.key}`, updatedAt };
    for (const i of plan.items) (doc['items'] as DocData)[i.key] = { kind: i.kind, state: state.item ?? 'written', eventTs: i.eventTs, updatedAt };
    byEngagement.set(plan.engagementId, doc);
  }
  for (const [id, doc] of byEngagement) await docs.set(LEDGER_COLLECTION, id, doc);
}
