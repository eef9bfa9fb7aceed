/**
 * One chaos run over the whole Zoom pipeline on the local stack:
 *
 *   this process   Firestore, Pub/Sub and Storage stand-ins, the Zoom mock, zoom-webhook,
 *                  crm (mock mode) and reconcile on the stack's gateway, the checks;
 *   worker process interaction-worker (./worker-pool), SIGKILLed mid-upload and replaced.
 *
 * Zoom delivers the day's webhooks with drops, duplicates and late (reordered) deliveries;
 * downloads meet 429s, files not ready yet and cut-off bodies; Cloud Storage answers 503s;
 * the CRM 500s and 429s. After the pipeline drains, the nightly reconciliation runs over the
 * day's window, the pipeline drains again, the faults are lifted, a second reconciliation
 * must find nothing to do, and ./checks compares everything with what Zoom has.
 * `npm run chaos` and test/integration/chaos.test.ts both call `runChaos`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localServiceAccounts } from '../../local/env';
import type { DeliveryReport } from '../../local/mocks/zoom';
import { seededRandom } from '../../local/mocks/zoom/model';
import type { SubscriptionStats } from '../../local/pubsub';
import { startStack, type Stack } from '../../local/stack';
import { type ChaosCrm, startChaosCrm } from './crm-fakes';
import { Secret } from '../../shared/config';
import { createPubSub } from '../../shared/google';
import { REPORT_TYPES, type ReportType, reportSchema, type RunReport } from '../../shared/reconcile/report';
import { artifactLinkUrl } from '../../shared/zoom/artifact-link';
import { readPipelineState, stackDocStore, subscriptionStats } from '../demo/pipeline-state';
import { type CheckRow, deadLetterVerdict, type Expectation, expectationOf, givenUp, orderFigures, runChecks } from './checks';
import { armCrashes, type CrashRecord, type CrashTarget } from './crashes';
import { generateChaosDay } from './day';
import type { ChaosOptions, FaultRates } from './options';
import { reservePort, startWorkerPool, type WorkerPool } from './worker-pool';

export interface ChaosFigures {
  engagements: number;
  artifacts: number;
  bytes: number;
  notes: number;
  dispositions: number;
  delivery: DeliveryReport;
  faults: {
    zoom429: number;
    zoomNotReady: number;
    zoomTruncated: number;
    storage503: number;
    crm500: number;
    crm429: number;
    /** --crm only: writes the fake applied and whose answer it lost. */
    crmLost?: number;
  };
  crashes: CrashRecord[];
  /** Crash targets armed, and holds that met a crash already under way. */
  crashTargets: number;
  crashesSkipped: number;
  /** Failed push deliveries to the worker (each redelivered or dead-lettered). */
  redeliveries: number;
  deadLettered: number;
  /** Entries the worker recorded as given up on a message's last delivery. */
  givenUp: number;
  deadLetterReasons: Record<string, number>;
  /**
   * Entries left unfinished with no delivery alive once the pipeline drained (a message
   * dead-lettered without a record), and how long the run waited for them to be stale.
   */
  stuck: { entries: number; waitedSeconds: number };
  /** Notes the CRM got after a later note of their engagement; dispositions superseded by a later one. */
  order: { lateNotes: number; supersededDispositions: number };
  reconcile: { backfilled: Record<ReportType, number>; seen: number; present: number; backfilled_total: number; failed: number; seconds: number } | undefined;
  seconds: { setup: number; delivery: number; drain: number; reconcile: number; checks: number; total: number };
}

export interface ChaosReport {
  options: ChaosOptions;
  figures: ChaosFigures;
  rows: CheckRow[];
  /** Problems outside the rows (a drain that timed out, a reconciliation that failed). */
  incidents: string[];
  ok: boolean;
  /** Where the logs are (the worker's; and the functions' of this process when the CLI runs it). */
  logDir: string;
}

/** Pipeline settings for the run: production values where the run's scale allows, shorter waits where it cannot afford them. */
const STACK_ENV = {
  LOG_LEVEL: 'error',
  ZOOM_NOT_READY_DELAYS_MS: '500,1500',
  ZOOM_API_RETRY_BASE_MS: '200',
  ZOOM_ITEM_ORDER_WAIT_MS: '5000',
  // Recordings of the run are 32–384 KiB: above this they are resumable uploads (the crash targets).
  TRANSFER_RESUMABLE_THRESHOLD_BYTES: String(128 * 1024),
  RECONCILE_LANES: '3',
  RECONCILE_SLICE_PAGES: '3',
  RECONCILE_ZOOM_RATE_MEDIUM: '20',
  RECONCILE_ZOOM_RETRY_BASE_MS: '200',
  RECONCILE_WAIT_SECONDS: '1200',
  RECONCILE_POLL_MS: '200',
  RECONCILE_STALE_MINUTES: '1',
};
/** Push retry back-off scaled down from the deployed 10–300 s (terraform/delivery.json); attempts from the options (Terraform's default 10). */
const PUSH = { backoff: { min: 0.5, max: 10 }, concurrency: 64 };
/** The smallest download a crash can land in the middle of (with bytes uploaded). */
const CRASH_MIN_BYTES = 128 * 1024;

/** `logDir`: where the worker's log goes (default: a new temporary directory). */
/** `inspect`: runs on the stack once the report is made, before it stops (tests read the stores left behind). */
export async function runChaos(
  options: ChaosOptions & { progress?: (line: string) => void; logDir?: string; inspect?: (stack: Stack) => Promise<void> },
): Promise<ChaosReport> {
  const say = options.progress ?? (() => undefined);
  const started = performance.now();
  const deadline = Date.now() + options.timeoutSeconds * 1000;
  const secondsLeft = () => Math.max(5, (deadline - Date.now()) / 1000);
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'ccbridge-chaos-'));
  const workerLog = join(logDir, 'worker.log');
  const incidents: string[] = [];

  const port = await reservePort();
  const workerUrl = `http://127.0.0.1:${port}/interaction-worker`;
  // --crm: the crm function in real mode before that CRM's fake; the worker and reconcile stay on the contract.
  const realCrm = options.crm ? await startChaosCrm(options.crm) : undefined;
  const crmEnv = realCrm ? { CRM_MODE: 'real', ...realCrm.env } : {};
  let stack: Stack;
  try {
    stack = await startStack({
      functions: ['zoom-webhook', 'crm', 'reconcile'],
      externalFunctions: { 'interaction-worker': workerUrl },
      pushBackoff: PUSH.backoff,
      maxDeliveryAttempts: options.maxDeliveryAttempts,
      pushConcurrency: PUSH.concurrency,
      envOverrides: { ...STACK_ENV, ...crmEnv },
      functionEnv: (name, env) => (name === 'crm' ? env : { ...env, CRM_MODE: 'mock', CRM_ADAPTER: 'contract' }),
    });
  } catch (err) {
    await realCrm?.stop();
    throw err;
  }
  let pool: WorkerPool | undefined;
  try {
    pool = await startWorkerPool({ env: { ...stack.env, CRM_MODE: 'mock', CRM_ADAPTER: 'contract', LOG_LEVEL: 'warn' }, port, logFile: workerLog });
    const setupSeconds = (performance.now() - started) / 1000;
    const report = await drive(stack, pool, options, { say, started, setupSeconds, secondsLeft, incidents, logDir, realCrm });
    await options.inspect?.(stack);
    return report;
  } finally {
    await pool?.stop().catch(() => undefined);
    await stack.stop();
    await realCrm?.stop();
  }
}

interface RunContext {
  say: (line: string) => void;
  started: number;
  setupSeconds: number;
  secondsLeft: () => number;
  incidents: string[];
  logDir: string;
  realCrm?: ChaosCrm | undefined;
}

async function drive(stack: Stack, pool: WorkerPool, options: ChaosOptions, ctx: RunContext): Promise<ChaosReport> {
  const { say, incidents } = ctx;
  const rates = options.rates;
  const bucket = stack.env['ARCHIVE_BUCKET']!;
  const day = generateChaosDay({ seed: options.seed, engagements: options.engagements, endBefore: Date.now() - 3 * 60_000 });
  for (const e of day) stack.zoom.addEngagement(e);
  const expectation = expectationOf(day, stack.zoom);
  // Zoom sends each event when it happens: the day's events in time order.
  const events = day.flatMap((e) => stack.zoom.eventsFor(e.engagementId)).sort((a, b) => a.event_ts - b.event_ts);
  say(
    `${day.length} engagements, ${events.length} webhook events, ${expectation.artifacts.length} files ` +
      `(${mib(sum(expectation.artifacts.map((a) => a.bytes)))}), ${expectation.items.length} notes and dispositions`,
  );

  const crashes = armFaults(stack, pool, expectation, rates, options.seed, bucket, say);
  if (ctx.realCrm) {
    ctx.realCrm.arm({ s500: rates.crm500, s429: rates.crm429, lost: options.crmLost ?? 0 }, options.seed);
    say(`crm: real mode, ${ctx.realCrm.kind} fake (faults injected in the fake)`);
  } else await addCrmFaults(stack, rates);

  // --- Zoom delivers the day ---
  const deliveryStarted = performance.now();
  const ticker = startTicker(stack, pool, say);
  let delivery: DeliveryReport;
  try {
    delivery = await stack.zoom.deliver(events, {
      drop: rates.drop,
      duplicate: rates.duplicate,
      delay: { probability: rates.delay, minMs: 500, maxMs: 8000 },
      concurrency: 16,
      ...(options.ratePerSecond > 0 ? { ratePerSecond: options.ratePerSecond } : {}),
      seed: options.seed,
      retryDelaysMs: [1000, 3000, 6000],
    });
    say(
      `webhooks: ${delivery.requests} requests, ${delivery.acknowledged} of ${delivery.events - delivery.dropped} ` +
        `delivered events acknowledged, ${delivery.dropped} dropped, ${delivery.duplicatesSent} duplicated, ` +
        `${delivery.delayed} late`,
    );
    const deliverySeconds = (performance.now() - deliveryStarted) / 1000;
    const drainStarted = performance.now();
    await drain(stack, ctx, 'after the webhooks');
    const drainSeconds = (performance.now() - drainStarted) / 1000;

    // --- The nightly reconciliation over the day's window, then what it queued ---
    const reconcileStarted = performance.now();
    const stuck = await waitUntilStale(stack, say);
    const window = { from: isoSeconds(Date.parse(day[0]!.startTime) - 60_000), to: isoSeconds(Date.now()) };
    say(`reconciliation of ${window.from} – ${window.to}…`);
    const first = await reconcile(stack, window, 'chaos', ctx);
    if (first)
      say(`reconciliation: seen ${first.totals.seen}, present ${first.totals.present}, backfilled ${first.totals.backfilled}, failed ${first.totals.failed}`);
    await drain(stack, ctx, 'after the reconciliation');
    const reconcileSeconds = (performance.now() - reconcileStarted) / 1000;

    // --- Faults lifted: a second run must find nothing; then the checks ---
    const checksStarted = performance.now();
    const crmInjected = ctx.realCrm?.lift();
    const faultsUsed = await liftFaults(stack, crmInjected);
    const second = await reconcile(stack, window, 'chaos-check', ctx);
    await drain(stack, ctx, 'after the second reconciliation');
    ticker.stop();

    const project = stack.env['GCP_PROJECT']!;
    const stored = await readPipelineState(stackDocStore(stack.env));
    // With a real adapter the CRM's state is the fake's own, not the mock's collections.
    const state = ctx.realCrm ? { ...stored, crm: ctx.realCrm.read(expectation) } : stored;
    // As many as the worker's subscription dead-lettered: the read waits for each of them.
    const deadLetters = await readDeadLetters(stack, project, subscriptionStats(stack.pubsub.stats(), 'interaction-worker-push')?.deadLettered ?? 0, incidents);
    const secret = new Secret(stack.env['ARTIFACT_LINK_SECRET']!);
    const publicBase = stack.env['PUBLIC_BASE_URL']!;
    const rows = await runChecks({
      expectation,
      objects: stack.storage.listAll().filter((o) => o.bucket === bucket),
      readObject: (name) => readObject(stack.storage.baseUrl, bucket, name),
      state,
      linkFor: (engagementId, key) => artifactLinkUrl(publicBase, secret, engagementId, key),
      openLink,
      linksToOpen: Math.min(50, expectation.artifacts.length),
      deadLetters,
      unexpectedExits: pool.unexpectedExits,
      secondReconcile: second ? { backfilled: second.totals.backfilled, failed: second.totals.failed } : undefined,
    });
    const worker = subscriptionStats(stack.pubsub.stats(), 'interaction-worker-push');
    const ledgers = new Map(state.ledgers.map((l) => [l.engagementId, l]));
    const deadLetterReasons: Record<string, number> = {};
    for (const d of deadLetters) {
      const why = deadLetterVerdict(d, ledgers).why.replace(/^.*: /, '');
      deadLetterReasons[why] = (deadLetterReasons[why] ?? 0) + 1;
    }
    const figures: ChaosFigures = {
      engagements: day.length,
      artifacts: expectation.artifacts.length,
      bytes: sum(expectation.artifacts.map((a) => a.bytes)),
      notes: expectation.items.filter((i) => i.kind === 'note').length,
      dispositions: expectation.items.filter((i) => i.kind === 'disposition').length,
      delivery,
      faults: faultsUsed,
      crashes: crashes.records,
      crashTargets: crashes.armed,
      crashesSkipped: crashes.skipped,
      redeliveries: worker?.failedAttempts ?? 0,
      deadLettered: worker?.deadLettered ?? 0,
      givenUp: givenUp(state),
      deadLetterReasons,
      order: orderFigures(expectation, state),
      stuck,
      reconcile: first
        ? {
            backfilled: Object.fromEntries(REPORT_TYPES.map((t) => [t, first.types[t].backfilled])) as Record<ReportType, number>,
            seen: first.totals.seen,
            present: first.totals.present,
            backfilled_total: first.totals.backfilled,
            failed: first.totals.failed,
            seconds: first.seconds ?? 0,
          }
        : undefined,
      seconds: {
        setup: ctx.setupSeconds,
        delivery: deliverySeconds,
        drain: drainSeconds,
        reconcile: reconcileSeconds,
        checks: (performance.now() - checksStarted) / 1000,
        total: (performance.now() - ctx.started) / 1000,
      },
    };
    const ok = incidents.length === 0 && rows.every((r) => r.problems.length === 0);
    return { options, figures, rows, incidents, ok, logDir: ctx.logDir };
  } finally {
    ticker.stop();
  }
}

/** Arms the Zoom and Storage faults and the crashes; returns the crash controller. */
function armFaults(stack: Stack, pool: WorkerPool, x: Expectation, rates: FaultRates, seed: string, bucket: string, say: (line: string) => void) {
  const rnd = seededRandom(`chaos-faults:${seed}`);
  const truncated = new Set<string>();
  for (const a of x.artifacts) {
    if (rnd() < rates.notReady) stack.zoom.faults.fileNotReady({ pathIncludes: a.file, times: 1 + Math.floor(rnd() * 3) });
    // A file's path is unique and no other path contains it (ids are zero-padded; Zoom's
    // transcript URLs have their own prefix), and some have no query: match the path alone.
    if (rnd() < rates.zoom429) stack.zoom.faults.failHttp({ pathIncludes: a.file, status: 429, times: 1, retryAfterSeconds: 1 });
    if (rnd() < rates.truncate) {
      truncated.add(a.file);
      stack.zoom.faults.truncateDownload({ pathIncludes: a.file, afterBytes: Math.floor(a.bytes / 3), times: 1 });
    }
  }
  // The reconciliation's listings meet a few 429s too.
  if (rates.zoom429 > 0) stack.zoom.faults.failHttp({ pathIncludes: '/v2/contact_center/', status: 429, times: 3, retryAfterSeconds: 1 });
  if (rates.storage503 > 0) stack.storage.injectFault({ pathIncludes: `/b/${bucket}/`, status: 503, probability: rates.storage503 });

  // ~rate × all uploads, among the files large enough to be cut mid-upload (resumable ones).
  const candidates = x.artifacts.filter((a) => a.bytes >= CRASH_MIN_BYTES && !truncated.has(a.file));
  const shuffled = candidates
    .map((a) => ({ a, k: rnd() }))
    .sort((p, q) => p.k - q.k)
    .map((p) => p.a);
  const wanted = Math.min(candidates.length, Math.round(rates.crash * x.artifacts.length));
  const toTarget = (a: (typeof x.artifacts)[number]): CrashTarget => ({ file: a.file, object: a.object, bytes: a.bytes });
  return armCrashes(
    {
      pool,
      bucket,
      uploadsInProgress: () => stack.storage.uploadsInProgress(),
      hold: (target, afterBytes, onHold) => stack.zoom.faults.holdDownload({ pathIncludes: target.file, afterBytes, times: 1, onHold }),
      log: say,
    },
    shuffled.slice(0, wanted).map(toTarget),
    shuffled.slice(wanted, wanted * 2).map(toTarget),
  );
}

async function addCrmFaults(stack: Stack, rates: FaultRates): Promise<void> {
  const faults = [
    ...(rates.crm500 > 0 ? [{ operation: '*', status: 500, probability: rates.crm500, note: 'chaos' }] : []),
    ...(rates.crm429 > 0 ? [{ operation: '*', status: 429, retryAfterSeconds: 1, probability: rates.crm429, note: 'chaos' }] : []),
  ];
  if (faults.length === 0) return;
  const res = await crmAdmin(stack, 'POST', { faults });
  if (res.status !== 201) throw new Error(`crm mock refused the fault script: HTTP ${res.status} ${await res.text()}`);
}

/** Clears every fault; returns how often each kind was applied. */
async function liftFaults(stack: Stack, fromFake?: { crm500: number; crm429: number; crmLost: number }): Promise<ChaosFigures['faults']> {
  const listed = fromFake ? { faults: [] } : ((await (await crmAdmin(stack, 'GET')).json()) as { faults: Array<{ status?: number | null; used: number }> });
  if (!fromFake) await crmAdmin(stack, 'DELETE');
  const crm = (status: number) =>
    fromFake ? (status === 500 ? fromFake.crm500 : fromFake.crm429) : listed.faults.filter((f) => f.status === status).reduce((n, f) => n + f.used, 0);
  const taken = stack.zoom.faults.taken;
  const storage = stack.storage.faultCounts();
  stack.zoom.faults.clear();
  stack.storage.clearFaults();
  return {
    zoom429: taken.http['429'] ?? 0,
    zoomNotReady: taken.notReady,
    zoomTruncated: taken.truncate,
    storage503: storage[503] ?? 0,
    crm500: crm(500),
    crm429: crm(429),
    ...(fromFake ? { crmLost: fromFake.crmLost } : {}),
  };
}

function crmAdmin(stack: Stack, method: 'GET' | 'POST' | 'DELETE', body?: unknown): Promise<Response> {
  return fetch(`${stack.functions['crm']}/admin/faults`, {
    method,
    headers: { authorization: `Bearer ${stack.env['CRM_ADMIN_TOKEN']}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
}

async function drain(stack: Stack, ctx: RunContext, when: string): Promise<void> {
  try {
    await stack.pubsub.drain(ctx.secondsLeft() * 1000);
  } catch (err) {
    ctx.incidents.push(`the pipeline did not drain ${when}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const STALE_MS = Number(STACK_ENV.RECONCILE_STALE_MINUTES) * 60_000;

/**
 * The nightly run comes hours after the day's traffic, when anything left unfinished is
 * stale (untouched longer than RECONCILE_STALE_MINUTES) and so queued again. The run has
 * drained, so an unfinished entry has no delivery left to finish it: wait until the newest
 * of them is stale, as the nightly run would find it (no wait when there are none).
 */
async function waitUntilStale(stack: Stack, say: (line: string) => void): Promise<ChaosFigures['stuck']> {
  const { ledgers } = await readPipelineState(stackDocStore(stack.env));
  const touched: number[] = [];
  for (const l of ledgers) {
    for (const a of Object.values(l.artifacts)) if (a.state === 'pending' || a.state === 'stored') touched.push(a.updatedAt?.getTime() ?? 0);
    for (const i of Object.values(l.items)) if (i.state === 'pending' || i.state === 'writing') touched.push(i.updatedAt?.getTime() ?? 0);
  }
  if (touched.length === 0) return { entries: 0, waitedSeconds: 0 };
  const waitMs = Math.max(0, Math.max(...touched) + STALE_MS + 1000 - Date.now());
  say(
    `${touched.length} ledger entries unfinished with nothing left to deliver: waiting ` +
      `${(waitMs / 1000).toFixed(0)} s until they are stale, as the nightly run would find them`,
  );
  await new Promise((r) => setTimeout(r, waitMs));
  return { entries: touched.length, waitedSeconds: waitMs / 1000 };
}

/** Cloud Scheduler's call: POST with its OIDC token; the report, or undefined (an incident) if the run did not complete. */
async function reconcile(stack: Stack, window: { from: string; to: string }, trigger: string, ctx: RunContext): Promise<RunReport | undefined> {
  const url = stack.functions['reconcile']!;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.oidc.mint(url, localServiceAccounts.scheduler)}` },
      body: JSON.stringify({ ...window, trigger }),
      // AbortSignal.timeout takes whole milliseconds (seconds × 1000 is not always an integer in floating point).
      signal: AbortSignal.timeout(Math.round(ctx.secondsLeft() * 1000)),
    });
    const text = await res.text();
    if (res.status !== 200) {
      ctx.incidents.push(`reconciliation (${trigger}) answered HTTP ${res.status}: ${text.slice(0, 300)}`);
      return undefined;
    }
    const report = reportSchema.parse(JSON.parse(text));
    if (report.state !== 'complete') ctx.incidents.push(`reconciliation (${trigger}) ended ${report.state}: ${report.slices.failed} slice(s) failed`);
    return report;
  } catch (err) {
    ctx.incidents.push(`reconciliation (${trigger}) failed: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/**
 * The messages on the worker's dead-letter topic (read through its inspection subscription):
 * `expected` of them, waited for one by one; fewer within a minute is an incident, not a
 * silently shorter list.
 */
async function readDeadLetters(stack: Stack, project: string, expected: number, incidents: string[]): Promise<unknown[]> {
  const name = 'zoom-events-dead-letter-inspect';
  const want = Math.max(expected, subscriptionStats(stack.pubsub.stats(), name)?.outstanding ?? 0);
  if (want === 0) return [];
  const pubsub = createPubSub(project);
  const subscription = pubsub.subscription(name);
  const out: unknown[] = [];
  try {
    const all = await new Promise<boolean>((resolve) => {
      const bound = setTimeout(() => resolve(false), 60_000);
      subscription.on('message', (m: { data: Buffer; ack(): void }) => {
        try {
          out.push(JSON.parse(m.data.toString('utf8')));
        } catch {
          out.push(m.data.toString('utf8'));
        }
        m.ack();
        if (out.length >= want) {
          clearTimeout(bound);
          resolve(true);
        }
      });
    });
    if (!all) incidents.push(`dead-letter topic: read ${out.length} of the ${want} messages dead-lettered within 60 s`);
  } finally {
    await subscription.close().catch(() => undefined);
    await pubsub.close().catch(() => undefined);
  }
  return out;
}

/** An object's bytes, by the JSON API's media download (plain HTTP: thousands of reads without the client's per-request overhead). */
async function readObject(storageUrl: string, bucket: string, name: string): Promise<Buffer> {
  const res = await fetch(`${storageUrl}/download/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}?alt=media`);
  if (res.status !== 200) throw new Error(`reading ${name}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

/** An agent's click: the durable link answers 302 to a short-lived signed URL, which serves the bytes. */
async function openLink(url: string): Promise<Buffer> {
  const first = await fetch(url, { redirect: 'manual' });
  if (first.status !== 302) throw new Error(`link answered HTTP ${first.status}`);
  const location = first.headers.get('location');
  if (!location) throw new Error('302 without Location');
  const res = await fetch(location);
  if (res.status !== 200) throw new Error(`signed URL answered HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

function startTicker(stack: Stack, pool: WorkerPool, say: (line: string) => void): { stop(): void } {
  const t0 = performance.now();
  const timer = setInterval(() => {
    const w: SubscriptionStats | undefined = subscriptionStats(stack.pubsub.stats(), 'interaction-worker-push');
    say(
      `  ${((performance.now() - t0) / 1000).toFixed(0)} s: worker acked ${w?.acked ?? 0}, outstanding ` +
        `${w?.outstanding ?? 0}, failed deliveries ${w?.failedAttempts ?? 0}, dead-lettered ${w?.deadLettered ?? 0}; ` +
        `crashes ${pool.crashes}`,
    );
  }, 10_000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

const isoSeconds = (ms: number) => `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
const sum = (ns: number[]) => ns.reduce((a, b) => a + b, 0);
export const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
