/**
 * The ccbridge CRM contract on the wire: what the `crm` function accepts and answers, and
 * what the contract client sends and expects. One module for both sides so they cannot
 * drift; functions/crm/openapi.yaml documents the same shapes for people.
 *
 * Conventions CCAI Platform relies on:
 * - lookups answer 200 `{found, data}` with `data: null` when nothing matches;
 * - creates answer `{data}` with the new id at `data.id` (201, or 200 when an idempotent
 *   repeat returns the first result);
 * - errors answer `{code, message, details?}` with the HTTP status saying what happened.
 */
import * as z from 'zod';
import { normalizePhone, type PhoneOptions } from './phone';
import { CHANNELS, type Channel } from './port';

// ---- request side ------------------------------------------------------------------------

/** CCAI Platform substitutes missing template values with "": treat them as absent. */
const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalText = (max: number) => z.preprocess(blankToUndefined, z.string().trim().max(max).optional());
const requiredText = (max: number) => z.string({ error: 'required' }).trim().min(1, { error: 'must not be empty' }).max(max);

/**
 * The names CCAI Platform's payload editor gives its variables are not publicly documented
 * (docs/contracts/ccai-platform.md), so each field is also accepted under the spellings an
 * admin is likely to end up with. The contract's own name wins when both are given.
 */
const FIELD_ALIASES: Record<string, string[]> = {
  phone: ['phone_number', 'phoneNumber', 'end_user_phone', 'endUserPhone', 'caller_phone', 'callerPhone'],
  email: ['email_address', 'emailAddress', 'end_user_email', 'endUserEmail'],
  name: ['full_name', 'fullName', 'end_user_name', 'endUserName', 'caller_name', 'callerName'],
  externalId: ['external_id', 'customer_id', 'customerId', 'crm_id'],
  sessionId: ['session_id', 'call_id', 'callId', 'chat_id', 'chatId', 'interaction_id', 'interactionId'],
  accountId: ['account_id', 'contact_id', 'contactId', 'crm_account_id'],
  id: ['record_id', 'recordId', 'ticket_id', 'ticketId'],
  queue: ['queue_name', 'queueName'],
  channel: ['channel_type', 'channelType'],
  disposition: ['disposition_code', 'dispositionCode', 'wrap_up_code', 'wrapUpCode'],
  notes: ['wrap_up_notes', 'wrapUpNotes', 'agent_notes'],
  durationSeconds: ['duration', 'duration_seconds', 'call_duration', 'handle_time'],
  body: ['comment', 'note', 'text'],
  idempotencyKey: ['idempotency_key'],
};

/** Moves aliased keys onto the contract's names for the given fields (only where the contract's name is absent or blank). */
function withFieldAliases<T extends z.ZodType>(fields: string[], schema: T) {
  return z.preprocess((input) => {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) return input;
    const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
    for (const field of fields) {
      for (const alias of FIELD_ALIASES[field] ?? []) {
        if (!(alias in out)) continue;
        const value = out[alias];
        delete out[alias];
        if (blankToUndefined(out[field]) === undefined && blankToUndefined(value) !== undefined) out[field] = value;
      }
    }
    return out;
  }, schema);
}

const CHANNEL_ALIASES: Record<string, Channel> = {
  voice: 'voice',
  call: 'voice',
  voice_call: 'voice',
  phone: 'voice',
  chat: 'chat',
  web_chat: 'chat',
  mobile_chat: 'chat',
  sms: 'sms',
  text: 'sms',
  email: 'email',
  mail: 'email',
  messaging: 'messaging',
  whatsapp: 'messaging',
  messenger: 'messaging',
  social: 'messaging',
  video: 'video',
  video_call: 'video',
  other: 'other',
};

const channelSchema = z.preprocess(
  (v) => (typeof v === 'string' ? (CHANNEL_ALIASES[v.trim().toLowerCase()] ?? v) : v),
  z.enum(CHANNELS, { error: `must be one of ${CHANNELS.join(', ')} (or an alias such as voice_call, whatsapp)` }),
);

const phoneField = (options: PhoneOptions) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .max(40)
      .transform((v, ctx) => {
        const e164 = normalizePhone(v, options);
        if (e164 === undefined) {
          ctx.addIssue({ code: 'custom', message: 'is not a phone number (E.164 such as +14155550100 expected)' });
          return z.NEVER;
        }
        return e164;
      })
      .optional(),
  );

const emailField = z.preprocess(
  blankToUndefined,
  z
    .email({ error: 'is not an email address' })
    .max(254)
    .transform((v) => v.toLowerCase())
    .optional(),
);
const idField = optionalText(200);
const keyField = optionalText(200);

export const accountQuerySchema = (options: PhoneOptions = {}) => withFieldAliases(['phone', 'email', 'externalId'], accountQueryObject(options));
const accountQueryObject = (options: PhoneOptions) =>
  z
    .object({ phone: phoneField(options), email: emailField, externalId: idField })
    .refine((q) => q.phone !== undefined || q.email !== undefined || q.externalId !== undefined, {
      message: 'give at least one of phone, email, externalId',
    });

export const newAccountSchema = (options: PhoneOptions = {}) => withFieldAliases(['name', 'phone', 'email', 'externalId'], newAccountObject(options));
const newAccountObject = (options: PhoneOptions) =>
  z
    .object({ name: optionalText(200), phone: phoneField(options), email: emailField, externalId: idField })
    .refine((a) => a.phone !== undefined || a.email !== undefined || a.externalId !== undefined, {
      message: 'give at least one of phone, email, externalId',
    });

export const accountPatchSchema = (options: PhoneOptions = {}) => withFieldAliases(['name', 'phone', 'email', 'externalId'], accountPatchObject(options));
const accountPatchObject = (options: PhoneOptions) =>
  z
    .object({ name: optionalText(200), phone: phoneField(options), email: emailField, externalId: idField })
    .refine((a) => Object.values(a).some((v) => v !== undefined), { message: 'give at least one field to change' });

export const recordQuerySchema = withFieldAliases(
  ['id', 'accountId', 'sessionId'],
  z
    .object({ id: idField, accountId: idField, sessionId: idField })
    .refine((q) => q.id !== undefined || q.accountId !== undefined || q.sessionId !== undefined, {
      message: 'give one of id, sessionId, accountId',
    }),
);

export const newRecordSchema = withFieldAliases(
  ['accountId', 'channel', 'sessionId', 'queue', 'idempotencyKey'],
  z.object({
    accountId: idField,
    channel: channelSchema,
    sessionId: requiredText(128),
    queue: optionalText(200),
    subject: requiredText(255),
    direction: z.preprocess(blankToUndefined, z.enum(['inbound', 'outbound', 'internal'], { error: 'must be inbound, outbound or internal' }).optional()),
    idempotencyKey: keyField,
  }),
);

/** Durations arrive as numbers or, from string templates, as digit strings. */
const durationField = z.preprocess(
  (v) => (typeof v === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) : blankToUndefined(v)),
  z
    .number({ error: 'must be a number of seconds' })
    .min(0, { error: 'must not be negative' })
    .max(7 * 24 * 3600)
    .transform(Math.round)
    .optional(),
);

/**
 * The CRM's own fields of the record's activity log (port RecordUpdate.fields): names of
 * letters, digits and `_` (each CRM's narrower rule: ./record-fields.ts), at most 50, plain values.
 */
const recordFieldsSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_]{1,80}$/, { error: 'field names are letters, digits and _ (at most 80)' }),
    z.union([z.string().max(32_000), z.number(), z.boolean()], { error: 'field values are strings, numbers or booleans' }),
  )
  .refine((f) => Object.keys(f).length <= 50, { message: 'at most 50 fields' });

export const recordUpdateSchema = withFieldAliases(
  ['disposition', 'notes', 'durationSeconds'],
  z
    .object({
      status: z.preprocess(
        (v) => (typeof v === 'string' ? blankToUndefined(v.trim().toLowerCase()) : v),
        z.enum(['open', 'closed'], { error: 'must be open or closed' }).optional(),
      ),
      disposition: optionalText(200),
      notes: optionalText(32_000),
      durationSeconds: durationField,
      activityDate: z.preprocess(blankToUndefined, z.iso.date({ error: 'must be a date, YYYY-MM-DD' }).optional()),
      fields: recordFieldsSchema.optional(),
    })
    .refine((u) => Object.values(u).some((v) => v !== undefined), {
      message: 'give at least one of status, disposition, notes, durationSeconds, activityDate, fields',
    }),
);

export const newCommentSchema = withFieldAliases(
  ['body', 'idempotencyKey'],
  z.object({
    body: requiredText(32_000),
    author: optionalText(200),
    idempotencyKey: keyField,
  }),
);

const FILE_NAME = /^[^/\\\0]{1,255}$/;
export const fileNameSchema = z.string({ error: 'required' }).trim().regex(FILE_NAME, { error: 'must be a file name (no slashes), 1-255 characters' });
export const contentTypeSchema = z
  .string()
  .trim()
  .regex(/^[\w.+-]+\/[\w.+-]+$/, { error: 'must be a media type such as audio/mpeg' });

/** The JSON form of an attachment: a link, an object in one of the bundle's buckets, or inline bytes. */
export const attachmentJsonSchema = z
  .object({
    fileName: fileNameSchema,
    contentType: z.preprocess(blankToUndefined, contentTypeSchema.optional()),
    url: z.preprocess(blankToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional()),
    object: z.preprocess(blankToUndefined, z.string().max(1100).optional()),
    contentBase64: z.preprocess(blankToUndefined, z.base64({ error: 'must be base64' }).optional()),
    idempotencyKey: keyField,
  })
  .refine((a) => [a.url, a.object, a.contentBase64].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of url, object, contentBase64',
  });

// ---- response side -----------------------------------------------------------------------

const nullish = <T extends z.ZodType>(t: T) => t.nullish().transform((v) => v ?? undefined);

const accountSchema = z.object({
  id: z.string().min(1),
  name: nullish(z.string()),
  phone: nullish(z.string()),
  email: nullish(z.string()),
  externalId: nullish(z.string()),
  type: nullish(z.string()),
});

const recordSchema = z.object({
  id: z.string().min(1),
  accountId: nullish(z.string()),
  sessionId: nullish(z.string()),
  channel: nullish(z.enum(CHANNELS)),
  status: z.enum(['open', 'closed']),
  subject: nullish(z.string()),
  queue: nullish(z.string()),
  disposition: nullish(z.string()),
  notes: nullish(z.string()),
  durationSeconds: nullish(z.number()),
  fields: nullish(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  url: nullish(z.string()),
});

const commentResultSchema = z.object({ id: z.string().min(1), recordId: z.string().optional() });
const attachmentResultSchema = z.object({ id: z.string().min(1), recordId: z.string().optional() });

export const accountLookupSchema = z.object({ found: z.boolean(), data: accountSchema.nullable() });
export const recordLookupSchema = z.object({ found: z.boolean(), data: recordSchema.nullable() });
export const accountDataSchema = z.object({ data: accountSchema });
export const recordDataSchema = z.object({ data: recordSchema });
export const commentDataSchema = z.object({ data: commentResultSchema });
export const attachmentDataSchema = z.object({ data: attachmentResultSchema });
export const errorBodySchema = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int().positive(),
});

/** `T` with its possibly-undefined properties made optional (exactOptionalPropertyTypes). */
export type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Drops undefined fields, so values carry only what is known. */
export function compact<T extends object>(value: T): Compact<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Compact<T>;
}
