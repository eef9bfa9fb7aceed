/**
 * Mappings from a conversation key to a Dialogflow conversation name, in the document store
 * (Firestore collection `conversations` by default), one document per key hash.
 * `expireAt` is the field a Firestore TTL policy deletes on (Terraform sets the policy);
 * TTL deletion runs up to a day late, so reads check `expireAt` themselves.
 * Each registration replaces the whole document: two registrations racing for the same key
 * leave one of them, whole, never a mix of both.
 */
import * as z from 'zod';
import type { DocStore } from '../../shared/ports/docstore';
import type { ConversationKey } from './conversation-keys';

const storedMappingSchema = z.object({
  conversationName: z.string().min(1),
  keyKind: z.enum(['phone', 'opaque']),
  registeredAt: z.date(),
  expireAt: z.date(),
  registeredBy: z.string().optional(),
  registrationId: z.string().optional(),
});
export type StoredMapping = z.infer<typeof storedMappingSchema>;

export interface ConversationStore {
  put(key: ConversationKey, mapping: StoredMapping): Promise<void>;
  /** The live mapping, or undefined when absent, expired or unreadable. */
  get(key: ConversationKey): Promise<StoredMapping | undefined>;
  /** Removes the mapping; false when there was no live mapping to remove. */
  delete(key: ConversationKey): Promise<boolean>;
}

export function createConversationStore(options: {
  docs: DocStore;
  collection: string;
  now: () => Date;
  onCorrupt?: (hash: string) => void;
}): ConversationStore {
  const { docs, collection, now } = options;

  const read = async (key: ConversationKey): Promise<StoredMapping | undefined> => {
    const data = await docs.get(collection, key.hash);
    if (data === undefined) return undefined;
    const parsed = storedMappingSchema.safeParse(data);
    if (!parsed.success) {
      options.onCorrupt?.(key.hash);
      return undefined;
    }
    return parsed.data.expireAt.getTime() > now().getTime() ? parsed.data : undefined;
  };

  return {
    async put(key, mapping) {
      await docs.set(collection, key.hash, { ...mapping }, { merge: false });
    },
    get: read,
    async delete(key) {
      // An expired document is left to the TTL policy: a 404 writes nothing.
      if ((await read(key)) === undefined) return false;
      await docs.delete(collection, key.hash);
      return true;
    },
  };
}
