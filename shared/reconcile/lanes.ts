/**
 * Lanes: a run's parallelism. Lane k is a chain of steps, one message on reconcile-slices
 * per step; a step claims slices one after another (largest first, `create()` on a claim
 * document decides who gets which) and processes them until its time budget is spent, then
 * hands the lane on with a new message. So at most `lanes` steps run at once whatever
 * Pub/Sub redelivers, and each paces its Zoom requests at rates / (lanes still working):
 * together they never exceed the configured rates, and when lanes finish early the others
 * speed up to keep the run near the limit.
 *
 * A step killed mid-slice leaves the slice's checkpoint and a heartbeat that goes stale;
 * the redelivered message (or the coordinator's watchdog, with a newer step) resumes it.
 * A duplicate delivery of a step still being worked on answers "busy" (Pub/Sub retries it
 * later, when it is stale and ignored).
 */
import { randomBytes } from 'node:crypto';
import type { LaneMessage, ReconcileDeps } from './deps';
import { processSlice } from './process-slice';
import { finalizeIfDone } from './run';
import type { RunDoc } from './store';

export type LaneOutcome = 'finished' | 'handed_off' | 'stale' | 'busy' | 'ignored';

/** How often a lane re-reads how many lanes are still working, to adjust its share. */
const SHARE_REFRESH_MS = 1000;

function newOwnerId(): string {
  return randomBytes(8).toString('hex');
}

export async function runLaneStep(deps: ReconcileDeps, message: LaneMessage, options: { budgetMs: number; owner?: string }): Promise<LaneOutcome> {
  const { store, settings } = deps;
  const owner = options.owner ?? newOwnerId();
  const log = deps.log.child({ runId: message.runId, lane: message.lane, step: message.step });
  const run = await store.getRun(message.runId);
  if (run?.state !== 'running' || !run.plan) {
    log.info('reconcile lane: run not running, message ignored', { state: run?.state });
    return 'ignored';
  }
  const lane = await store.getLane(run.runId, message.lane);
  if (!lane || lane.state === 'finished') return 'ignored';
  if (message.step < lane.step) {
    log.info('reconcile lane: superseded step ignored', { current: lane.step });
    return 'stale';
  }
  if (lane.owner && lane.owner !== owner && deps.now() - lane.heartbeatAt < settings.leaseMs) {
    log.info('reconcile lane: step already being worked on');
    return 'busy';
  }
  await store.updateLane(run.runId, message.lane, { owner, step: message.step, heartbeatAt: deps.now() });

  const lanes = run.lanes ?? settings.lanes;
  const limiter = deps.limits.join(run.runId, message.lane, run.rates ?? settings.rates, lanes);
  const zoom = deps.zoom(limiter);
  let sharedAt = 0;
  const refreshShare = async () => {
    if (deps.now() - sharedAt < SHARE_REFRESH_MS) return;
    sharedAt = deps.now();
    const docs = await store.lanesOf(run.runId, lanes);
    // A finished lane never starts again, so counting the unfinished can only overestimate.
    deps.limits.setWorking(run.runId, docs.filter((d) => d !== undefined && d.state !== 'finished').length);
  };

  const heartbeat = setInterval(
    () => {
      store
        .updateLane(run.runId, message.lane, { heartbeatAt: deps.now() })
        .catch((err: unknown) => log.warn('reconcile lane: heartbeat not written', { err }));
    },
    Math.max(50, Math.floor(settings.leaseMs / 3)),
  );
  heartbeat.unref?.();
  const deadline = deps.now() + options.budgetMs;
  let finished = false;
  try {
    await refreshShare();
    let current = await currentSlice(deps, run, message.lane, lane.slice);
    for (;;) {
      if (current === undefined) current = await claimNext(deps, run, message.lane);
      if (current === undefined) {
        await store.updateLane(run.runId, message.lane, { state: 'finished', owner: null, slice: null, heartbeatAt: deps.now() });
        log.info('reconcile lane: no slice left, finished');
        finished = true;
        await finalizeIfDone(deps, run.runId);
        return 'finished';
      }
      const outcome = await processSlice(deps, run, current, { lane: message.lane, zoom, limiter, deadline, between: refreshShare });
      if (outcome === 'yielded') {
        const next: LaneMessage = { runId: run.runId, lane: message.lane, step: message.step + 1 };
        // Publish first: if that fails this step is redelivered; a step newer than the lane document is accepted.
        await deps.dispatch(next);
        await store.updateLane(run.runId, message.lane, { step: next.step, owner: null, dispatchedAt: deps.now() });
        log.info('reconcile lane: budget spent, handed on', { slice: current });
        return 'handed_off';
      }
      current = undefined;
      if (deps.now() >= deadline) {
        const next: LaneMessage = { runId: run.runId, lane: message.lane, step: message.step + 1 };
        await deps.dispatch(next);
        await store.updateLane(run.runId, message.lane, { step: next.step, owner: null, slice: null, dispatchedAt: deps.now() });
        return 'handed_off';
      }
    }
  } catch (err) {
    // Give the step up for the redelivery (or the watchdog, once the heartbeat is stale).
    await store.updateLane(run.runId, message.lane, { owner: null }).catch(() => undefined);
    throw err;
  } finally {
    clearInterval(heartbeat);
    deps.limits.leave(run.runId, message.lane, finished);
  }
}

/** The slice the lane was on, if it is still this lane's and unfinished. */
async function currentSlice(deps: ReconcileDeps, run: RunDoc, lane: number, index: number | undefined): Promise<number | undefined> {
  if (index === undefined) return undefined;
  const claimant = await deps.store.claimant(run.runId, index);
  if (claimant === undefined) return (await deps.store.claim(run.runId, index, lane)) ? index : undefined;
  if (claimant !== lane) return undefined;
  const slice = await deps.store.getSlice(run.runId, index);
  return slice && slice.state !== 'done' && slice.state !== 'failed' ? index : undefined;
}

/**
 * Takes the next unclaimed slice. The lane writes which slice it is about to claim before
 * claiming it, so a crash in between cannot orphan a claimed slice.
 */
async function claimNext(deps: ReconcileDeps, run: RunDoc, lane: number): Promise<number | undefined> {
  const total = run.plan?.length ?? 0;
  const doc = await deps.store.getLane(run.runId, lane);
  for (let i = doc?.claimHint ?? 0; i < total; i++) {
    await deps.store.updateLane(run.runId, lane, { slice: i, claimHint: i });
    if (await deps.store.claim(run.runId, i, lane)) {
      await deps.store.updateLane(run.runId, lane, { claimHint: i + 1 });
      return i;
    }
  }
  await deps.store.updateLane(run.runId, lane, { slice: null, claimHint: total });
  return undefined;
}
