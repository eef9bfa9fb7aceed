/**
 * The durable record of received events (collection `zoomEventKeys`, TTL on `expireAt`).
 * `create()` is the primitive: exactly one request creates a key, whatever runs
 * concurrently. A key document holds the event itself, whether it reached Pub/Sub (so a
 * crash between recording and publishing is repaired by the next delivery, or by the
 * reconciliation, which can republish `published == false` documents), and the hashes of
 * the signatures it arrived with: an exact replay carries the same body, hence the same
 * key, and a signature already listed there — so replays are caught without a second
 * write per event (a new key cannot be a replay).
 *
 * Whether a replay (or a request older than the freshness window) is refused depends on the
 * event: while it is not yet published it may be Zoom's retry of a delivery we failed to make
 * durable, and is taken (functions/zoom-webhook/README.md, "Retries"); once published it is refused.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { DocAlreadyExistsError, type DocStore, fieldOps } from '../../shared/ports/docstore';
import { eventKeyDocId } from '../../shared/zoom/events';

export const EVENT_KEYS_COLLECTION = 'zoomEventKeys';

export const eventKeyDocSchema = z.looseObject({
  key: z.string(),
  event: z.string(),
  published: z.boolean(),
  signatures: z.array(z.string()).default([]),
  messageId: z.string().optional(),
  duplicates: z.number().optional(),
});

/**
 * replay: the event is published and this exact request (same signature) was received before;
 * stale: the event is published and this request is older than the freshness window.
 * Neither writes anything.
 */
export type RecordOutcome = 'new' | 'already_published' | 'recorded_not_published' | 'replay' | 'stale';

export interface EventKeyStore {
  /**
   * Records the event under its key; tells whether it was new, already known (and published
   * or not), or — for a published event — a replay or a stale request. `fresh`: the request's
   * timestamp is within the freshness window.
   */
  record(input: {
    key: string;
    event: string;
    engagementId: string | undefined;
    body: string;
    receivedAt: Date;
    signature: string;
    fresh: boolean;
  }): Promise<RecordOutcome>;
  markPublished(key: string, messageId: string): Promise<void>;
}

export function createEventKeyStore(docs: DocStore, options: { keyTtlMs: number }): EventKeyStore {
  return {
    async record(input) {
      const id = eventKeyDocId(input.key);
      const signature = createHash('sha256').update(input.signature).digest('hex');
      try {
        await docs.create(EVENT_KEYS_COLLECTION, id, {
          key: input.key,
          event: input.event,
          engagementId: input.engagementId,
          body: input.body,
          published: false,
          signatures: [signature],
          receivedAt: input.receivedAt,
          expireAt: new Date(input.receivedAt.getTime() + options.keyTtlMs),
        });
        return 'new';
      } catch (err) {
        if (!(err instanceof DocAlreadyExistsError)) throw err;
      }
      const existing = eventKeyDocSchema.safeParse(await docs.get(EVENT_KEYS_COLLECTION, id));
      const published = existing.success && existing.data.published;
      if (published && existing.data.signatures.includes(signature)) return 'replay';
      if (published && !input.fresh) return 'stale';
      // Counts suppressed duplicates for the operators and remembers this delivery's signature.
      await docs.update(EVENT_KEYS_COLLECTION, id, { duplicates: fieldOps.increment(1), signatures: fieldOps.arrayUnion(signature) });
      return published ? 'already_published' : 'recorded_not_published';
    },
    async markPublished(key, messageId) {
      await docs.update(EVENT_KEYS_COLLECTION, eventKeyDocId(key), { published: true, messageId, publishedAt: fieldOps.serverTime() });
    },
  };
}
