/**
 * The "durable calls alone" row of the HTTP benchmarks: a function that makes, per request, the
 * Firestore and Pub/Sub calls the benched function's guarantees rest on — through the function's
 * own store layer and the same adapters, with documents and messages of the same fields and
 * sizes, against the same stand-ins — and nothing else: no signature or token check, no
 * validation, no key derivation, no logging. An implementation that keeps those calls and what
 * they carry cannot cost less, so this row's throughput against the bare function bounds every
 * such implementation's ratio from above (issue #15: whether a target is reachable at all,
 * measured rather than argued).
 *
 * Per request:
 *   zoom-webhook  record the event's key (functions/zoom-webhook/event-keys.ts: a create of the
 *                 key document holding the raw event), publish the queued event, mark it
 *                 published — the three calls an accepted event makes (receive.ts);
 *   ui-connector  POST: replace the mapping (conversation-store.ts) and publish a
 *                 `conversation.registered` of the same fields; GET: read the mapping.
 * Ids come from the bodies and queries the bench already sends (distinct recording ids; the
 * phone numbers), which the Framework has parsed before any function runs.
 */
import type { HttpFunction } from '../shared/http/app';
import type { DocStore } from '../shared/ports/docstore';
import type { EventBus } from '../shared/ports/eventbus';
import type { ZoomEnvelope } from '../shared/zoom/events';
import { type QueuedZoomEvent, queuedEventAttributes } from '../shared/zoom/queued-event';
import { createConversationStore } from '../functions/ui-connector/conversation-store';
import { createEventKeyStore } from '../functions/zoom-webhook/event-keys';
import type { BenchedFunction } from './_functions-process';

/** The ui-connector floor's mappings (the zoom-webhook floor's keys share `zoomEventKeys`, with ids no event has). */
export const FLOOR_MAPPINGS = 'benchFloorConversations';
const TTL_MS = 3_600_000;
/** Stands for the token's user the function records (a Twilio account's, about this long). */
const REGISTERED_BY = 'twilio:AC00000000000000000000000000000000';

export interface FloorPorts {
  docs: DocStore;
  bus: EventBus;
  /** The topic the benched function publishes to (ZOOM_EVENTS_TOPIC, CONVERSATION_EVENTS_TOPIC). */
  topic: string;
}

export function durableCallsAlone(name: BenchedFunction, ports: FloorPorts): HttpFunction {
  return name === 'zoom-webhook' ? webhookCalls(ports) : conversationNameCalls(ports);
}

function webhookCalls({ docs, bus, topic }: FloorPorts): HttpFunction {
  const keys = createEventKeyStore(docs, { keyTtlMs: TTL_MS });
  return async (req, res) => {
    const envelope = req.body as ZoomEnvelope & { payload: { object: { recording_id: string; engagement_id: string } } };
    const { recording_id: recordingId, engagement_id: engagementId } = envelope.payload.object;
    const key = `floor|${recordingId}`;
    const receivedAt = new Date();
    await keys.record({
      key,
      event: envelope.event,
      engagementId,
      body: (req as { rawBody?: Buffer }).rawBody?.toString('utf8') ?? '',
      receivedAt,
      signature: String(req.headers['x-zm-signature']),
      fresh: true,
    });
    const message: QueuedZoomEvent = { v: 1, key, source: 'webhook', receivedAt: receivedAt.toISOString(), envelope };
    const messageId = await bus.publish(topic, { data: message, attributes: queuedEventAttributes(message, engagementId) });
    await keys.markPublished(key, messageId);
    res.json({});
  };
}

function conversationNameCalls({ docs, bus, topic }: FloorPorts): HttpFunction {
  const store = createConversationStore({ docs, collection: FLOOR_MAPPINGS, now: () => new Date() });
  const keyOf = (value: string) => ({ kind: 'phone' as const, value, hash: value });
  return async (req, res) => {
    if (req.method === 'GET') {
      const mapping = await store.get(keyOf(String(req.query['conversationIntegrationKey'])));
      res.json(mapping ? { conversationName: mapping.conversationName } : {});
      return;
    }
    const body = req.body as { conversationIntegrationKey: string; conversationName: string };
    const key = keyOf(body.conversationIntegrationKey);
    const registeredAt = new Date();
    const expireAt = new Date(registeredAt.getTime() + TTL_MS);
    const registrationId = `floor-${key.value}-${registeredAt.getTime()}`;
    await store.put(key, { conversationName: body.conversationName, keyKind: key.kind, registeredAt, expireAt, registrationId, registeredBy: REGISTERED_BY });
    const data = {
      type: 'conversation.registered',
      version: 1,
      registrationId,
      conversationName: body.conversationName,
      conversationIntegrationKey: key.value,
      keyKind: key.kind,
      keyHash: key.hash,
      registeredAt: registeredAt.toISOString(),
      expireAt: expireAt.toISOString(),
      registeredBy: REGISTERED_BY,
    };
    await bus.publish(topic, { data, attributes: { type: data.type, keyKind: key.kind, registrationId } });
    res.json({ [body.conversationIntegrationKey]: body.conversationName });
  };
}
