/**
 * The reconcile function on the Functions Framework, composed over in-memory Firestore and
 * Pub/Sub, with OIDC tokens from the local issuer and the Zoom mock: a run started with
 * wait=false answers 202 and dispatches its lanes; each lane message pushed to /slices —
 * as Pub/Sub's wrapped JSON, or with the emulator's ce- headers — runs the lane to the end
 * and the run's report appears; a superseded step is ignored, a step in progress answers 409,
 * an unreadable message is acknowledged. OIDC: certificates fetched once and cached, a key
 * nobody published refused, the caller's account checked per endpoint.
 */
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createMemoryDocStore, type MemoryDocStore } from '../support/doubles/memory-docstore';
import { createMemoryEventBus, type MemoryEventBus } from '../support/doubles/memory-eventbus';
import { reportSchema } from '../../shared/reconcile/report';
import { createReconcileStore } from '../../shared/reconcile/store';
import { composeReconcile } from '../../functions/reconcile/compose';
import { decodeLanePush } from '../../functions/reconcile/inputs';
import { type OidcIssuer, startOidcIssuer } from '../../local/oidc';
import { startZoomMock, type ZoomMock } from '../../local/mocks/zoom';
import { listen } from '../support/http';
import { countByType, seedLedger } from '../support/reconcile-fixture';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

const AUDIENCE = 'https://europe-west1-test.cloudfunctions.net/reconcile';
const SCHEDULER = 'reconcile-scheduler@test.iam.gserviceaccount.com';
const SELF = 'fn-reconcile@test.iam.gserviceaccount.com';
const DATE = '2026-11-09';

let zoom: ZoomMock;
let oidc: OidcIssuer;
let docs: MemoryDocStore;
let bus: MemoryEventBus;
let url: string;
let close: () => Promise<void>;
let now = Date.now();

beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
  oidc = await startOidcIssuer();
  const day = zoom.generateDay({ seed: 'reconcile-http', date: DATE, engagements: 700 });
  docs = createMemoryDocStore();
  bus = createMemoryEventBus();
  // Everything present but the first 20 engagements.
  await seedLedger(
    docs,
    day.slice(20).flatMap((e) => zoom.eventsFor(e.engagementId)),
  );
  const handler = composeReconcile(
    {
      GCP_PROJECT: 'ccbridge-test',
      LOG_LEVEL: 'error',
      ZOOM_API_BASE_URL: `${zoom.baseUrl}/v2`,
      ZOOM_OAUTH_TOKEN_URL: `${zoom.baseUrl}/oauth/token`,
      ZOOM_ACCOUNT_ID: ZOOM_CREDENTIALS.accountId,
      ZOOM_CLIENT_ID: ZOOM_CREDENTIALS.clientId,
      ZOOM_CLIENT_SECRET: ZOOM_CREDENTIALS.clientSecret,
      ZOOM_EVENTS_TOPIC: 'zoom-events',
      RECONCILE_SLICES_TOPIC: 'reconcile-slices',
      RECONCILE_AUDIENCE: AUDIENCE,
      RECONCILE_INVOKERS: `${SCHEDULER}, ops@test.iam.gserviceaccount.com`,
      RECONCILE_PUSH_INVOKERS: SELF,
      OIDC_CERTS_URL: oidc.certsUrl,
      RECONCILE_LANES: '2',
      RECONCILE_SLICE_PAGES: '1',
      RECONCILE_ZOOM_RATE_MEDIUM: '200',
      RECONCILE_POLL_MS: '50',
    },
    { docs, bus },
    { now: () => now },
  );
  ff.http('reconcileHttpTest', handler);
  ({ url, close } = await listen(getTestServer('reconcileHttpTest')));
});
afterAll(async () => {
  await close();
  await zoom.stop();
  await oidc.stop();
});
beforeEach(() => {
  now = Date.now();
});

const post = (path: string, token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify(body),
  });
const pushBody = (data: unknown, id = '1') => ({
  message: { data: Buffer.from(JSON.stringify(data)).toString('base64'), attributes: {}, messageId: id, publishTime: new Date().toISOString() },
  subscription: 'projects/p/subscriptions/reconcile-slices-push',
});
const certFetches = () => oidc.requests.filter((r) => r.path === '/oauth2/v1/certs').length;

describe('reconcile over HTTP', () => {
  it('runs a window through its lanes pushed to /slices, and answers the report', async () => {
    const started = await post('/', oidc.mint(AUDIENCE, SCHEDULER), { from: DATE, to: DATE, wait: false, trigger: 'test' });
    expect(started.status).toBe(202);
    const { runId } = (await started.json()) as { runId: string };
    const lanes = bus.published.filter((m) => m.topic === 'reconcile-slices');
    expect(lanes.map((m) => m.data)).toEqual([
      { runId, lane: 0, step: 1 },
      { runId, lane: 1, step: 1 },
    ]);
    expect(lanes[0]!.attributes).toMatchObject({ runId, lane: '0' });

    const self = oidc.mint(AUDIENCE, SELF);
    // Lane 0 as Pub/Sub pushes to an HTTP endpoint; lane 1 as the emulator does (ce- headers too).
    const first = await post('/slices', self, pushBody(lanes[0]!.data, 'm-1'));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ outcome: 'finished' });
    const second = await post('/slices', self, pushBody(lanes[1]!.data, 'm-2'), {
      'ce-id': 'm-2',
      'ce-specversion': '1.0',
      'ce-type': 'google.cloud.pubsub.topic.v1.messagePublished',
      'ce-source': '//pubsub.googleapis.com/projects/p/topics/reconcile-slices',
    });
    expect(second.status).toBe(200);

    const reportRes = await fetch(`${url}/runs/${runId}`, { headers: { authorization: `Bearer ${oidc.mint(AUDIENCE, SCHEDULER)}` } });
    expect(reportRes.status).toBe(200);
    const report = reportSchema.parse(await reportRes.json());
    expect(report.state).toBe('complete');
    const missing = zoom
      .engagements()
      .slice(0, 20)
      .flatMap((e) => zoom.eventsFor(e.engagementId));
    expect(report.totals.backfilled).toBe(Object.values(countByType(missing)).reduce((a, b) => a + b, 0));
    expect(bus.published.filter((m) => m.topic === 'zoom-events')).toHaveLength(report.totals.backfilled);

    // A redelivery of an old step changes nothing.
    const again = await post('/slices', self, pushBody(lanes[0]!.data, 'm-1'));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ outcome: 'ignored' });

    // The same window asked again: a new run that finds everything queued... still missing in
    // the ledger (nobody ran the worker here), so it is queued again: the worker's dedup makes that harmless.
    const waited = await post('/', oidc.mint(AUDIENCE, 'ops@test.iam.gserviceaccount.com'), { from: DATE, to: DATE, wait: false });
    expect(waited.status).toBe(202);
  });

  it('answers 409 for a step another delivery is working on, and acknowledges unreadable messages', async () => {
    const store = createReconcileStore(docs);
    const runId = 'busy-run';
    await store.createRun({
      runId,
      windowKey: 'busy',
      from: `${DATE}T00:00:00Z`,
      to: `${DATE}T00:59:59Z`,
      dryRun: false,
      trigger: 'test',
      state: 'planning',
      startedAt: new Date().toISOString(),
      rates: { light: 10, medium: 10, heavy: 10 },
    });
    await store.updateRun(runId, {
      state: 'running',
      lanes: 1,
      plan: [{ source: 'engagements', from: `${DATE}T00:00:00Z`, to: `${DATE}T00:59:59Z`, estimatedPages: 1 }],
    });
    await store.createLane(runId, 0);
    await store.updateLane(runId, 0, { step: 3, owner: 'another-delivery', heartbeatAt: Date.now() });
    const self = oidc.mint(AUDIENCE, SELF);
    expect((await post('/slices', self, pushBody({ runId, lane: 0, step: 3 }))).status).toBe(409);
    expect(await (await post('/slices', self, pushBody({ runId, lane: 0, step: 2 }))).json()).toEqual({ outcome: 'stale' });
    expect((await post('/slices', self, pushBody('not a lane'))).status).toBe(204);
    expect((await post('/slices', self, { nothing: true })).status).toBe(204);
  });

  it('reads a push body whichever way it arrives', () => {
    expect(decodeLanePush(pushBody({ runId: 'r', lane: 1, step: 2 }))).toMatchObject({ ok: true, message: { runId: 'r', lane: 1, step: 2 }, messageId: '1' });
    expect(decodeLanePush({ message: { data: Buffer.from('{"runId":"r","lane":0,"step":0}').toString('base64'), message_id: 'x' } })).toMatchObject({
      ok: true,
      messageId: 'x',
    });
    expect(decodeLanePush({ message: { data: 'bm90IGpzb24=' } })).toEqual({ ok: false, reason: 'message data is not JSON' });
  });
});

describe('reconcile: OIDC', () => {
  const status = async (token: string | undefined, path = '/') => (await post(path, token, { from: '2026-10-01', to: '2026-10-01', wait: false })).status;

  it('fetches the certificates once and keeps them for their max-age', async () => {
    const before = certFetches();
    for (let i = 0; i < 5; i++) expect(await status(oidc.mint(AUDIENCE, SCHEDULER))).toBeLessThan(300);
    expect(certFetches() - before).toBeLessThanOrEqual(1);
  });

  it('refuses missing, malformed, expired, wrongly addressed and foreign-issuer tokens with 401', async () => {
    expect(await status(undefined)).toBe(401);
    expect(await status('abc.def')).toBe(401);
    expect(await status(oidc.mint('https://elsewhere.example/reconcile', SCHEDULER))).toBe(401);
    expect(await status(oidc.mint(AUDIENCE, SCHEDULER, { issuedAt: Math.floor(Date.now() / 1000) - 4000, expiresInSeconds: 3600 }))).toBe(401);
    expect(await status(oidc.mint(AUDIENCE, SCHEDULER, { issuer: 'https://login.example' }))).toBe(401);
    const body = await (await post('/', oidc.mint(AUDIENCE, SCHEDULER, { issuedAt: Math.floor(Date.now() / 1000) - 4000, expiresInSeconds: 3600 }), {})).json();
    expect(body).toMatchObject({ code: 'unauthenticated', message: expect.stringContaining('expired') });
    expect(JSON.stringify(body)).not.toContain('eyJ');
  });

  it('refuses a key nobody published (401), asking for the certificates again at most once a minute', async () => {
    const other = await startOidcIssuer();
    try {
      const before = certFetches();
      now = Date.now() + 61_000;
      expect(await status(other.mint(AUDIENCE, SCHEDULER))).toBe(401);
      expect(await status(other.mint(AUDIENCE, SCHEDULER))).toBe(401);
      expect(certFetches() - before).toBe(1);
    } finally {
      await other.stop();
    }
  });

  it('refuses a valid token of an account not allowed on the endpoint with 403', async () => {
    expect(await status(oidc.mint(AUDIENCE, 'intruder@test.iam.gserviceaccount.com'))).toBe(403);
    expect(await status(oidc.mint(AUDIENCE, SELF))).toBe(403);
    expect(await status(oidc.mint(AUDIENCE, SCHEDULER), '/slices')).toBe(403);
  });
});
