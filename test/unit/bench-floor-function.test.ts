/**
 * The benches' "durable calls alone" row (bench/_floor-function.ts) bounds what any
 * implementation can reach only if it makes the same store and bus calls as the function it
 * stands beside, and really makes them (a precondition that fails, fails it): shown here on the
 * Functions Framework over the in-memory ports, call by call against the real zoom-webhook.
 */
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { DURABLE_CALLS_COLLECTION, durableCallsAlone } from '../../bench/_floor-function';
import type { BenchedFunction } from '../../bench/_functions-process';
import { createMemoryDocStore, type MemoryDocStore } from '../support/doubles/memory-docstore';
import { createMemoryEventBus, type MemoryEventBus } from '../support/doubles/memory-eventbus';
import { listen } from '../support/http';
import { signedPost, startWebhook } from '../support/zoom-fixture';

const DOC_METHODS = ['get', 'getAll', 'create', 'set', 'update', 'getVersioned', 'delete', 'query', 'count'] as const;

/** Records the name of every document-store call made through `docs`. */
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

test('the zoom-webhook floor makes the calls an accepted event makes: a create, one publish, an update', async () => {
  const webhookDocs = createMemoryDocStore();
  const webhookCalls = countingDocs(webhookDocs);
  const webhook = await startWebhook({}, { docs: webhookDocs });
  const floorDocs = createMemoryDocStore();
  const floorCalls = countingDocs(floorDocs);
  const floorBus = createMemoryEventBus();
  const floor = await serveFloor('zoom-webhook', floorDocs, floorBus);
  try {
    expect((await signedPost(webhook.url, recordingEvent('rec-1'))).status).toBe(200);
    expect((await signedPost(floor.url, recordingEvent('rec-1'))).status).toBe(200);

    expect(webhookCalls).toEqual(['create', 'update']);
    expect(floorCalls).toEqual(webhookCalls);
    expect(floorBus.published.map((m) => m.topic)).toEqual(['the-topic']);
    expect(webhook.bus.published).toHaveLength(1);
    expect(await floorDocs.get(DURABLE_CALLS_COLLECTION, 'rec-1')).toEqual({ published: true, messageId: floorBus.published[0]!.id });
  } finally {
    await webhook.stop();
    await floor.close();
  }
});

test('the zoom-webhook floor really makes its create: the same recording twice fails the second and publishes once', async () => {
  const docs = createMemoryDocStore();
  const bus = createMemoryEventBus();
  const floor = await serveFloor('zoom-webhook', docs, bus);
  try {
    expect((await signedPost(floor.url, recordingEvent('rec-2'))).status).toBe(200);
    expect((await signedPost(floor.url, recordingEvent('rec-2'))).status).toBe(500);
    expect(bus.published).toHaveLength(1);
  } finally {
    await floor.close();
  }
});

test('the ui-connector floor replaces the mapping and publishes on POST, and reads it on GET', async () => {
  const docs = createMemoryDocStore();
  const calls = countingDocs(docs);
  const bus = createMemoryEventBus();
  const floor = await serveFloor('ui-connector', docs, bus);
  try {
    const body = { conversationIntegrationKey: '+14155550001', conversationName: 'projects/p/locations/global/conversations/c1' };
    const post = await fetch(`${floor.url}/conversation-name`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(post.status).toBe(200);
    expect(calls).toEqual(['set']);
    expect(bus.published.map((m) => m.topic)).toEqual(['the-topic']);

    const get = (key: string) => fetch(`${floor.url}/conversation-name?conversationIntegrationKey=${encodeURIComponent(key)}`);
    expect(await (await get('+14155550001')).json()).toEqual({ found: true });
    expect(await (await get('+14155550002')).json()).toEqual({ found: false });
    expect(calls).toEqual(['set', 'get', 'get']);
    expect(await docs.get(DURABLE_CALLS_COLLECTION, '+14155550001')).toEqual({ conversationName: body.conversationName });
  } finally {
    await floor.close();
  }
});
