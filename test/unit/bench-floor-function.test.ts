/**
 * The benches' "durable calls alone" row (bench/_floor-function.ts) bounds what any
 * implementation can reach only if it makes the same store and bus calls as the function it
 * stands beside, carrying documents and messages of the same fields, and really makes them (a
 * second delivery of the same recording finds the first): shown here on the Functions Framework over the in-memory
 * ports, call by call and field by field against the real zoom-webhook and ui-connector.
 */
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { durableCallsAlone, FLOOR_MAPPINGS } from '../../bench/_floor-function';
import type { BenchedFunction } from '../../bench/_functions-process';
import type { Measured } from '../../bench/_http-bench';
import { throughputVerdict } from '../../bench/_verdict';
import { EVENT_KEYS_COLLECTION } from '../../functions/zoom-webhook/event-keys';
import type { DocData } from '../../shared/ports/docstore';
import { createMemoryDocStore, type MemoryDocStore } from '../support/doubles/memory-docstore';
import { createMemoryEventBus, type MemoryEventBus, type PublishedMessage } from '../support/doubles/memory-eventbus';
import { listen } from '../support/http';
import { ACCOUNT_SID, AUTH_TOKEN, PROJECT, startUiConnector } from '../support/ui-connector-fixture';
import { signedPost, startWebhook } from '../support/zoom-fixture';

const DOC_METHODS = ['get', 'getAll', 'create', 'set', 'update', 'getVersioned', 'delete', 'query', 'count'] as const;

/** Records the name and collection of every document-store call made through `docs` from now on. */
function countingDocs(docs: MemoryDocStore): string[] {
  const calls: string[] = [];
  const target = docs as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of DOC_METHODS) {
    const original = target[method]!.bind(docs);
    target[method] = (...args: unknown[]) => {
      calls.push(method);
      return original(...args);
    };
  }
  return calls;
}

const onlyDoc = (docs: MemoryDocStore, collection: string): DocData => {
  const all = Object.values(docs.dump(collection));
  expect(all).toHaveLength(1);
  return all[0]!;
};
const fieldsOf = (data: unknown) => Object.keys(data as object).sort();
const shapeOf = (m: PublishedMessage) => ({ data: fieldsOf(m.data), attributes: fieldsOf(m.attributes ?? {}) });

let registered = 0;
async function serveFloor(name: BenchedFunction, docs: MemoryDocStore, bus: MemoryEventBus) {
  const entry = `floorUnderTest${++registered}`;
  ff.http(entry, durableCallsAlone(name, { docs, bus, topic: 'the-topic' }));
  return listen(getTestServer(entry));
}

const recordingEvent = (recordingId: string) =>
  JSON.stringify({
    event: 'contact_center.recording_completed',
    event_ts: Date.now(),
    payload: { account_id: 'acct', object: { recording_id: recordingId, engagement_id: 'eng-1', download_url: 'https://zoom.example/x' } },
  });

test('the zoom-webhook floor makes the calls an accepted event makes — a create, one publish, an update — with the same fields', async () => {
  const webhookDocs = createMemoryDocStore();
  const webhookCalls = countingDocs(webhookDocs);
  const webhook = await startWebhook({}, { docs: webhookDocs });
  const floorDocs = createMemoryDocStore();
  const floorCalls = countingDocs(floorDocs);
  const floorBus = createMemoryEventBus();
  const floor = await serveFloor('zoom-webhook', floorDocs, floorBus);
  try {
    const event = recordingEvent('rec-1');
    expect((await signedPost(webhook.url, event)).status).toBe(200);
    expect((await signedPost(floor.url, event)).status).toBe(200);

    expect(webhookCalls).toEqual(['create', 'update']);
    expect(floorCalls).toEqual(webhookCalls);
    const [webhookKey, floorKey] = [onlyDoc(webhookDocs, EVENT_KEYS_COLLECTION), onlyDoc(floorDocs, EVENT_KEYS_COLLECTION)];
    expect(fieldsOf(floorKey)).toEqual(fieldsOf(webhookKey));
    expect(floorKey['body']).toBe(event);
    expect(floorKey['published']).toBe(true);
    expect(webhook.bus.published).toHaveLength(1);
    expect(floorBus.published).toHaveLength(1);
    expect(floorBus.published[0]!.topic).toBe('the-topic');
    expect(shapeOf(floorBus.published[0]!)).toEqual(shapeOf(webhook.bus.published[0]!));
  } finally {
    await webhook.stop();
    await floor.close();
  }
});

test('the zoom-webhook floor really makes its create: a second delivery of the same recording finds the first and counts as a duplicate', async () => {
  const docs = createMemoryDocStore();
  const bus = createMemoryEventBus();
  const floor = await serveFloor('zoom-webhook', docs, bus);
  try {
    expect((await signedPost(floor.url, recordingEvent('rec-2'))).status).toBe(200);
    // The key store takes the second delivery as a duplicate (a get and an update), then the floor publishes
    // again and marks it: a floor that skipped the create would not have found the first.
    const calls = countingDocs(docs);
    expect((await signedPost(floor.url, recordingEvent('rec-2'))).status).toBe(200);
    expect(calls).toEqual(['create', 'get', 'update', 'update']);
    expect(onlyDoc(docs, EVENT_KEYS_COLLECTION)['duplicates']).toBe(1);
  } finally {
    await floor.close();
  }
});

const NAME = `projects/${PROJECT}/locations/global/conversations/CA${'0'.repeat(32)}`;

test('the ui-connector floor stores and announces what conversation-name does, and reads it back on GET', async () => {
  const app = await startUiConnector({ UI_CONNECTOR_UNSIGNED_REQUESTS: 'accept' });
  const docs = createMemoryDocStore();
  const bus = createMemoryEventBus();
  const floor = await serveFloor('ui-connector', docs, bus);
  try {
    const registeredApp = await fetch(`${app.url}/register-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }),
    });
    const { token } = (await registeredApp.json()) as { token: string };
    const appCalls = countingDocs(app.docs);
    const floorCalls = countingDocs(docs);
    const body = JSON.stringify({ conversationIntegrationKey: '+14155550001', conversationName: NAME });
    const post = (url: string) =>
      fetch(`${url}/conversation-name`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: token }, body });
    const answered = await post(app.url);
    expect(await answered.text()).toContain(NAME);
    expect((await post(floor.url)).status).toBe(200);

    expect(floorCalls).toEqual(appCalls.filter((c) => c === 'set'));
    expect(appCalls.filter((c) => c === 'set')).toEqual(['set']);
    expect(fieldsOf(onlyDoc(docs, FLOOR_MAPPINGS))).toEqual(fieldsOf(onlyDoc(app.docs, 'conversations')));
    const appEvent = app.bus.published.find((m) => m.attributes?.['type'] === 'conversation.registered')!;
    expect(shapeOf(bus.published[0]!)).toEqual(shapeOf(appEvent));

    const get = (key: string) => fetch(`${floor.url}/conversation-name?conversationIntegrationKey=${encodeURIComponent(key)}`);
    floorCalls.length = 0;
    expect(await (await get('+14155550001')).json()).toEqual({ conversationName: NAME });
    expect(await (await get('+14155550002')).json()).toEqual({});
    expect(floorCalls).toEqual(['get', 'get']);
  } finally {
    await app.stop();
    await floor.close();
  }
});

test('a row’s throughput verdict: the target against the stock bare function, the deployed bare, its CPU and its bound beside', () => {
  const row = (scenario: string, requests: number, fnCpuUs: number): Measured =>
    ({ scenario, requests, seconds: 1, fnCpuUs, servicesCpuUs: 0, fnGcMsPer1k: 0, fnGcLongestMs: 0, load: '', p50Ms: 0, p99Ms: 0, errors: 0 }) as Measured;
  const bare = row('bare', 8000, 120);
  const stockBare = row('stock', 3000, 320);
  const floor = row('floor', 2800, 350);
  expect(throughputVerdict(row('fn', 2000, 500), { bare, stockBare, floor })).toBe(
    '67 % of the bare function as the Framework ships (target ≥ 50 %: met); 25 % of a bare function on the deployed server ' +
      '(its own CPU allows 24 %; its durable calls alone reach 35 %)',
  );
  expect(throughputVerdict(row('fn', 1400, 500), { stockBare })).toBe('47 % of the bare function as the Framework ships (target ≥ 50 %: NOT met)');
  expect(throughputVerdict(floor, { bare, floor })).toBe(
    '35 % of a bare function on the deployed server — the bound for any implementation making these calls',
  );
  expect(throughputVerdict(floor, {})).toBe('not compared (no bare row in this run)');
});
