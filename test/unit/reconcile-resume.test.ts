/**
 * The reconciliation's resilience against the Zoom mock (in-memory Firestore/Pub/Sub, lanes
 * in-process): a run killed midway resumes from its checkpoints (no page listed twice, nothing
 * queued twice); expired page tokens restart a slice's listing without double counting; a 429
 * storm is ridden out with back-off (Retry-After honoured) and the pace never exceeds the
 * configured rate; an empty day costs three calls (one per listing).
 */
import { reconcileInProcess } from '../../shared/reconcile/in-process';
import { REPORT_TYPES, type RunReport } from '../../shared/reconcile/report';
import { COLLECTIONS, sliceDocSchema } from '../../shared/reconcile/store';
import { explicitWindow } from '../../shared/reconcile/window';
import { startZoomMock, type ZoomEnvelope, type ZoomMock } from '../../local/mocks/zoom';
import { seededRandom } from '../../local/mocks/zoom/model';
import { type CoreUnderTest, countByType, reconcileCore, seedLedger } from '../support/reconcile-fixture';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

const DATE = '2026-11-04';
let zoom: ZoomMock;
let all: ZoomEnvelope[];
let dropped: ZoomEnvelope[];
let delivered: ZoomEnvelope[];

/**
 * The clock the reconciliation and the Zoom stand-in's page tokens share: the process's, moved
 * ahead by the tests where time must pass (a lease running out, a page token expiring).
 */
let aheadMs = 0;
const now = () => Date.now() + aheadMs;

beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS, now });
  zoom.generateDay({ seed: 'reconcile-resume', date: DATE, engagements: 700, recordingBytes: { min: 1000, max: 2000 } });
  all = zoom.engagements().flatMap((e) => zoom.eventsFor(e.engagementId));
  const rnd = seededRandom('resume-drops');
  dropped = [];
  delivered = [];
  for (const e of all) (rnd() < 0.1 ? dropped : delivered).push(e);
});
afterAll(() => zoom.stop());
afterEach(() => {
  zoom.faults.clear();
  zoom.setRateLimits({});
  zoom.setPageTokenTtlMs(15 * 60_000);
});

const request = (date = DATE) => ({ window: explicitWindow({ from: date, to: date }, 'Etc/UTC', Date.now()), dryRun: false, trigger: 'test' });

function expectExact(report: RunReport): void {
  const seen = countByType(all);
  const missing = countByType(dropped, delivered);
  for (const t of REPORT_TYPES) {
    expect({ t, ...report.types[t] }).toEqual({ t, seen: seen[t] ?? 0, present: (seen[t] ?? 0) - (missing[t] ?? 0), backfilled: missing[t] ?? 0, failed: 0 });
  }
}

/** Every missing entry queued exactly once (a voicemail event stands for two entries, queued separately). */
function expectQueuedOnce(core: CoreUnderTest): void {
  const keys = core.bus.published.map((m) => (m.data as { key: string }).key);
  expect(new Set(keys).size).toBe(keys.length);
  const missing = countByType(dropped, delivered);
  expect(keys.length).toBe(Object.values(missing).reduce((a, b) => a + b, 0));
}

async function killAfterPages(core: (signal: AbortSignal, onPage: () => void) => CoreUnderTest, pages: number): Promise<CoreUnderTest> {
  const controller = new AbortController();
  let seen = 0;
  const c = core(controller.signal, () => {
    if (++seen === pages) controller.abort(new Error('killed'));
  });
  await seedLedger(c.docs, delivered);
  await expect(reconcileInProcess(c.deps, request())).rejects.toThrow('killed');
  return c;
}

describe('reconcile: a run killed midway', () => {
  it('resumes on the next request for the window: done slices are not listed again, nothing is queued twice, counts are exact', async () => {
    zoom.resetStats();
    const settings = { lanes: 2, targetPagesPerSlice: 2, leaseMs: 300, rates: { light: 100, medium: 40, heavy: 10 } };
    const killed = await killAfterPages(
      (signal, onPage) => reconcileCore(zoom, { settings, signal, now, onProgress: (e) => e.kind === 'page' && onPage() }),
      4,
    );
    const slices = Object.values(killed.docs.dump(COLLECTIONS.slices)).map((d) => sliceDocSchema.parse(d));
    expect(slices.some((s) => s.state !== 'done')).toBe(true);
    const pagesBefore = slices.reduce((n, s) => n + s.listCalls, 0);
    expect(pagesBefore).toBeGreaterThanOrEqual(4);

    // A new process, past the lease: same Firestore, the old lanes' heartbeats are stale and taken over.
    aheadMs += 350;
    const resumed = reconcileCore(zoom, { docs: killed.docs, bus: killed.bus, settings, now });
    const outcome = await reconcileInProcess(resumed.deps, request());
    expect(outcome.resumed).toBe(true);
    expectExact(outcome.report);
    expectQueuedOnce(resumed);
    // Probes once, every page once: the kill cost no repeated call.
    expect(zoom.stats.apiCalls).toBe(outcome.report.apiCalls.probes + outcome.report.apiCalls.listPages);
    expect(resumed.logs.some((l) => l.includes('reconcile run: resumed'))).toBe(true);
  });
});

describe('reconcile: expiring page tokens', () => {
  it('a token Zoom refuses restarts the slice listing from its checkpoint; marks keep counts exact and queue nothing twice', async () => {
    const settings = { lanes: 1, targetPagesPerSlice: 5, leaseMs: 200, rates: { light: 100, medium: 8, heavy: 10 } };
    zoom.setPageTokenTtlMs(1500);
    const killed = await killAfterPages(
      (signal, onPage) => reconcileCore(zoom, { settings, signal, now, onProgress: (e) => e.kind === 'page' && e.source === 'engagements' && onPage() }),
      1,
    );
    // Long enough for the stored token to expire at Zoom, not long enough for us to skip it.
    aheadMs += 1700;
    const resumed = reconcileCore(zoom, { docs: killed.docs, bus: killed.bus, settings, now });
    const outcome = await reconcileInProcess(resumed.deps, request());
    expectExact(outcome.report);
    expectQueuedOnce(resumed);
    const slices = Object.values(resumed.docs.dump(COLLECTIONS.slices)).map((d) => sliceDocSchema.parse(d));
    expect(slices.find((s) => s.source === 'engagements')).toMatchObject({ restarts: 1, pass: 1, state: 'done' });
    expect(resumed.logs.some((l) => l.includes('listing restarted') && l.includes('Zoom refused the page token'))).toBe(true);
  });

  it('a token older than the configured age is not even tried', async () => {
    const settings = { lanes: 1, targetPagesPerSlice: 5, leaseMs: 200, tokenMaxAgeMs: 300, rates: { light: 100, medium: 8, heavy: 10 } };
    const killed = await killAfterPages(
      (signal, onPage) => reconcileCore(zoom, { settings, signal, now, onProgress: (e) => e.kind === 'page' && e.source === 'engagements' && onPage() }),
      1,
    );
    aheadMs += 400;
    const resumed = reconcileCore(zoom, { docs: killed.docs, bus: killed.bus, settings, now });
    const outcome = await reconcileInProcess(resumed.deps, request());
    expectExact(outcome.report);
    expectQueuedOnce(resumed);
    expect(resumed.logs.some((l) => l.includes('listing restarted') && l.includes('too old to try'))).toBe(true);
  });
});

describe('reconcile: 429 storms', () => {
  it('rides out a Zoom limit far below its own rate: backs off, pauses every lane, finishes with exact counts', async () => {
    // A bucket of 3 requests refilled at 3/s against a client asking for 150/s.
    zoom.setRateLimits({ medium: 3 });
    const core = reconcileCore(zoom, { settings: { lanes: 3, targetPagesPerSlice: 1, rates: { light: 100, medium: 150, heavy: 10 } } });
    await seedLedger(core.docs, delivered);
    zoom.resetStats();
    const { report } = await reconcileInProcess(core.deps, request());
    expectExact(report);
    expectQueuedOnce(core);
    expect(zoom.stats.rateLimited).toBeGreaterThan(0);
    expect(report.apiCalls.rateLimited).toBe(zoom.stats.rateLimited);
    expect(report.apiCalls.requests).toBe(zoom.stats.apiCalls);
  });

  it('honours Retry-After: no request of the category starts before it has passed', async () => {
    const core = reconcileCore(zoom, { settings: { lanes: 3, targetPagesPerSlice: 1 } });
    await seedLedger(core.docs, delivered);
    zoom.faults.failHttp({ pathIncludes: '/contact_center/engagements', status: 429, times: 1, retryAfterSeconds: 1 });
    zoom.resetStats();
    const { report } = await reconcileInProcess(core.deps, request());
    expectExact(report);
    const times = zoom.stats.callTimes.medium;
    const first429 = zoom.requests.find((r) => r.path === '/v2/contact_center/engagements')!.at;
    // Everything after the refused request waited the second out (the other probes were already answered).
    const after = times.filter((t) => t > first429);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after) - first429).toBeGreaterThanOrEqual(950);
  });

  it('never exceeds the configured rate, even with lanes in parallel', async () => {
    const core = reconcileCore(zoom, { settings: { lanes: 3, targetPagesPerSlice: 1, rates: { light: 100, medium: 12, heavy: 10 } } });
    await seedLedger(core.docs, delivered);
    zoom.resetStats();
    const started = Date.now();
    const { report } = await reconcileInProcess(core.deps, request());
    expectExact(report);
    const calls = zoom.stats.apiCalls;
    // Spacing of 1/12 s between starts: at most 12 (+ the one opening the window) in any second.
    expect(zoom.peakCalls('medium', 1000)).toBeLessThanOrEqual(13);
    expect(Date.now() - started).toBeGreaterThanOrEqual(((calls - 1) / 12) * 1000 - 50);
  });
});

describe('reconcile: a listing Zoom refuses for good', () => {
  it('does not stop the others: its slice fails with the reason, the report says so', async () => {
    // An account whose app lacks the inbox scope: the voicemail listing answers 403.
    zoom.faults.failHttp({ pathIncludes: '/contact_center/inboxes/messages', status: 403, times: 100 });
    const core = reconcileCore(zoom);
    await seedLedger(core.docs, delivered);
    const { report } = await reconcileInProcess(core.deps, request());
    expect(report.state).toBe('complete_with_errors');
    expect(report.failures).toEqual([{ slice: expect.stringContaining('voicemails'), reason: expect.stringContaining('HTTP 403') }]);
    expect(report.types.voicemail.seen).toBe(0);
    expect(report.types.messaging_transcript.seen).toBe(countByType(all)['messaging_transcript']);
    const seen = countByType(all);
    expect(report.types.recording.seen).toBe(seen['recording']);
    expect(core.logs.some((l) => l.includes('"severity":"WARNING"') && l.includes('reconcile run: report'))).toBe(true);
  });
});

describe('reconcile: an empty day', () => {
  it('costs one probe per listing and reports zeros', async () => {
    const core = reconcileCore(zoom);
    zoom.resetStats();
    const { report } = await reconcileInProcess(core.deps, request('2026-10-20'));
    expect(report).toMatchObject({
      state: 'complete',
      slices: { total: 0, done: 0, failed: 0 },
      totals: { seen: 0, present: 0, backfilled: 0, failed: 0 },
      apiCalls: { probes: 3, listPages: 0 },
    });
    expect(zoom.stats.apiCalls).toBe(3);
    expect(core.bus.published).toHaveLength(0);
  });
});
