/**
 * A day of Zoom Contact Center traffic through the local stack, and the figures it leaves
 * behind (read back from the stores, not counted by the sender).
 */
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createFirestore } from '../../shared/google';
import { LEDGER_COLLECTION, ledgerDocSchema } from '../../shared/zoom/ledger';
import { EVENT_KEYS_COLLECTION, eventKeyDocSchema } from '../../functions/zoom-webhook/event-keys';
import type { Stack } from '../../local/stack';
import type { DeliveryReport } from '../../local/mocks/zoom';

export interface DayOptions {
  engagements: number;
  seed: string;
  date: string;
}

export interface DaySummary {
  delivery: DeliveryReport;
  engagements: number;
  eventsReceived: number;
  duplicatesSuppressed: number;
  artifactsStored: number;
  bytesStored: number;
  artifactsFailed: number;
  crm: { records: number; comments: number; attachments: number; dispositions: number };
  ledger: Record<string, number>;
  deadLettered: number;
  redeliveries: number;
  seconds: number;
}

export async function runZoomDay(stack: Stack, options: DayOptions, progress: (line: string) => void): Promise<DaySummary> {
  const started = performance.now();
  const day = stack.zoom.generateDay({ seed: options.seed, date: options.date, engagements: options.engagements, recordingBytes: { min: 256 * 1024, max: 8 * 1024 * 1024 } });
  // Events are re-dated to the last few minutes, as if the day were happening now.
  const base = Date.now() - 5 * 60_000;
  const events = day.flatMap((e) => stack.zoom.eventsFor(e.engagementId)).map((e, i) => ({ ...e, event_ts: base + i * 100 }));
  progress(`${day.length} engagements, ${events.length} webhook events; Zoom misbehaves: duplicates, reordering, delays, 429/5xx, files not ready yet`);

  // What Zoom does on a normal day: a few files are not ready when the event fires, the API
  // rate-limits now and then, and the odd 5xx.
  const someRecordings = day.flatMap((e) => e.recordings).filter((_, i) => i % 7 === 0);
  for (const r of someRecordings) stack.zoom.faults.fileNotReady({ pathIncludes: r.recordingId, times: 1 });
  stack.zoom.faults.failHttp({ pathIncludes: '/v2/files/', status: 429, times: 3, retryAfterSeconds: 0 });
  stack.zoom.faults.failHttp({ pathIncludes: '/v2/files/', status: 503, times: 2 });

  const delivery = await stack.zoom.deliver(events, {
    duplicate: 0.1,
    reorderWindow: 4,
    delay: { probability: 0.05, minMs: 100, maxMs: 800 },
    concurrency: 12,
    seed: options.seed,
    retryDelaysMs: [1000, 3000],
  });
  progress(`webhooks sent: ${delivery.requests} requests, ${delivery.acknowledged}/${delivery.events} events acknowledged; waiting for the worker`);
  await stack.pubsub.drain(120_000);

  const project = stack.env['GCP_PROJECT']!;
  const docs = createFirestoreDocStore(createFirestore(project, '(default)'));
  const keys = (await docs.query(EVENT_KEYS_COLLECTION, { limit: 100_000 })).map((d) => eventKeyDocSchema.parse(d.data));
  const ledgers = (await docs.query(LEDGER_COLLECTION, { limit: 100_000 })).map((d) => ledgerDocSchema.parse(d.data));
  const artifacts = ledgers.flatMap((l) => Object.values(l.artifacts));
  const items = ledgers.flatMap((l) => Object.values(l.items));
  const ledgerStates: Record<string, number> = {};
  for (const l of ledgers) ledgerStates[l.state] = (ledgerStates[l.state] ?? 0) + 1;

  const crmRes = await fetch(`${stack.functions['crm']}/admin/data`, { headers: { authorization: `Bearer ${stack.env['CRM_ADMIN_TOKEN']}` } });
  const crm = (await crmRes.json()) as { records: unknown[]; comments: unknown[]; attachments: unknown[] };
  const stats = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/interaction-worker-trigger'))?.[1];

  return {
    delivery,
    engagements: day.length,
    eventsReceived: keys.length + keys.reduce((n, k) => n + (k.duplicates ?? 0), 0),
    duplicatesSuppressed: keys.reduce((n, k) => n + (k.duplicates ?? 0), 0),
    artifactsStored: artifacts.filter((a) => a.state === 'stored' || a.state === 'linked').length,
    bytesStored: artifacts.reduce((n, a) => n + (a.bytes ?? 0), 0),
    artifactsFailed: artifacts.filter((a) => a.state === 'failed').length + items.filter((i) => i.state === 'failed').length,
    crm: { records: crm.records.length, comments: crm.comments.length, attachments: crm.attachments.length, dispositions: items.filter((i) => i.kind === 'disposition' && i.state === 'written').length },
    ledger: ledgerStates,
    deadLettered: stats?.deadLettered ?? 0,
    redeliveries: stats?.failedAttempts ?? 0,
    seconds: (performance.now() - started) / 1000,
  };
}
