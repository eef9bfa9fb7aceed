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
import type { Logger } from '../logging';
import type { ZoomApiClient } from '../zoom/api-client';
import { ZoomPageTokenExpiredError } from '../zoom/errors';
import { queuedEventAttributes, type QueuedZoomEvent, queuedZoomEventSchema } from '../zoom/queued-event';
import type { ZoomRateLimiter } from '../zoom/rate-limiter';
import { judge, readLedgers } from './compare';
import type { ReconcileDeps } from './deps';
import type { ExpectedEntry } from './expected';
import { emptyTally, type Tally } from './report';
import { type ListedPage, listSourcePage } from './sources';
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

type Fetched = { ok: true; page: ListedPage; asked: number } | { ok: false; err: unknown };

export async function processSlice(deps: ReconcileDeps, run: RunDoc, index: number, ctx: SliceContext): Promise<SliceOutcome> {
  const { store, settings } = deps;
  const slice = await store.getSlice(run.runId, index);
  if (!slice) throw new Error(`reconcile: slice ${index} of ${run.runId} does not exist`);
  if (slice.state === 'done' || slice.state === 'failed') return slice.state;
  const log = deps.log.child({ runId: run.runId, slice: index, source: slice.source, lane: ctx.lane });

  const marks = new Set(Object.keys(slice.marks));
  let { pass, pages, pageToken, tokenAt, listCalls, restarts } = slice;
  let counts: Tally = slice.counts;
  // Requests and 429s of this slice: what it had, plus what this lane's limiter counts from here.
  const base = attempts(ctx.limiter);
  const usage = () => {
    const now = attempts(ctx.limiter);
    return { requests: slice.requests + now.requests - base.requests, rateLimited: slice.rateLimited + now.pauses - base.pauses };
  };

  const restart = async (why: string) => {
    restarts++;
    pass++;
    pages = 0;
    counts = emptyTally();
    pageToken = undefined;
    tokenAt = undefined;
    log.notice('reconcile slice: listing restarted from the slice start', { why, pass, restarts });
    await store.updateSlice(run.runId, index, { pass, pages, counts, pageToken: null, tokenAt: null, restarts, ...usage() });
  };
  const fail = async (reason: string): Promise<SliceOutcome> => {
    log.warn('reconcile slice: given up', { reason });
    await store.updateSlice(run.runId, index, { state: 'failed', reason, listCalls, restarts, ...usage() });
    deps.onProgress?.({ kind: 'slice', runId: run.runId, slice: index, state: 'failed', reason });
    return 'failed';
  };
  // The next page is asked for while the current one is compared and queued, so the lane
  // keeps a request waiting at the limiter (page tokens chain: one in flight per slice).
  const fetchPage = (token: string | undefined): Promise<Fetched> => {
    const asked = deps.now();
    return listSourcePage(ctx.zoom, slice.source, { from: slice.from, to: slice.to, ...(token ? { nextPageToken: token } : {}) }, settings.accountId).then(
      (page): Fetched => ({ ok: true, page, asked }),
      (err: unknown): Fetched => ({ ok: false, err }),
    );
  };

  if (slice.state === 'pending') await store.updateSlice(run.runId, index, { state: 'running' });
  if (pageToken !== undefined && (tokenAt === undefined || deps.now() - tokenAt > settings.tokenMaxAgeMs)) await restart('page token too old to try');

  deps.signal?.throwIfAborted();
  let inflight = fetchPage(pageToken);
  for (;;) {
    const fetched = await inflight;
    if (!fetched.ok) {
      const { err } = fetched;
      if (err instanceof ZoomPageTokenExpiredError) {
        if (restarts >= settings.maxRestarts) return fail(`next_page_token refused ${restarts + 1} times`);
        await restart('Zoom refused the page token');
        deps.signal?.throwIfAborted();
        inflight = fetchPage(undefined);
        continue;
      }
      if (isPermanent(err)) return fail(err instanceof Error ? err.message : String(err));
      // Retryable (a 429 storm outlasting the retries, 5xx, network): the lane fails and is redelivered.
      await store.updateSlice(run.runId, index, usage()).catch(() => undefined);
      throw err;
    }
    const { page, asked } = fetched;
    listCalls++;
    const more = page.nextPageToken !== undefined;
    // Stop asking (not mid-page) once the budget is spent or the run is being stopped.
    const goOn = more && !deps.signal?.aborted && deps.now() < ctx.deadline;
    if (goOn) inflight = fetchPage(page.nextPageToken);

    const pageTally = await comparePage(deps, run, page.entries, marks, log);
    for (const t of Object.keys(pageTally.tally) as Array<keyof Tally>) {
      counts[t].seen += pageTally.tally[t].seen;
      counts[t].present += pageTally.tally[t].present;
      counts[t].backfilled += pageTally.tally[t].backfilled;
      counts[t].failed += pageTally.tally[t].failed;
    }
    pages++;
    pageToken = page.nextPageToken;
    tokenAt = pageToken ? asked : undefined;
    await store.updateSlice(run.runId, index, {
      state: more ? 'running' : 'done',
      pass,
      pages,
      counts,
      pageToken: pageToken ?? null,
      tokenAt: tokenAt ?? null,
      listCalls,
      restarts,
      ...usage(),
      ...Object.fromEntries(pageTally.newMarks.map((m) => [`marks.${m}`, true])),
    });
    deps.onProgress?.({ kind: 'page', runId: run.runId, slice: index, source: slice.source, listed: page.listed, tally: pageTally.tally });
    if (!more) {
      log.debug('reconcile slice: done', { pages, pass });
      deps.onProgress?.({ kind: 'slice', runId: run.runId, slice: index, state: 'done' });
      return 'done';
    }
    if (!goOn) {
      deps.signal?.throwIfAborted();
      return 'yielded';
    }
    await ctx.between();
  }
}

/** One page against the ledger: counts, and the marks of the entries queued (none in a dry run). */
async function comparePage(
  deps: ReconcileDeps,
  run: RunDoc,
  entries: ExpectedEntry[],
  marks: Set<string>,
  log: Logger,
): Promise<{ tally: Tally; newMarks: string[] }> {
  const ledgers = await readLedgers(
    deps.docs,
    entries.map((e) => e.engagementId).filter((id): id is string => id !== undefined),
  );
  const tally = emptyTally();
  const toQueue: Array<{ entry: ExpectedEntry; mark: string }> = [];
  const now = deps.now();
  for (const entry of entries) {
    tally[entry.type].seen++;
    const mark = markOf(entry.id);
    if (marks.has(mark)) {
      tally[entry.type].backfilled++;
      continue;
    }
    const verdict = judge(entry, entry.engagementId === undefined ? undefined : ledgers.get(entry.engagementId), {
      now,
      staleMs: deps.settings.staleMs,
      retryFailedArtifacts: deps.settings.retryFailedArtifacts,
    });
    if (verdict.kind === 'present') tally[entry.type].present++;
    else if (verdict.kind === 'failed') {
      tally[entry.type].failed++;
      log.info('reconcile entry: cannot be backfilled', { engagementId: entry.engagementId, entry: entry.key, reason: verdict.reason });
    } else {
      tally[entry.type].backfilled++;
      toQueue.push({ entry, mark });
    }
  }
  const newMarks = run.dryRun ? [] : await queueAll(deps, toQueue);
  for (const m of newMarks) marks.add(m);
  return { tally, newMarks };
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
      const envelope = entry.envelope?.();
      const message: QueuedZoomEvent = queuedZoomEventSchema.parse({
        v: 1,
        key: `reconcile|${envelope?.event}|${entry.id}`,
        source: 'reconcile',
        receivedAt,
        envelope,
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
