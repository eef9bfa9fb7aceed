/**
 * Read views of what the bundle already stores, parsed leniently: every field the trace uses
 * is checked with zod, unknown fields are kept, and a document that does not parse becomes a
 * timeline entry saying so (never a crash). Collection names are those the writers use:
 * functions/zoom-webhook/event-keys.ts (`zoomEventKeys`), functions/zoom-webhook/refusals.ts
 * (`zoomWebhookRefusals`), functions/interaction-worker/dead-letters.ts (`deadLetters`), shared/zoom/ledger.ts (`ledger`),
 * shared/reconcile/store.ts (`reconcile*`), functions/ui-connector/conversation-store.ts
 * (`conversations`, configurable), functions/crm/mock/journal.ts (`crmMockJournal`).
 * shared/ never imports functions/, so the collections owned by functions are named here.
 */
import { createHmac } from 'node:crypto';
import * as z from 'zod';
import { type CountryCode, normalisePhone } from '../phone';

export const TRACE_COLLECTIONS = {
  eventKeys: 'zoomEventKeys',
  refusals: 'zoomWebhookRefusals',
  deadLetters: 'deadLetters',
  ledger: 'ledger',
  crmJournal: 'crmMockJournal',
  conversationsDefault: 'conversations',
} as const;

/** Firestore Timestamps (toDate), Dates and ISO strings all become Dates. */
export const lenientDate = z.preprocess((v) => {
  if (v instanceof Date) return v;
  if (typeof v === 'string' || typeof v === 'number') return new Date(v);
  if (v && typeof v === 'object' && 'toDate' in v && typeof (v as { toDate: unknown }).toDate === 'function') return (v as { toDate: () => Date }).toDate();
  return v;
}, z.date());

export const eventKeyViewSchema = z.looseObject({
  key: z.string(),
  event: z.string(),
  engagementId: z.string().optional(),
  published: z.boolean(),
  messageId: z.string().optional(),
  duplicates: z.number().optional(),
  receivedAt: lenientDate.optional(),
  publishedAt: lenientDate.optional(),
});

/** A refused delivery kept in detail (a sample: at most a few per hour and reason). */
export const refusalEntryViewSchema = z.looseObject({
  kind: z.literal('entry'),
  at: lenientDate,
  reason: z.string(),
  status: z.number(),
  message: z.string().optional(),
  stage: z.string().optional(),
  signatureChecked: z.boolean().optional(),
  event: z.string().optional(),
  engagementId: z.string().optional(),
});

/** How many deliveries were refused in one hour for one reason. */
export const refusalCountViewSchema = z.looseObject({ kind: z.literal('count'), hour: lenientDate, reason: z.string(), count: z.number().int().min(0) });

/** A message the worker's subscription gave up on, as its dead-letter subscription recorded it. */
export const deadLetterViewSchema = z.looseObject({
  messageId: z.string(),
  recordedAt: lenientDate,
  deliveryAttempts: z.number().optional(),
  sourceSubscription: z.string().optional(),
  sourcePublishTime: z.string().optional(),
  engagementId: z.string().optional(),
  event: z.string().optional(),
  key: z.string().optional(),
});
export type DeadLetterView = z.output<typeof deadLetterViewSchema>;

export const journalViewSchema = z.looseObject({
  at: lenientDate,
  operation: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.number(),
  fault: z.string().nullish(),
  keys: z.array(z.string()).default([]),
});

export const conversationViewSchema = z.looseObject({
  conversationName: z.string(),
  keyKind: z.enum(['phone', 'opaque']),
  registeredAt: lenientDate,
  expireAt: lenientDate.optional(),
  registeredBy: z.string().optional(),
  registrationId: z.string().optional(),
});
export type ConversationView = z.output<typeof conversationViewSchema>;

/**
 * The ui-connector's document id for a conversation key (functions/ui-connector/conversation-keys.ts):
 * base64url HMAC-SHA256 of `phone:<E.164>` or `opaque:<trimmed key>`. The clear key never leaves this function.
 */
export function conversationKeyHash(
  raw: string,
  options: { hashKey: Buffer | string; defaultCountry: CountryCode },
): { kind: 'phone' | 'opaque'; hash: string } {
  const phone = normalisePhone(raw, { defaultCountry: options.defaultCountry });
  const kind = phone === undefined ? 'opaque' : 'phone';
  const value = phone ?? raw.trim();
  return { kind, hash: createHmac('sha256', options.hashKey).update(`${kind}:${value}`).digest('base64url') };
}
