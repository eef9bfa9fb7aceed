/**
 * reconcile on the local stack, through the real clients: the Zoom mock sends a day's signed
 * webhooks with a random subset dropped → zoom-webhook → Pub/Sub → interaction-worker →
 * Storage emulator and the CRM; then Cloud Scheduler's call (an OIDC token from the stack's
 * issuer) → reconcile plans slices, hands lanes to itself through reconcile-slices (pushed to
 * /slices with its own OIDC token), queues what is missing on zoom-events → the worker
 * stores it. Afterwards every artifact is in the bucket exactly once and in the CRM exactly
 * once, the report's counts are what was dropped, and a second run backfills nothing.
 * Also: the OIDC checks (valid, wrong audience, expired, missing, another account).
 */
import { createHash } from 'node:crypto';
import { reportSchema, REPORT_TYPES, type RunReport } from '../../shared/reconcile/report';
import { createReconcileStore } from '../../shared/reconcile/store';
import { localServiceAccounts } from '../../local/env';
import type { ZoomEnvelope } from '../../local/mocks/zoom';
import { seededRandom } from '../../local/mocks/zoom/model';
import { type Stack, startStack } from '../../local/stack';
import { countByType, seedLedger } from '../support/reconcile-fixture';
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createFirestore, createStorage } from '../../shared/google';

const DATE = '2026-11-05';
// Every event costs the stack ~30 RPCs on 2 cores (webhook, Firestore stand-in, push, worker,
// Storage, CRM): 60 engagements keep this under ~20 s; the few-thousand-engagement day runs
// over in-memory ports in test/unit/reconcile-core.test.ts.
const ENGAGEMENTS = 60;
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({
    functions: ['crm', 'zoom-webhook', 'interaction-worker', 'reconcile'],
    pushBackoff: { min: 0.05, max: 0.5 },
    maxDeliveryAttempts: 5,
    envOverrides: {
      LOG_LEVEL: 'error',
      ZOOM_API_RETRY_BASE_MS: '5',
      ZOOM_ITEM_SETTLE_MS: '0',
      ZOOM_ITEM_ORDER_WAIT_MS: '3000',
      RECONCILE_LANES: '3',
      RECONCILE_SLICE_PAGES: '3',
      RECONCILE_ZOOM_RETRY_LIMIT: '1',
      RECONCILE_ZOOM_RATE_MEDIUM: '100',
      RECONCILE_ZOOM_RETRY_BASE_MS: '20',
      RECONCILE_WAIT_SECONDS: '60',
      RECONCILE_POLL_MS: '100',
    },
  });
}, 60_000);
afterAll(() => stack?.stop());

const reconcileUrl = () => stack.functions['reconcile']!;
const schedulerToken = (options: Parameters<Stack['oidc']['mint']>[2] = {}) => stack.oidc.mint(reconcileUrl(), localServiceAccounts.scheduler, options);
const callReconcile = (body: unknown, token: string | undefined = schedulerToken()) =>
  fetch(reconcileUrl(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
const runDay = async (): Promise<RunReport> => {
  const res = await callReconcile({ from: DATE, to: DATE, trigger: 'test' });
  expect(res.status).toBe(200);
  return reportSchema.parse(await res.json());
};
const crmData = async () =>
  (await (await fetch(`${stack.functions['crm']}/admin/data`, { headers: { authorization: `Bearer ${stack.env['CRM_ADMIN_TOKEN']}` } })).json()) as {
    records: Array<{ id: string; sessionId?: string }>;
    comments: Array<{ recordId: string; body: string }>;
    attachments: Array<{ recordId: string; fileName: string; url?: string }>;
  };

describe('reconcile on the local stack', () => {
  it('repairs a day whose webhooks were partly dropped: each artifact stored once, counts match, a second run backfills nothing', async () => {
    const day = stack.zoom.generateDay({
      seed: 'reconcile-stack',
      date: DATE,
      engagements: ENGAGEMENTS,
      recordingBytes: { min: 2000, max: 20_000 },
      voicemailBytes: { min: 1000, max: 4000 },
    });
    const events = day.flatMap((e) => stack.zoom.eventsFor(e.engagementId));
    const rnd = seededRandom('stack-drops');
    const dropped: ZoomEnvelope[] = [];
    const sent: ZoomEnvelope[] = [];
    for (const e of events) (rnd() < 0.15 ? dropped : sent).push(e);
    const delivery = await stack.zoom.deliver(sent, { concurrency: 16, retryDelaysMs: [200, 400], seed: 'stack' });
    expect(delivery.acknowledged).toBe(sent.length);
    await stack.pubsub.drain(60_000);

    stack.zoom.resetStats();
    const report = await runDay();
    const seen = countByType(events);
    const missing = countByType(dropped, sent);
    for (const t of REPORT_TYPES) {
      expect({ t, ...report.types[t] }).toEqual({ t, seen: seen[t] ?? 0, present: (seen[t] ?? 0) - (missing[t] ?? 0), backfilled: missing[t] ?? 0, failed: 0 });
    }
    expect(stack.zoom.stats.apiCalls).toBe(report.apiCalls.probes + report.apiCalls.listPages);
    await stack.pubsub.drain(60_000);

    // The bucket: exactly the files Zoom has, once each, byte for byte.
    const files = day.flatMap((e) => stack.zoom.filesOf(e.engagementId));
    const objects = stack.storage.listAll().filter((o) => o.bucket === stack.env['ARCHIVE_BUCKET'] && o.name.includes(`/${DATE.replaceAll('-', '/')}/`));
    expect(objects).toHaveLength(files.length);
    expect(new Set(objects.map((o) => o.name)).size).toBe(files.length);
    const bucket = createStorage(stack.env['GCP_PROJECT']!).bucket(stack.env['ARCHIVE_BUCKET']!);
    const digests = new Set(files.map((f) => stack.zoom.fileDigest(f.path).sha256));
    for (const o of objects) {
      const [bytes] = await bucket.file(o.name).download();
      expect(digests.has(createHash('sha256').update(bytes).digest('hex'))).toBe(true);
    }
    // The CRM: one record per engagement, each note once, each artifact linked once.
    const data = await crmData();
    const ids = new Set(day.map((e) => e.engagementId));
    const records = data.records.filter((r) => r.sessionId && ids.has(r.sessionId));
    expect(records).toHaveLength(day.length);
    const recordIds = new Set(records.map((r) => r.id));
    expect(data.attachments.filter((a) => recordIds.has(a.recordId))).toHaveLength(files.length);
    expect(data.comments.filter((c) => recordIds.has(c.recordId))).toHaveLength(day.reduce((n, e) => n + e.notes.length, 0));
    // Nothing left to do: the second run only sees what is present.
    const second = await runDay();
    expect(second.runId).not.toBe(report.runId);
    expect(second.totals).toEqual({ seen: report.totals.seen, present: report.totals.seen, backfilled: 0, failed: 0 });
    const slices = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/reconcile-slices-push'))![1];
    expect(slices.deadLettered).toBe(0);
  }, 120_000);

  it('a lane step that dies mid-slice (Zoom 5xx past its retries) is redelivered by Pub/Sub and resumes at its checkpoint', async () => {
    const date = '2026-11-07';
    // 700 engagements: the engagements listing is 3 pages, planned as one slice; all present but 10.
    const day = stack.zoom.generateDay({ seed: 'reconcile-stack-resume', date, engagements: 700, recordingBytes: { min: 1000, max: 3000 } });
    const events = day.flatMap((e) => stack.zoom.eventsFor(e.engagementId));
    const missing = day.slice(0, 10).flatMap((e) => stack.zoom.eventsFor(e.engagementId));
    await seedLedger(
      createFirestoreDocStore(createFirestore(stack.env['GCP_PROJECT']!, '(default)')),
      day.slice(10).flatMap((e) => stack.zoom.eventsFor(e.engagementId)),
    );
    const before = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/reconcile-slices-push'))![1];
    // The next three requests for a further page fail: more than one request's retry limit (1).
    stack.zoom.faults.failHttp({ pathIncludes: '&next_page_token=', status: 500, times: 3 });
    stack.zoom.resetStats();
    const res = await callReconcile({ from: date, to: date });
    expect(res.status).toBe(200);
    const report = reportSchema.parse(await res.json());
    const seen = countByType(events);
    const backfill = countByType(
      missing,
      day.slice(10).flatMap((e) => stack.zoom.eventsFor(e.engagementId)),
    );
    for (const t of REPORT_TYPES)
      expect({ t, ...report.types[t] }).toEqual({
        t,
        seen: seen[t] ?? 0,
        present: (seen[t] ?? 0) - (backfill[t] ?? 0),
        backfilled: backfill[t] ?? 0,
        failed: 0,
      });
    const after = Object.entries(stack.pubsub.stats()).find(([name]) => name.endsWith('/reconcile-slices-push'))![1];
    expect(after.failedAttempts - before.failedAttempts).toBeGreaterThanOrEqual(1);
    expect(after.deadLettered).toBe(before.deadLettered);
    // No page was listed twice: each slice made one call per page, plus the three refused attempts.
    const slices = await createReconcileStore(createFirestoreDocStore(createFirestore(stack.env['GCP_PROJECT']!, '(default)'))).slicesOf(report.runId);
    expect(slices.some((s) => s.pages > 1)).toBe(true);
    for (const s of slices)
      expect({ slice: s.index, listCalls: s.listCalls, restarts: s.restarts }).toEqual({ slice: s.index, listCalls: s.pages, restarts: 0 });
    expect(stack.zoom.stats.apiCalls).toBe(report.apiCalls.probes + report.apiCalls.listPages + 3);
    expect(report.apiCalls.requests).toBe(stack.zoom.stats.apiCalls);
    await stack.pubsub.drain(60_000);
  }, 60_000);

  it('answers an empty day at once: nothing seen, nothing backfilled, one planning call per listing and chunk', async () => {
    stack.zoom.resetStats();
    const res = await callReconcile({ from: '2026-10-11', to: '2026-10-11' });
    expect(res.status).toBe(200);
    const report = reportSchema.parse(await res.json());
    expect(report.totals).toEqual({ seen: 0, present: 0, backfilled: 0, failed: 0 });
    expect(report.slices.total).toBe(0);
    // Three listings (recordings, engagements, voicemails) × four 6-hour planning chunks.
    expect(report.apiCalls.probes).toBe(12);
    expect(stack.zoom.stats.apiCalls).toBe(12);
  });
});

describe('reconcile: OIDC', () => {
  const status = async (token: string | undefined, path = '') =>
    (
      await fetch(`${reconcileUrl()}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: '{"from":"2026-10-12","to":"2026-10-12","wait":false}',
      })
    ).status;

  it('accepts Cloud Scheduler’s token for its URL', async () => {
    const res = await fetch(reconcileUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${schedulerToken()}` },
      body: '{"from":"2026-10-12","to":"2026-10-12"}',
    });
    expect(res.status).toBe(200);
    expect(reportSchema.parse(await res.json()).window).toEqual({ from: '2026-10-12T00:00:00Z', to: '2026-10-12T23:59:59Z' });
  });
  it('refuses a missing token, a wrong audience, an expired token, and a token of another issuer with 401', async () => {
    expect(await status(undefined)).toBe(401);
    expect(await status('not-a-jwt')).toBe(401);
    expect(await status(stack.oidc.mint(`${stack.functions['crm']}`, localServiceAccounts.scheduler))).toBe(401);
    expect(await status(schedulerToken({ issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresInSeconds: 3600 }))).toBe(401);
    expect(await status(schedulerToken({ issuer: 'https://evil.example' }))).toBe(401);
  });
  it('refuses a valid token of another service account with 403, on runs and on slices alike', async () => {
    expect(await status(stack.oidc.mint(reconcileUrl(), 'someone@ccbridge-local.iam.gserviceaccount.com'))).toBe(403);
    // The scheduler may start runs but not push lane steps, and the push identity may not start runs.
    expect(await status(schedulerToken(), '/slices')).toBe(403);
    expect(await status(stack.oidc.mint(reconcileUrl(), localServiceAccounts.reconcile))).toBe(403);
  });
});
