/**
 * The CRM port: what the bundle needs from any CRM, in the terms of CCAI Platform's
 * custom-CRM sequence (account → record → comments/attachments → wrap-up).
 * Implemented by the ccbridge contract client (the `crm` function, mock or real mode) and
 * by the adapters for ServiceNow, Salesforce, Zendesk and Be Aware 360.
 *
 * Writes that may be repeated (at-least-once delivery) carry an `idempotencyKey`; an
 * implementation must make a repeated write with the same key a no-op that returns the
 * first result, natively or by looking for the key before writing.
 * `createRecord` is also idempotent by session: a session has at most one record, so a
 * second create for the same `sessionId` returns the first record.
 *
 * Failures are the AppErrors of ./errors: 404 unknown id, 409 conflict or ambiguous match,
 * 429 rate limited (retryAfterSeconds), 502 contract violation / refused credentials,
 * 503 upstream unavailable. `retryable` says whether repeating later may succeed.
 */

export const CHANNELS = ['voice', 'chat', 'sms', 'email', 'messaging', 'video', 'other'] as const;
export type Channel = (typeof CHANNELS)[number];

export type Direction = 'inbound' | 'outbound' | 'internal';

export interface CrmAccount {
  id: string;
  name?: string;
  phone?: string;
  email?: string;
  externalId?: string;
  /** Which CRM object this is (e.g. "Contact", "sys_user"), when the CRM has several. */
  type?: string;
  /** Set when several objects matched a lookup and a configured rule chose this one. */
  resolution?: { rule: string; candidates: Array<{ id: string; type?: string; name?: string }> };
}

export interface CrmRecord {
  id: string;
  accountId?: string;
  sessionId?: string;
  channel?: Channel;
  status: 'open' | 'closed';
  subject?: string;
  queue?: string;
  disposition?: string;
  notes?: string;
  durationSeconds?: number;
  /** Values of the CRM's own fields written with `RecordUpdate.fields`, where the CRM answers them back. */
  fields?: RecordFields;
  /** A URL where a person can open the record in the CRM, when the CRM has one. */
  url?: string;
}

export interface AccountQuery {
  phone?: string;
  email?: string;
  externalId?: string;
}

export interface RecordQuery {
  id?: string;
  /** The open record of this account. */
  accountId?: string;
  /** The record created for this contact-center session (engagement, call SID...). */
  sessionId?: string;
}

export interface NewAccount {
  name?: string;
  phone?: string;
  email?: string;
  externalId?: string;
}

export interface NewRecord {
  accountId?: string;
  channel: Channel;
  sessionId: string;
  queue?: string;
  subject: string;
  /** Call direction, for CRMs that log calls (Salesforce Task CallType); inbound when absent. */
  direction?: Direction;
  idempotencyKey?: string;
}

/** Values for fields of the CRM itself, by the CRM's own field name (./record-fields.ts says which names each CRM takes). */
export type RecordFields = Record<string, string | number | boolean>;

export interface RecordUpdate {
  status?: 'open' | 'closed';
  disposition?: string;
  notes?: string;
  durationSeconds?: number;
  /** The day the activity took place, `YYYY-MM-DD` (a date without time): Salesforce Task ActivityDate. */
  activityDate?: string;
  /**
   * The CRM's own fields of the record's activity log (Salesforce: the call Task; ServiceNow: the
   * record; Zendesk: ticket custom fields by numeric id). Names the CRM does not take are refused
   * at start by `recordFieldProblems`; the fields the adapter writes itself are never overridden.
   */
  fields?: RecordFields;
}

export interface NewComment {
  body: string;
  author?: string;
  idempotencyKey?: string;
}

export interface NewAttachment {
  fileName: string;
  contentType: string;
  /** Either the bytes, or a link the CRM stores instead of the file. */
  content?: Buffer;
  url?: string;
  idempotencyKey?: string;
}

export interface CrmClient {
  readonly kind: string;
  findAccount(query: AccountQuery): Promise<CrmAccount | undefined>;
  createAccount(input: NewAccount): Promise<CrmAccount>;
  updateAccount(id: string, patch: NewAccount): Promise<CrmAccount>;
  findRecord(query: RecordQuery): Promise<CrmRecord | undefined>;
  createRecord(input: NewRecord): Promise<CrmRecord>;
  updateRecord(id: string, update: RecordUpdate): Promise<CrmRecord>;
  addComment(recordId: string, comment: NewComment): Promise<{ id: string }>;
  addAttachment(recordId: string, attachment: NewAttachment): Promise<{ id: string }>;
}
