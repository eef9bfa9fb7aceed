/**
 * The operator function on the local stack: private like on Cloud Run (no token 401, a caller
 * outside the operators' group 403, the proxy forwards GET/HEAD/POST only), and through the local proxy that `npm start` prints the
 * page headless Chromium loads shows the timeline, the verdict and the day chart, whose bars
 * carry the same counts as the JSON the CLI prints.
 */
import { existsSync } from 'node:fs';
import { startOperatorProxy, type OperatorProxy } from '../../local/operator-proxy';
import { type Stack, startStack } from '../../local/stack';
import type { MockEngagement } from '../../local/mocks/zoom/model';
import type { DayView } from '../../shared/trace/day';
import { createPubSub } from '../../shared/google';
import type { Trace } from '../../shared/trace/trace';
import { CHROMIUM, dumpDom } from '../support/chromium';

let stack: Stack;
let proxy: OperatorProxy;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  stack = await startStack({
    functions: ['crm', 'zoom-webhook', 'interaction-worker', 'operator'],
    pushBackoff: { min: 0.05, max: 0.2 },
    envOverrides: { LOG_LEVEL: 'error', ZOOM_NOT_READY_DELAYS_MS: '20,50', ZOOM_ITEM_SETTLE_MS: '0' },
  });
  proxy = await startOperatorProxy({ functionUrl: stack.functions['operator']!, mint: (aud, email) => stack.oidc.mint(aud, email) });
  const base = stack.zoom.generateDay({ seed: 'operator-page', date: '2026-11-15', engagements: 1 })[0]!;
  const e: MockEngagement = { ...base, engagementId: 'eng-op-1', voicemails: [], messagingTranscript: false, dispositions: [], notes: [] };
  e.recordings = [
    {
      recordingId: 'rec-op-1',
      bytes: 1500,
      contentType: 'audio/mpeg',
      startTime: base.startTime,
      endTime: base.endTime,
      durationSeconds: 2,
      transcript: false,
    },
  ];
  stack.zoom.addEngagement(e);
  const at = Date.now() - 60_000;
  await stack.zoom.deliver(
    stack.zoom.eventsFor('eng-op-1').map((ev, i) => ({ ...ev, event_ts: at + i })),
    { retryDelaysMs: [], duplicate: 1 },
  );
  // One delivery refused (unsigned, claiming eng-op-1) and one message dead-lettered: the chart's other two series.
  const unsigned = await fetch(stack.functions['zoom-webhook']!, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ event: 'contact_center.recording_completed', payload: { object: { engagement_id: 'eng-op-1' } } }),
  });
  expect(unsigned.status).toBe(401);
  const pubsub = createPubSub(stack.env['GCP_PROJECT']!);
  await pubsub
    .topic('zoom-events-dead-letter')
    .publishMessage({ data: Buffer.from('{}'), attributes: { engagementId: 'eng-op-2', CloudPubSubDeadLetterSourceDeliveryCount: '5' } });
  await pubsub.close();
  await stack.pubsub.drain(30_000);
}, 90_000);
afterAll(async () => {
  await proxy?.stop();
  await stack?.stop();
});

describe('operator function', () => {
  it('is private: no ID token 401, an account outside the operators 403, the proxy forwards GET, HEAD and POST only', async () => {
    expect((await fetch(`${stack.functions['operator']}/api/day`)).status).toBe(401);
    const outsider = stack.oidc.mint(stack.functions['operator']!, 'someone@example.com');
    expect((await fetch(`${stack.functions['operator']}/api/day`, { headers: { authorization: `Bearer ${outsider}` } })).status).toBe(403);
    expect((await fetch(proxy.url, { method: 'DELETE' })).status).toBe(405);
  });

  it('JSON endpoints: the trace and the day; bad input is a 400 naming the parameter', async () => {
    const t = (await (await fetch(`${proxy.url}api/trace?id=eng-op-1`)).json()) as Trace;
    expect(t.verdict.status).toBe('complete');
    const bad = await fetch(`${proxy.url}api/day?day=2026-99-99`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/day/);
    expect((await fetch(`${proxy.url}api/trace`)).status).toBe(400);
    // The page's form posts: the same trace through POST, and a phone number is refused in a URL.
    const posted = await fetch(`${proxy.url}page`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'id=eng-op-1' });
    expect(await posted.text()).toMatch(/class="verdict complete"/);
    const phoneInUrl = await fetch(`${proxy.url}api/trace?id=${encodeURIComponent('+1 415 555 0100')}`);
    expect(phoneInUrl.status).toBe(400);
    expect(await phoneInUrl.text()).toMatch(/POST body/);
  });

  it('in headless Chromium: the verdict, the timeline, and a chart whose bars equal the day JSON', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const day = (await (await fetch(`${proxy.url}api/day?day=${today}`)).json()) as DayView;
    expect(day.totals.received).toBeGreaterThan(0);
    expect(day.totals.refused).toBe(1);
    expect(day.totals.deadLettered).toBe(1);
    const dom = await dumpDom(`${proxy.url}page?id=eng-op-1&day=${today}`);
    expect(dom).toMatch(/<p id="verdict" class="verdict complete">COMPLETE: /);
    expect(dom).toMatch(/data-kind="webhook"/);
    expect(dom).toMatch(/data-kind="object"/);
    expect(dom).toMatch(/data-kind="refused"/);
    expect(dom).toMatch(/<svg id="day-chart"/);
    const bars = [...dom.matchAll(/<rect class="bar" data-series="(\w+)" data-hour="(\d+)" data-value="(\d+)"[^>]*height="([\d.]+)"/g)];
    expect(bars).toHaveLength(24 * 7);
    for (const series of ['received', 'duplicates', 'refused', 'stored', 'deadLettered'] as const) {
      for (const h of day.hours) {
        const bar = bars.find((b) => b[1] === series && Number(b[2]) === h.hour)!;
        expect(Number(bar[3])).toBe(h[series]);
        // A non-zero count draws a visible bar, a zero one none.
        expect(Number(bar[4]) > 0).toBe(h[series] > 0);
      }
    }
    expect(dom).toMatch(/Nothing needs a person/);
    expect(dom).toMatch(/<p id="refused">Refused deliveries: bad_signature 1\.<\/p>/);
    expect(dom).toMatch(/<div id="dead-letters">.*message \d+ — <a href="\?id=eng-op-2">eng-op-2<\/a> after 5 attempts/);
  });
});
