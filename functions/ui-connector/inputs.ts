/**
 * What callers send, as zod schemas. Bodies come as JSON (the Twilio Function, newer Studio
 * widgets) or form-urlencoded (Studio's default); both are read from the raw bytes the
 * signature was computed on.
 */
import * as z from 'zod';
import { AppError } from '../../shared/errors';
import { assertJsonDepth } from '../../shared/http/body';
import type { RequestContext } from '../../shared/http/app';
import type { SignedParams } from '../../shared/twilio/signature';

/** What a JavaScript template string makes of a missing value (the reference let it through). */
const PLACEHOLDERS = new Set(['undefined', 'null', 'none', 'nan', '[object object]']);

/** A required text value: present, not blank, not a stringified placeholder. Numbers are accepted as text. */
const presentText = (max: number) =>
  z
    .union([z.string(), z.number().transform((n) => String(n))], { error: 'is required' })
    .transform((v) => v.trim())
    .pipe(
      z
        .string()
        .min(1, { error: 'is required' })
        .max(max, { error: `must be at most ${max} characters` })
        .refine((v) => !PLACEHOLDERS.has(v.toLowerCase()), { error: 'is a placeholder ("undefined"/"null"), not a value: the caller lost it' }),
    );

/**
 * projects/<p>/(locations/<l>/)?conversations/<id>, the id as Dialogflow validates a
 * conversation ID it is given (`[a-zA-Z][a-zA-Z0-9_-]*`, 3–64 characters: CreateConversationRequest
 * `conversation_id`, see docs/contracts/twilio.md) — Agent Assist names SIPREC conversations
 * after the `conversation` stream parameter, so a name Dialogflow would refuse is one no
 * conversation will ever have.
 */
export const CONVERSATION_NAME =
  /^projects\/[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}\/(?:locations\/[a-z0-9][a-z0-9-]{0,62}\/)?conversations\/[a-zA-Z][a-zA-Z0-9_-]{2,63}$/;

const accountSidSchema = presentText(64).pipe(
  z.string().regex(/^AC[0-9a-fA-F]{32}$/, { error: 'must be a Twilio account SID (AC followed by 32 hex digits)' }),
);

/** The reference's form: the account's auth token in the body, checked with Twilio's Accounts API. */
export const registerAppBodySchema = z.object({
  accountSid: accountSidSchema,
  authToken: presentText(256),
});

/** The signed form: Twilio's X-Twilio-Signature proves the account; no token in the body (one sent anyway is ignored). */
export const signedRegisterAppBodySchema = z.object({ accountSid: accountSidSchema });

export const conversationNameBodySchema = z.object({
  conversationIntegrationKey: presentText(256),
  conversationName: presentText(512).pipe(
    z.string().regex(CONVERSATION_NAME, {
      error:
        'must look like projects/<project>/locations/<location>/conversations/<id> (locations/<location>/ ' +
        'optional; <id>: a letter, then letters, digits, _ or -, 3-64 characters in all)',
    }),
  ),
});
export type ConversationNameBody = z.infer<typeof conversationNameBodySchema>;

export const conversationKeyQuerySchema = z.object({
  conversationIntegrationKey: presentText(256),
});

export interface ReadBody {
  fields: Record<string, unknown>;
  /** The form parameters as sent (for the Twilio signature); empty for other bodies. */
  formParams: SignedParams;
}

/** Reads a JSON or form body from the raw bytes. An empty body is an empty object. */
export function readBody(ctx: RequestContext): ReadBody {
  const type = String(ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (type.startsWith('application/x-www-form-urlencoded')) {
    const params = [...new URLSearchParams(ctx.rawBody.toString('utf8')).entries()];
    const fields: Record<string, unknown> = {};
    for (const [k, v] of params) if (!(k in fields)) fields[k] = v;
    return { fields, formParams: params };
  }
  const parsed: unknown = ctx.req.body;
  if (parsed !== null && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) return { fields: parsed as Record<string, unknown>, formParams: [] };
  if (ctx.rawBody.length === 0) return { fields: {}, formParams: [] };
  let json: unknown;
  try {
    json = JSON.parse(ctx.rawBody.toString('utf8'));
  } catch {
    throw new AppError('invalid_body', 400, 'request body is neither JSON nor form-urlencoded');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new AppError('invalid_body', 400, 'request body must be a JSON object');
  assertJsonDepth(json);
  return { fields: json as Record<string, unknown>, formParams: [] };
}
