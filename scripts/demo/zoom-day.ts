/**
 * A day of Zoom Contact Center traffic through the local stack, and the figures it leaves
 * behind (read back from the stores, not counted by the sender).
 */
import { readPipelineState, stackDocStore, subscriptionStats, summarizePipeline } from './pipeline-state';
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
  const day = stack.zoom.generateDay({
    seed: options.seed,
    date: options.date,
    engagements: options.engagements,
    recordingBytes: { min: 256 * 1024, max: 8 * 1024 * 1024 },
  });
  // Events are re-dated to the last few minutes, as if the day were happening now.
  const base = Date.now() - 5 * 60_000;
  const events = day.flatMap((e) => stack.zoom.eventsFor(e.engagementId)).map((e, i) => ({ ...e, event_ts: base + i * 100 }));
  progress(`${day.length} engagements, ${events.length} webhook events; Zoom misbehaves: duplicates, reordering, delays, 429/5xx, files not ready yet`);

  // What Zoom does on a normal day: a few files are not ready when the event fires, the API
  // rate-limits now and then, and the odd 5xx.
  const someRecordings = day.flatMap((e) => e.recordings).filter((_, i) => i % 7 === 0);
  for (const r of someRecordings) stack.zoom.faults.fileNotReady({ pathIncludes: r.recordingId, times: 1 });
  stack.zoom.faults.failHttp({ pathIncludes: '/download/', status: 429, times: 3, retryAfterSeconds: 0 });
  stack.zoom.faults.failHttp({ pathIncludes: '/download/', status: 503, times: 2 });

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

  const summary = summarizePipeline(await readPipelineState(stackDocStore(stack.env)), subscriptionStats(stack.pubsub.stats(), 'interaction-worker-push'));
  return {
    delivery,
    engagements: day.length,
    eventsReceived: summary.eventsReceived,
    duplicatesSuppressed: summary.duplicatesSuppressed,
    artifactsStored: summary.artifactsStored,
    bytesStored: summary.bytesStored,
    artifactsFailed: summary.failed,
    crm: summary.crm,
    ledger: summary.ledger,
    deadLettered: summary.deadLettered,
    redeliveries: summary.redeliveries,
    seconds: (performance.now() - started) / 1000,
  };
}
