/**
 * The "durable calls alone" row of the HTTP benchmarks: a function that makes, per request, the
 * Firestore and Pub/Sub calls the benched function's guarantees rest on — through the same
 * adapters, against the same stand-ins — and nothing else: no signature, no validation, no
 * logging, the smallest documents and messages. No implementation that keeps those calls can
 * cost less, so its throughput against the bare function bounds every such implementation's
 * ratio from above (issue #15: whether a target is reachable at all, measured, not argued).
 *
 * Per request:
 *   zoom-webhook  create the event's key document, publish it, mark it published (the three
 *                 calls an accepted event makes; functions/zoom-webhook/receive.ts);
 *   ui-connector  POST: replace the mapping document and publish (conversation-name's write);
 *                 GET: read the mapping document (the poll).
 * Ids come from the bodies and queries the bench already sends (distinct recording ids;
 * the phone numbers), which the Framework has parsed before any function runs.
 */
import type { HttpFunction } from '../shared/http/app';
import type { DocStore } from '../shared/ports/docstore';
import type { EventBus } from '../shared/ports/eventbus';
import type { BenchedFunction } from './_functions-process';

export const DURABLE_CALLS_COLLECTION = 'benchDurableCallsAlone';
const COLLECTION = DURABLE_CALLS_COLLECTION;

/** `topic`: the one the benched function publishes to (ZOOM_EVENTS_TOPIC, CONVERSATION_EVENTS_TOPIC). */
export function durableCallsAlone(name: BenchedFunction, ports: { docs: DocStore; bus: EventBus; topic: string }): HttpFunction {
  const { docs, bus, topic } = ports;
  if (name === 'zoom-webhook') {
    return async (req, res) => {
      const id = String(req.body?.payload?.object?.recording_id);
      await docs.create(COLLECTION, id, { published: false });
      const messageId = await bus.publish(topic, { data: { id } });
      await docs.update(COLLECTION, id, { published: true, messageId });
      res.json({});
    };
  }
  return async (req, res) => {
    if (req.method === 'GET') {
      const found = await docs.get(COLLECTION, String(req.query['conversationIntegrationKey']));
      res.json({ found: found !== undefined });
      return;
    }
    const id = String(req.body?.conversationIntegrationKey);
    await docs.set(COLLECTION, id, { conversationName: String(req.body?.conversationName) }, { merge: false });
    await bus.publish(topic, { data: { id } });
    res.json({});
  };
}
