/**
 * One slice: page through its listing, compare each page with the ledger, queue what is
 * missing, and checkpoint after every page — next_page_token and when Zoom issued it, pages
 * done, counts, and marks of the entries queued — in one document update, so a crash at any
 * point resumes at the page it was on.
 *
 * A token older than the configured age (Zoom's expire after 15 minutes) is not tried, and
 * one Zoom refuses is a restart: the listing begins again at the slice's start, as a new pass
 * with fresh counts. The marks survive passes, so an entry queued in an earlier pass is
 * counted as backfilled (not present, not queued again) whatever the ledger says by then.
 */
import { createHash } from 'node:crypto';
import { isAppError } from '../errors';
import type { ZoomApiClient } from '../zoom/api-client';
import { ZoomPageTokenExpiredError } from '../zoom/errors';
import { queuedEventAttributes, type QueuedZoomEvent, queuedZoomEventSchema } from '../zoom/queued-event';
import type { ZoomRateLimiter } from '../zoom/rate-limiter';
import { judge, readLedgers } from './compare';
import type { ReconcileDeps } from './deps';
import type { ExpectedEntry } from './expected';
import { emptyTally, type Tally } from './report';
import { listSourcePage } from './sources';
import type { RunDoc } from './store';

export interface SliceContext {
  lane: number;
  zoom: ZoomApiClient;
  limiter: ZoomRateLimiter;
  /** Stop after the page that passes this time (ms), leaving a checkpoint. */
  deadline: number;
  /** Called between pages: lets the lane adjust its share of the rate. */
  between(): Promise<void>;
}

export type SliceOutcome = 'done' | 'failed' | 'yielded';

/** A short, stable mark of an entry (a field name in the slice document). */
export function markOf(entryId: string): string {
  return createHash('sha256').update(entryId).digest('hex').slice(0, 16);
}

function attempts(limiter: ZoomRateLimiter): { requests: number; pauses: number } {
  const { admitted, pauses } = limiter.counts;
  return { requests: admitted.light + admitted.medium + admitted.heavy, pauses: pauses.light + pauses.medium + pauses.heavy };
}

/** 4xx other than 401/429: asking again will not help (a bad range, a missing scope). */
function isPermanent(err: unknown): boolean {
  return isAppError(err) && !err.retryable;
}

export async function processSlice(deps: ReconcileDeps, run: RunDoc, index: number, ctx: SliceContext): Promise<SliceOutcome> {
  const { store, settings } = deps;
  const slice = await store.getSlice(run.runId, index);
  if (!slice) throw new Error(`reconcile: slice ${index} of ${run.runId} does not exist`);
  if (slice.state === 'done' || slice.state === 'failed') return slice.state;
  const log = deps.log.child({ runId: run.runId, slice: index, source: slice.source, lane: ctx.lane });

  const marks = new Set(Object.keys(slice.marks));
  let { pass, pages, pageToken, tokenAt, listCalls, requests, rateLimited, restarts } = slice;
  let counts: Tally = slice.counts;

  const restart = async (why: string) => {
    restarts++;
    pass++;
    pages = 0;
    counts = emptyTally();
    pageToken = undefined;
    tokenAt = undefined;
    log.notice('reconcile slice: listing restarted from the slice start', { why, pass, restarts });
    await store.updateSlice(run.runId, index, { pass, pages, counts, pageToken: null, tokenAt: null, restarts });
  };
  const fail = async (reason: string): Promise<SliceOutcome> => {
    log.warn('reconcile slice: given up', { reason });
    await store.updateSlice(run.runId, index, { state: 'failed', reason, listCalls, requests, rateLimited, restarts });
    deps.onProgress?.({ kind: 'slice', runId: run.runId, slice: index, state: 'failed', reason });
    return 'failed';
  };

  if (slice.state === 'pending') await store.updateSlice(run.runId, index, { state: 'running' });
  if (pageToken !== undefined && (tokenAt === undefined || deps.now() - tokenAt > settings.tokenMaxAgeMs)) await restart('page token too old to try');

  for (;;) {
    deps.signal?.throwIfAborted();
    const before = attempts(ctx.limiter);
    const asked = deps.now();
    let page: Awaited<ReturnType<typeof listSourcePage>>;
    try {
      page = await listSourcePage(ctx.zoom, slice.source, { from: slice.from, to: slice.to, ...(pageToken ? { nextPageToken: pageToken } : {}) }, settings.accountId);
    } catch (err) {
      const after = attempts(ctx.limiter);
      requests += after.requests - before.requests;
      rateLimited += after.pauses - before.pauses;
      if (err instanceof ZoomPageTokenExpiredError) {
        if (restarts >= settings.maxRestarts) return fail(`next_page_token refused ${restarts + 1} times`);
        await restart('Zoom refused the page token');
        continue;
      }
      if (isPermanent(err)) return fail(err instanceof Error ? err.message : String(err));
      // Retryable (429 storm outlasting the retries, 5xx, network): the lane fails and is redelivered.
      await store.updateSlice(run.runId, index, { requests, rateLimited }).catch(() => undefined);
      throw err;
    }
    const after = attempts(ctx.limiter);
    requests += after.requests - before.requests;
    rateLimited += after.pauses - before.pauses;
    listCalls++;

    const ledgers = await readLedgers(
      deps.docs,
      page.entries.map((e) => e.engagementId).filter((id): id is string => id !== undefined),
    );
    const pageTally = emptyTally();
    const toQueue: Array<{ entry: ExpectedEntry; mark: string }> = [];
    const now = deps.now();
    for (const entry of page.entries) {
      pageTally[entry.type].seen++;
      const mark = markOf(entry.id);
      if (marks.has(mark)) {
        pageTally[entry.type].backfilled++;
        continue;
      }
      const verdict = judge(entry, entry.engagementId === undefined ? undefined : ledgers.get(entry.engagementId), {
        now,
        staleMs: settings.staleMs,
        retryFailedArtifacts: settings.retryFailedArtifacts,
      });
      if (verdict.kind === 'present') pageTally[entry.type].present++;
      else if (verdict.kind === 'failed') {
        pageTally[entry.type].failed++;
        log.info('reconcile entry: cannot be backfilled', { engagementId: entry.engagementId, entry: entry.key, reason: verdict.reason });
      } else {
        pageTally[entry.type].backfilled++;
        toQueue.push({ entry, mark });
      }
    }
    const newMarks = run.dryRun ? [] : await queueAll(deps, toQueue);
    for (const m of newMarks) marks.add(m);
    for (const t of Object.keys(pageTally) as Array<keyof Tally>) {
      counts[t].seen += pageTally[t].seen;
      counts[t].present += pageTally[t].present;
      counts[t].backfilled += pageTally[t].backfilled;
      counts[t].failed += pageTally[t].failed;
    }
    pages++;
    pageToken = page.nextPageToken;
    tokenAt = pageToken ? asked : undefined;
    const done = pageToken === undefined;
    await store.updateSlice(run.runId, index, {
      state: done ? 'done' : 'running',
      pass,
      pages,
      counts,
      pageToken: pageToken ?? null,
      tokenAt: tokenAt ?? null,
      listCalls,
      requests,
      rateLimited,
      restarts,
      ...Object.fromEntries(newMarks.map((m) => [`marks.${m}`, true])),
    });
    deps.onProgress?.({ kind: 'page', runId: run.runId, slice: index, source: slice.source, listed: page.listed, tally: pageTally });
    if (done) {
      log.debug('reconcile slice: done', { pages, pass });
      deps.onProgress?.({ kind: 'slice', runId: run.runId, slice: index, state: 'done' });
      return 'done';
    }
    await ctx.between();
    if (deps.now() >= ctx.deadline) return 'yielded';
  }
}

/**
 * Queues entries as the webhook would have (same message shape on the same topic), with
 * source "reconcile"; returns the marks of those Pub/Sub accepted. A failure is thrown once
 * the others were tried: the page is then read again, and only the unqueued go again.
 */
async function queueAll(deps: ReconcileDeps, entries: Array<{ entry: ExpectedEntry; mark: string }>): Promise<string[]> {
  const queued: string[] = [];
  let failure: unknown;
  let next = 0;
  const receivedAt = new Date(deps.now()).toISOString();
  const worker = async () => {
    while (next < entries.length) {
      const { entry, mark } = entries[next++]!;
      const message: QueuedZoomEvent = queuedZoomEventSchema.parse({
        v: 1,
        key: `reconcile|${entry.envelope?.event}|${entry.id}`,
        source: 'reconcile',
        receivedAt,
        envelope: entry.envelope,
      });
      try {
        await deps.bus.publish(deps.settings.eventsTopic, { data: message, attributes: queuedEventAttributes(message, entry.engagementId) });
        queued.push(mark);
      } catch (err) {
        failure ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.settings.publishConcurrency, entries.length) }, worker));
  if (failure !== undefined) {
    // Keep what was queued: the caller checkpoints nothing on a throw, so say so in the log.
    deps.log.warn('reconcile: publishing to the events topic failed; the page will be read again', { queued: queued.length, of: entries.length, err: failure });
    throw failure;
  }
  return queued;
}
