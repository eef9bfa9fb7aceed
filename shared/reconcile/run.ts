/**
 * The coordinator of a run: opens (or resumes) the run of a window, plans it, starts its
 * lanes, watches them — a lane whose heartbeat went stale is started again with a newer
 * step — and, once every slice is done or given up, builds the report, stores it once and
 * logs it. Whoever sees the last slice finish (a lane or the coordinator) finalises; the
 * report document's create() makes sure it is logged once.
 */
import type { ReconcileDeps } from './deps';
import { planRun } from './plan';
import { addTally, emptyTally, type RunReport, totalOf } from './report';
import type { RunDoc, SliceDoc } from './store';
import { type ReconcileWindow, windowKey } from './window';

export interface RunRequest {
  window: ReconcileWindow;
  dryRun: boolean;
  /** Who asked: "scheduler", "cli", "manual"… (kept on the run). */
  trigger: string;
  /** Start a new run even if one for this window is unfinished. */
  restart?: boolean;
}

export interface RunProgress {
  runId: string;
  state: RunDoc['state'];
  resumed: boolean;
  slices: { total: number; done: number; failed: number };
}

export type RunOutcome = { finished: true; report: RunReport; resumed: boolean } | { finished: false; progress: RunProgress };

/** A repeated request for a window whose run is unfinished resumes that run. */
async function openRun(deps: ReconcileDeps, request: RunRequest): Promise<{ run: RunDoc; resumed: boolean }> {
  const { store } = deps;
  const key = windowKey(request.window, request.dryRun);
  const existing = await store.getWindow(key);
  if (existing && !request.restart) {
    const run = await store.getRun(existing.activeRunId);
    if (run && (run.state === 'planning' || run.state === 'running')) {
      deps.log.notice('reconcile run: resumed', { runId: run.runId, from: run.from, to: run.to });
      return { run, resumed: true };
    }
  }
  const seq = (existing?.seq ?? 0) + 1;
  const runId = `${key}-${seq}`;
  const created = await store.createRun({
    runId,
    windowKey: key,
    from: request.window.from,
    to: request.window.to,
    dryRun: request.dryRun,
    trigger: request.trigger,
    state: 'planning',
    startedAt: new Date(deps.now()).toISOString(),
    rates: deps.settings.rates,
  });
  await store.setWindow(key, seq, runId);
  const run = await store.getRun(runId);
  if (!run) throw new Error(`reconcile run ${runId} vanished after creation`);
  if (created) deps.log.notice('reconcile run: started', { runId, from: run.from, to: run.to, dryRun: run.dryRun, trigger: request.trigger });
  return { run, resumed: !created };
}

/** Plans a run still planning (idempotent: the plan is stored before any slice is created). */
async function prepareRun(deps: ReconcileDeps, run: RunDoc): Promise<RunDoc> {
  if (run.state !== 'planning') return run;
  const { store } = deps;
  let plan = run.plan;
  if (!plan) {
    const planned = await planRun(deps, run.runId, { from: run.from, to: run.to });
    plan = planned.slices;
    await store.updateRun(run.runId, { plan, probes: planned.probes, probeRequests: planned.requests, probeRateLimited: planned.rateLimited });
  }
  for (const [i, slice] of plan.entries()) await store.createSlice(run.runId, i, slice);
  const lanes = Math.min(deps.settings.lanes, plan.length);
  for (let k = 0; k < lanes; k++) await store.createLane(run.runId, k);
  await store.updateRun(run.runId, { state: 'running', lanes });
  deps.log.info('reconcile run: planned', { runId: run.runId, slices: plan.length, lanes, estimatedPages: plan.reduce((n, s) => n + s.estimatedPages, 0) });
  const ready = await store.getRun(run.runId);
  if (!ready) throw new Error(`reconcile run ${run.runId} vanished`);
  return ready;
}

/** Starts every unfinished lane nobody works on (no heartbeat or dispatch within the lease). */
async function dispatchStaleLanes(deps: ReconcileDeps, run: RunDoc): Promise<number> {
  const lanes = await deps.store.lanesOf(run.runId, run.lanes ?? 0);
  let started = 0;
  for (const [k, lane] of lanes.entries()) {
    if (!lane || lane.state === 'finished') continue;
    if (deps.now() - Math.max(lane.heartbeatAt, lane.dispatchedAt) < deps.settings.leaseMs) continue;
    const step = lane.step + 1;
    await deps.dispatch({ runId: run.runId, lane: k, step });
    await deps.store.updateLane(run.runId, k, { step, owner: null, dispatchedAt: deps.now() });
    if (lane.dispatchedAt > 0) deps.log.notice('reconcile run: lane restarted (no heartbeat)', { runId: run.runId, lane: k, step });
    started++;
  }
  return started;
}

function buildReport(run: RunDoc, slices: SliceDoc[], now: number): RunReport {
  const types = emptyTally();
  let listPages = 0;
  let requests = run.probeRequests;
  let rateLimited = run.probeRateLimited;
  const failures: RunReport['failures'] = [];
  for (const s of slices) {
    addTally(types, s.counts);
    listPages += s.listCalls;
    requests += s.requests;
    rateLimited += s.rateLimited;
    if (s.state === 'failed') failures.push({ slice: `${s.index} (${s.source} ${s.from} → ${s.to})`, reason: s.reason ?? 'unknown' });
  }
  const done = slices.filter((s) => s.state === 'done').length;
  return {
    runId: run.runId,
    window: { from: run.from, to: run.to },
    dryRun: run.dryRun,
    state: failures.length > 0 ? 'complete_with_errors' : 'complete',
    startedAt: run.startedAt,
    finishedAt: new Date(now).toISOString(),
    seconds: Math.max(0, (now - Date.parse(run.startedAt)) / 1000),
    slices: { total: run.plan?.length ?? slices.length, done, failed: failures.length },
    types,
    totals: totalOf(types),
    apiCalls: { probes: run.probes, listPages, requests, rateLimited },
    failures,
  };
}

/** The report, if every slice is done or given up (built, stored and logged once). */
export async function finalizeIfDone(deps: ReconcileDeps, runId: string): Promise<RunReport | undefined> {
  const { store } = deps;
  const run = await store.getRun(runId);
  if (!run) return undefined;
  if (run.state === 'complete' || run.state === 'complete_with_errors') return store.getReport(runId);
  if (run.state !== 'running') return undefined;
  const total = run.plan?.length ?? 0;
  if (total > 0) {
    const finished = (await store.countSlices(runId, 'done')) + (await store.countSlices(runId, 'failed'));
    if (finished < total) return undefined;
  }
  const slices = total > 0 ? await store.slicesOf(runId) : [];
  if (slices.some((s) => s.state !== 'done' && s.state !== 'failed')) return undefined;
  let report = buildReport(run, slices, deps.now());
  if (await store.createReport(report)) {
    // A warning when slices were given up, so log-based alerting sees it (the answer is a 200 either way).
    if (report.state === 'complete') deps.log.notice('reconcile run: report', { runId, report });
    else deps.log.warn('reconcile run: report', { runId, report });
  } else {
    report = (await store.getReport(runId)) ?? report;
  }
  await store.updateRun(runId, { state: report.state, finishedAt: report.finishedAt });
  return report;
}

export async function progressOf(deps: ReconcileDeps, run: RunDoc, resumed: boolean): Promise<RunProgress> {
  const total = run.plan?.length ?? 0;
  const [done, failed] = await Promise.all([deps.store.countSlices(run.runId, 'done'), deps.store.countSlices(run.runId, 'failed')]);
  return { runId: run.runId, state: run.state, resumed, slices: { total, done, failed } };
}

/**
 * A whole run from the coordinator's side: open or resume, plan, start the lanes, then
 * watch until the report is ready or `waitMs` has passed (the run goes on without us then).
 */
export async function coordinateRun(deps: ReconcileDeps, request: RunRequest, options: { waitMs: number; pollMs: number }): Promise<RunOutcome> {
  const opened = await openRun(deps, request);
  const run = await prepareRun(deps, opened.run);
  const estimatedPages = (run.plan ?? []).reduce((n, s) => n + s.estimatedPages, 0);
  deps.onProgress?.({ kind: 'planned', runId: run.runId, slices: run.plan?.length ?? 0, estimatedPages, resumed: opened.resumed });
  const deadline = deps.now() + options.waitMs;
  for (;;) {
    deps.signal?.throwIfAborted();
    const report = await finalizeIfDone(deps, run.runId);
    if (report) return { finished: true, report, resumed: opened.resumed };
    await dispatchStaleLanes(deps, run);
    const left = deadline - deps.now();
    if (left <= 0) return { finished: false, progress: await progressOf(deps, run, opened.resumed) };
    await deps.sleep(Math.min(options.pollMs, left));
  }
}
