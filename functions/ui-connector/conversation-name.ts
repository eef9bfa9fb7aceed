/**
 * /conversation-name: the Studio flow registers "caller → Agent Assist conversation", the
 * agent's Lightning component polls for it and deletes it when the conversation completes.
 * Input is validated before anything is written; a registration is stored (with its expiry)
 * and then announced on the event bus.
 */
import { randomUUID } from 'node:crypto';
import { notFound } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import type { ConversationEvents } from './conversation-events';
import type { KeyResolver } from './conversation-keys';
import type { ConversationStore } from './conversation-store';
import type { ConversationNameBody } from './inputs';

export interface ConversationNameDeps {
  store: ConversationStore;
  events: ConversationEvents;
  keys: KeyResolver;
  log: Logger;
  now: () => Date;
  mappingTtlSeconds: number;
  newId?: () => string;
}

/** Answers `{<key as sent>: <name>}` like the reference. */
export async function handleRegisterConversation(
  deps: ConversationNameDeps,
  input: ConversationNameBody & { registeredBy?: string | undefined },
): Promise<Record<string, string>> {
  const key = deps.keys(input.conversationIntegrationKey);
  const registeredAt = deps.now();
  const expireAt = new Date(registeredAt.getTime() + deps.mappingTtlSeconds * 1000);
  const registrationId = (deps.newId ?? randomUUID)();
  await deps.store.put(key, {
    conversationName: input.conversationName,
    keyKind: key.kind,
    registeredAt,
    expireAt,
    registrationId,
    ...(input.registeredBy ? { registeredBy: input.registeredBy } : {}),
  });
  await deps.events.registered({
    type: 'conversation.registered',
    version: 1,
    registrationId,
    conversationName: input.conversationName,
    conversationIntegrationKey: key.value,
    keyKind: key.kind,
    keyHash: key.hash,
    registeredAt: registeredAt.toISOString(),
    expireAt: expireAt.toISOString(),
    ...(input.registeredBy ? { registeredBy: input.registeredBy } : {}),
  });
  deps.log.info('conversation registered', { keyHash: key.hash, keyKind: key.kind, registrationId, conversation: maskDigits(input.conversationName) });
  return { [input.conversationIntegrationKey]: input.conversationName };
}

export async function handleGetConversation(deps: Pick<ConversationNameDeps, 'store' | 'keys' | 'log'>, rawKey: string): Promise<{ conversationName: string }> {
  const key = deps.keys(rawKey);
  const mapping = await deps.store.get(key);
  // The Lightning component reads 404 as "not yet" and keeps polling.
  if (!mapping) throw notFound('Not found');
  return { conversationName: mapping.conversationName };
}

export async function handleDeleteConversation(deps: Pick<ConversationNameDeps, 'store' | 'keys' | 'log'>, rawKey: string): Promise<{ message: string }> {
  const key = deps.keys(rawKey);
  const removed = await deps.store.delete(key);
  if (!removed) throw notFound('Not found');
  deps.log.info('conversation mapping deleted', { keyHash: key.hash, keyKind: key.kind });
  return { message: 'Success' };
}

/**
 * Conversation ids sometimes embed the caller ("TW-+14155550100-CA…"), and the log masker
 * does not see a number glued to other characters: hide every long digit run.
 */
function maskDigits(text: string): string {
  return text.replace(/\+?\d{6,}/g, (run) => `${'*'.repeat(run.length - 2)}${run.slice(-2)}`);
}
