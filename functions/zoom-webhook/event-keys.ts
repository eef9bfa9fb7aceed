/**
 * The durable record of received events (collection `zoomEventKeys`, TTL on `expireAt`)
 * and of request signatures already seen (collection `zoomWebhookSignatures`, same TTL
 * field). `create()` is the primitive: exactly one request creates a key, whatever runs
 * concurrently. A key document holds the event itself and whether it reached Pub/Sub,
 * so a crash between recording and publishing is repaired by the next delivery (or by
 * the reconciliation, which can republish `published == false` documents).
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { DocAlreadyExistsError, type DocStore, fieldOps } from '../../shared/ports/docstore';
import { eventKeyDocId } from '../../shared/zoom/events';

export const EVENT_KEYS_COLLECTION = 'zoomEventKeys';
export const SIGNATURES_COLLECTION = 'zoomWebhookSignatures';

export const eventKeyDocSchema = z.looseObject({
  key: z.string(),
  event: z.string(),
  published: z.boolean(),
  messageId: z.string().optional(),
  duplicates: z.number().optional(),
});

export type RecordOutcome = 'new' | 'already_published' | 'recorded_not_published';

export interface EventKeyStore {
  /** Records the event under its key; tells whether it was new, or already known (and published or not). */
  record(input: { key: string; event: string; engagementId: string | undefined; body: string; receivedAt: Date }): Promise<RecordOutcome>;
  markPublished(key: string, messageId: string): Promise<void>;
  /** False when this exact signature was seen before (a replayed request). */
  rememberSignature(signature: string, timestampSeconds: number): Promise<boolean>;
}

export function createEventKeyStore(docs: DocStore, options: { keyTtlMs: number; signatureTtlMs: number }): EventKeyStore {
  return {
    async record(input) {
      const id = eventKeyDocId(input.key);
      try {
        await docs.create(EVENT_KEYS_COLLECTION, id, {
          key: input.key,
          event: input.event,
          engagementId: input.engagementId,
          body: input.body,
          published: false,
          receivedAt: input.receivedAt,
          expireAt: new Date(input.receivedAt.getTime() + options.keyTtlMs),
        });
        return 'new';
      } catch (err) {
        if (!(err instanceof DocAlreadyExistsError)) throw err;
      }
      const [raw] = await Promise.all([
        docs.get(EVENT_KEYS_COLLECTION, id),
        // Counts suppressed duplicates for the operators; losing an increment is harmless.
        docs.update(EVENT_KEYS_COLLECTION, id, { duplicates: fieldOps.increment(1) }).catch(() => undefined),
      ]);
      const existing = eventKeyDocSchema.safeParse(raw);
      return existing.success && existing.data.published ? 'already_published' : 'recorded_not_published';
    },
    async markPublished(key, messageId) {
      await docs.update(EVENT_KEYS_COLLECTION, eventKeyDocId(key), { published: true, messageId, publishedAt: fieldOps.serverTime() });
    },
    async rememberSignature(signature, timestampSeconds) {
      const id = createHash('sha256').update(signature).digest('hex');
      try {
        // Kept as long as the signature could pass the timestamp window, then expired by TTL.
        await docs.create(SIGNATURES_COLLECTION, id, { expireAt: new Date(timestampSeconds * 1000 + options.signatureTtlMs) });
        return true;
      } catch (err) {
        if (err instanceof DocAlreadyExistsError) return false;
        throw err;
      }
    },
  };
}
