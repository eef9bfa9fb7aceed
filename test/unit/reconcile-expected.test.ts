/**
 * What the reconciliation expects of a listed item must be what the worker records for the
 * webhook event of the same thing: same ledger keys (so "present" is judged right), and an
 * envelope the worker plans into exactly that entry. Checked against the worker's own
 * planning, for every event of a generated day, plus the listing's odd cases.
 */
import { planEvent } from '../../functions/interaction-worker/plan';
import { Secret } from '../../shared/config';
import { createLaneLimits } from '../../shared/reconcile/lane-limits';
import { entriesOfEngagement, entriesOfVoicemail, type ExpectedEntry } from '../../shared/reconcile/expected';
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
const keysOfPlan = (plan: ReturnType<typeof planned>) => [
  ...plan.artifacts.map((a) => `${plan.engagementId}|artifacts|${a.key}`),
  ...plan.items.map((i) => `${plan.engagementId}|items|${i.key}`),
];
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
        const page = await listSourcePage(
          client,
          source,
          { from: `${DATE}T00:00:00Z`, to: `${DATE}T23:59:59Z`, ...(token ? { nextPageToken: token } : {}) },
          ZOOM_CREDENTIALS.accountId,
        );
        entries.push(...page.entries);
        token = page.nextPageToken;
      } while (token);
    }
    // A voicemail is announced twice when transcribed (inbox_message_received, then voicemail_transcript_completed).
    const fromWebhooks = new Set(zoom.engagements().flatMap((e) => zoom.eventsFor(e.engagementId).flatMap((ev) => keysOfPlan(planned(ev)))));
    expect(entries.filter((e) => e.envelope === undefined)).toEqual([]);
    expect(entries.map(keyOf).sort()).toEqual([...fromWebhooks].sort());
    // The day has what the keys must survive: messaging transcripts, voicemails with and without transcript, sparse items.
    expect(entries.filter((e) => e.type === 'messaging_transcript').length).toBeGreaterThan(10);
    expect(entries.filter((e) => e.type === 'voicemail').length).toBeGreaterThan(entries.filter((e) => e.type === 'voicemail_transcript').length);

    // Each envelope the reconciliation would queue plans into exactly its own entry, on the same date.
    const webhookTimes = new Map(
      zoom.engagements().flatMap((e) =>
        zoom.eventsFor(e.engagementId).flatMap((ev) => {
          const p = planned(ev);
          return p.artifacts.map((a) => [`${p.engagementId}|${a.key}`, a.time] as const);
        }),
      ),
    );
    for (const entry of entries) {
      const plan = planned(entry.envelope!());
      expect(keysOfPlan(plan)).toContain(keyOf(entry));
      expect(plan.artifacts.length + plan.items.length).toBe(1);
      const artifact = plan.artifacts[0];
      if (artifact) expect(artifact.time).toBe(webhookTimes.get(`${plan.engagementId}|${artifact.key}`));
    }
  });

  it('derive note and disposition keys from what the listing and the event both carry, and order dispositions without a time by the listing', () => {
    // The listing's shapes (docs/contracts/zoom.md): notes with last_modified_time and the last editor, dispositions with id and name only.
    const engagement = {
      engagement_id: 'e-1',
      end_time: '2026-11-08T10:00:00Z',
      queues: [{ cc_queue_id: 'q-1', queue_name: 'Sales' }],
      agents: [],
      channels: [],
      consumers: [],
      notes: [{ note_id: 'n-1', note: 'hello', user_id: 'u-editor', last_modified_time: '2026-11-08T09:59:00Z' }],
      dispositions: [
        { disposition_id: 'd-1', disposition_name: 'Sale' },
        { disposition_id: 'd-2', disposition_name: 'Callback' },
      ],
    } as unknown as Parameters<typeof entriesOfEngagement>[0];
    const entries = entriesOfEngagement(engagement, 'acct');
    for (const e of entries) expect(keysOfPlan(planned(e.envelope!()))).toContain(keyOf(e));
    // The event of the same note (by its author, perhaps without note_id) and of the same disposition (by an agent) land on the same keys.
    const note = planned({
      event: 'contact_center.engagement_note_added',
      event_ts: 1,
      payload: { object: { engagement_id: 'e-1', note: 'hello', user_id: 'u-author' } },
    });
    const disposition = planned({
      event: 'contact_center.engagement_disposition_added',
      event_ts: 1,
      payload: { object: { engagement_id: 'e-1', disposition_id: 'd-1', user_id: 'u-agent' } },
    });
    expect(entries.map(keyOf)).toEqual(expect.arrayContaining([...keysOfPlan(note), ...keysOfPlan(disposition)]));
    const [first, second] = entries.filter((e) => e.type === 'disposition').map((e) => e.envelope!().event_ts!);
    expect(first).toBeLessThan(second!);
    expect(second).toBeLessThan(Date.parse('2026-11-08T10:00:00Z'));
    expect(entries.find((e) => e.type === 'disposition')!.envelope!().payload!.object).toMatchObject({ queue_id: 'q-1' });
  });

  it("find a messaging engagement's transcript on the engagement itself, keyed as its event is", () => {
    const engagement = {
      engagement_id: 'e-7',
      start_time: '2026-11-08T09:00:00Z',
      end_time: '2026-11-08T09:10:00Z',
      queues: [],
      agents: [],
      channels: [{ channel: 'messaging' }],
      consumers: [],
      notes: [],
      dispositions: [],
      transcript_url: 'https://api.zoom.us/v2/contact_center/engagements/transcripts/download/e-7',
    } as unknown as Parameters<typeof entriesOfEngagement>[0];
    const [mt] = entriesOfEngagement(engagement, 'acct');
    const event = planned({
      event: 'contact_center.engagement_messaging_transcript_completed',
      event_ts: 1,
      payload: { object: { engagement_id: 'e-7', message_id: 'm-1', transcript_url: engagement.transcript_url } },
    });
    expect(mt).toMatchObject({ type: 'messaging_transcript', key: 'messaging-transcript' });
    expect(keysOfPlan(event)).toEqual([keyOf(mt!)]);
  });

  it(
    'report what the listing lacks instead of queueing it, and go on: a voicemail without engagement or file, a ' +
      'note without text, a disposition without id',
    () => {
      const [vm] = entriesOfVoicemail({ message_id: 'vm-x', download_url: 'https://api.zoom.us/vm' } as Parameters<typeof entriesOfVoicemail>[0], 'acct');
      expect(vm).toMatchObject({ envelope: undefined, problem: expect.stringContaining('engagement_id') });
      const [bare] = entriesOfVoicemail({ message_id: 'vm-y', engagement_id: 'e-1' } as Parameters<typeof entriesOfVoicemail>[0], 'acct');
      expect(bare).toMatchObject({ envelope: undefined, problem: expect.stringContaining('download_url') });
      const engagement = {
        engagement_id: 'e-2',
        queues: [],
        agents: [],
        channels: [],
        consumers: [],
        notes: [{ note_id: 'n-1' }, { note: 'kept' }],
        dispositions: [{ disposition_name: 'no id' }, { disposition_id: 'd-1' }],
      } as unknown as Parameters<typeof entriesOfEngagement>[0];
      const entries = entriesOfEngagement(engagement, 'acct');
      expect(entries.filter((e) => e.envelope === undefined).map((e) => e.problem)).toEqual([
        expect.stringContaining('text'),
        expect.stringContaining('disposition_id'),
      ]);
      expect(entries.filter((e) => e.envelope !== undefined)).toHaveLength(2);
    },
  );

  it('a voicemail without transcript (only its audio) is one entry, queued as the event that announces it', () => {
    const entries = entriesOfVoicemail(
      {
        message_id: 'vm-z',
        engagement_id: 'e-3',
        created_at: '2026-11-08T09:00:00Z',
        download_url: 'https://api.zoom.us/v2/contact_center/inbox/message/download/vm-z?type=voicemail',
      } as Parameters<typeof entriesOfVoicemail>[0],
      'acct',
    );
    expect(entries.map((e) => e.type)).toEqual(['voicemail']);
    const received = planned({
      event: 'contact_center.inbox_message_received',
      event_ts: 1,
      payload: {
        object: {
          engagement_id: 'e-3',
          message_id: 'vm-z',
          message_type: 'voicemail',
          created_at: '2026-11-08T09:00:00Z',
          download_url: 'https://api.zoom.us/x',
        },
      },
    });
    expect(keysOfPlan(received)).toEqual([keyOf(entries[0]!)]);
    expect(received.artifacts[0]!.time).toBe(planned(entries[0]!.envelope!()).artifacts[0]!.time);
  });
});
