/**
 * What the reconciliation expects of a listed item must be what the worker records for the
 * webhook event of the same thing: same ledger keys (so "present" is judged right), and an
 * envelope the worker plans into exactly that entry. Checked against the worker's own
 * planning, for every event of a generated day, plus the listing's odd cases.
 */
import { planEvent } from '../../functions/interaction-worker/plan';
import { Secret } from '../../shared/config';
import { createLaneLimits } from '../../shared/reconcile/lane-limits';
import { entriesOfEngagement, entriesOfMessagingTranscript, entriesOfVoicemail, type ExpectedEntry } from '../../shared/reconcile/expected';
import { listSourcePage, SOURCES } from '../../shared/reconcile/sources';
import { createReconcileZoom } from '../../shared/reconcile/zoom-clients';
import { zoomEnvelopeSchema } from '../../shared/zoom/events';
import { startZoomMock, type ZoomMock } from '../../local/mocks/zoom';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

const DATE = '2026-11-08';
let zoom: ZoomMock;
beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS });
  zoom.generateDay({ seed: 'expected', date: DATE, engagements: 400 });
});
afterAll(() => zoom.stop());

const planned = (envelope: unknown) => {
  const plan = planEvent({ v: 1, key: 'k', source: 'reconcile', receivedAt: new Date().toISOString(), envelope: zoomEnvelopeSchema.parse(envelope) });
  if (!plan) throw new Error('no plan');
  return plan;
};
const keysOfPlan = (plan: ReturnType<typeof planned>) => [...plan.artifacts.map((a) => `${plan.engagementId}|artifacts|${a.key}`), ...plan.items.map((i) => `${plan.engagementId}|items|${i.key}`)];
const keyOf = (e: ExpectedEntry) => `${e.engagementId}|${e.section}|${e.key}`;

describe('expected entries', () => {
  it('list the same ledger keys, with the same storage dates, as the webhook events of the day', async () => {
    const client = createReconcileZoom({
      apiBaseUrl: `${zoom.baseUrl}/v2`,
      tokenUrl: `${zoom.baseUrl}/oauth/token`,
      accountId: ZOOM_CREDENTIALS.accountId,
      clientId: ZOOM_CREDENTIALS.clientId,
      clientSecret: new Secret(ZOOM_CREDENTIALS.clientSecret),
      retry: { limit: 2, baseDelayMs: 10, maxDelayMs: 50 },
    })(createLaneLimits().join('test', 0, { light: 1000, medium: 1000, heavy: 1000 }, 1));
    const entries: ExpectedEntry[] = [];
    for (const source of SOURCES) {
      let token: string | undefined;
      do {
        const page = await listSourcePage(client, source, { from: `${DATE}T00:00:00Z`, to: `${DATE}T23:59:59Z`, ...(token ? { nextPageToken: token } : {}) }, ZOOM_CREDENTIALS.accountId);
        entries.push(...page.entries);
        token = page.nextPageToken;
      } while (token);
    }
    const fromWebhooks = zoom.engagements().flatMap((e) => zoom.eventsFor(e.engagementId).flatMap((ev) => keysOfPlan(planned(ev))));
    expect(entries.map(keyOf).sort()).toEqual([...fromWebhooks].sort());

    // Each envelope the reconciliation would queue plans into exactly its own entry, on the same date.
    const webhookTimes = new Map(zoom.engagements().flatMap((e) => zoom.eventsFor(e.engagementId).flatMap((ev) => { const p = planned(ev); return p.artifacts.map((a) => [`${p.engagementId}|${a.key}`, a.time] as const); })));
    for (const entry of entries) {
      const plan = planned(entry.envelope!());
      expect(keysOfPlan(plan)).toContain(keyOf(entry));
      expect(plan.artifacts.length + plan.items.length).toBe(1);
      const artifact = plan.artifacts[0];
      if (artifact) expect(artifact.time).toBe(webhookTimes.get(`${plan.engagementId}|${artifact.key}`));
    }
  });

  it('derive note keys without note_id the way the worker does, and order dispositions without a time by the listing', () => {
    const engagement = { engagement_id: 'e-1', end_time: '2026-11-08T10:00:00Z', notes: [{ note: 'hello', user_id: 'u-1', created_time: '2026-11-08T09:59:00Z' }], dispositions: [{ disposition_id: 'd-1', user_id: 'u-1' }, { disposition_id: 'd-2', user_id: 'u-2' }] } as unknown as Parameters<typeof entriesOfEngagement>[0];
    const entries = entriesOfEngagement(engagement, 'acct');
    for (const e of entries) expect(keysOfPlan(planned(e.envelope!()))).toContain(keyOf(e));
    const [first, second] = entries.filter((e) => e.type === 'disposition').map((e) => e.envelope!().event_ts!);
    expect(first).toBeLessThan(second!);
    expect(second).toBeLessThan(Date.parse('2026-11-08T10:00:00Z'));
  });

  it('cannot queue what the listing lacks: a voicemail without engagement, a transcript without URL', () => {
    const [vm] = entriesOfVoicemail({ message_id: 'vm-x', download_url: 'https://zoom.example/vm' } as Parameters<typeof entriesOfVoicemail>[0], 'acct');
    expect(vm).toMatchObject({ envelope: undefined, problem: expect.stringContaining('engagement_id') });
    const [mt] = entriesOfMessagingTranscript({ engagement_id: 'e-9' } as Parameters<typeof entriesOfMessagingTranscript>[0], 'acct');
    expect(mt).toMatchObject({ envelope: undefined, key: 'messaging-transcript' });
  });
});
