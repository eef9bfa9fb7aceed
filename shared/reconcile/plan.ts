/**
 * Planning a run: how much each listing holds decides how it is sliced. One probe per
 * listing and planning chunk (the first page, which carries total_records) gives the page
 * count; the chunk is then cut into equal time ranges of about `targetPagesPerSlice` pages.
 * A listing with nothing in a chunk gets no slice at all, so an empty day costs four calls.
 * Slices are numbered largest first: lanes claim them in that order, which keeps the tail
 * of the run (one lane still busy, the others done) short.
 */
import { isAppError } from '../errors';
import type { ZoomApiClient } from '../zoom/api-client';
import type { ZoomRateLimiter } from '../zoom/rate-limiter';
import type { ReconcileDeps } from './deps';
import { listSourcePage, PAGE_SIZES, SOURCES, type SourceName } from './sources';
import type { SlicePlan } from './store';
import { type ReconcileWindow, splitRange } from './window';

export interface RunPlan {
  slices: SlicePlan[];
  probes: number;
  /** Zoom request attempts the probes took (retries included), and how many were answered 429. */
  requests: number;
  rateLimited: number;
}

/** Pages assumed for a chunk whose listing reports no total: hourly slices. */
const UNKNOWN_TOTAL_SLICES_PER_HOUR = 1;

export async function planRun(deps: ReconcileDeps, runId: string, window: ReconcileWindow): Promise<RunPlan> {
  const { settings } = deps;
  // The coordinator plans alone, before any lane starts: it may use the whole rate.
  const limiter = deps.limits.join(runId, -1, settings.rates, 1);
  const zoom = deps.zoom(limiter);
  try {
    return await probeAll(deps, window, zoom, limiter);
  } finally {
    deps.limits.leave(runId, -1);
  }
}

async function probeAll(deps: ReconcileDeps, window: ReconcileWindow, zoom: ZoomApiClient, limiter: ZoomRateLimiter): Promise<RunPlan> {
  const { settings } = deps;
  const fromMs = Date.parse(window.from);
  const toMs = Date.parse(window.to);
  const chunkMs = settings.planChunkHours * 3_600_000;
  const chunks = splitRange(fromMs, toMs, Math.ceil((toMs - fromMs + 1000) / chunkMs));

  const jobs = chunks.flatMap((chunk) => SOURCES.map((source) => ({ chunk, source })));
  const planned: Array<SlicePlan & { order: number }> = [];
  let next = 0;
  const probeOne = async (chunk: ReconcileWindow, source: SourceName, order: number) => {
    let page: Awaited<ReturnType<typeof listSourcePage>>;
    try {
      page = await listSourcePage(zoom, source, { from: chunk.from, to: chunk.to }, settings.accountId);
    } catch (err) {
      // A listing Zoom refuses for good (missing scope, an endpoint this account lacks) must not
      // stop the others: it gets one slice, which fails with the reason and shows in the report.
      // Anything retryable fails the planning (the run request answers 5xx; Scheduler retries).
      if (!isAppError(err) || err.retryable) throw err;
      deps.log.warn('reconcile plan: listing refused, planned as one slice to report it', { source, from: chunk.from, to: chunk.to, err });
      planned.push({ source, from: chunk.from, to: chunk.to, estimatedPages: 1, order: order * 10_000 });
      return;
    }
    const total = page.totalRecords ?? (page.nextPageToken ? undefined : page.listed);
    if (total === 0) return;
    const chunkFrom = Date.parse(chunk.from);
    const chunkTo = Date.parse(chunk.to);
    const pages = total === undefined ? undefined : Math.ceil(total / PAGE_SIZES[source]);
    const parts =
      pages === undefined
        ? Math.max(1, Math.ceil(((chunkTo - chunkFrom) / 3_600_000) * UNKNOWN_TOTAL_SLICES_PER_HOUR))
        : Math.max(1, Math.ceil(pages / settings.targetPagesPerSlice));
    splitRange(chunkFrom, chunkTo, parts).forEach((range, i) => {
      planned.push({
        source,
        from: range.from,
        to: range.to,
        estimatedPages: pages === undefined ? settings.targetPagesPerSlice : Math.ceil(pages / parts),
        order: order * 10_000 + i,
      });
    });
  };
  // Four probes in flight at most: they queue at the limiter anyway.
  await Promise.all(
    Array.from({ length: Math.min(4, jobs.length) }, async () => {
      while (next < jobs.length) {
        const i = next++;
        const job = jobs[i]!;
        await probeOne(job.chunk, job.source, i);
      }
    }),
  );
  const slices = planned.sort((a, b) => b.estimatedPages - a.estimatedPages || a.order - b.order).map(({ order: _order, ...slice }) => slice);
  const { admitted, pauses } = limiter.counts;
  return { slices, probes: jobs.length, requests: admitted.light + admitted.medium + admitted.heavy, rateLimited: pauses.light + pauses.medium + pauses.heavy };
}
