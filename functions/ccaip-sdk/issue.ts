/**
 * The core: who is asking (ID token, else a guest identity if guests are allowed), then a
 * signed CCAI Platform token for exactly that end user. Takes its ports as arguments.
 */
import { AppError, unauthenticated } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import { type ClaimMapping, type EndUser, endUserFromClaims } from './end-user';
import type { GuestIdentities } from './guest';
import type { IdTokenVerifier } from './identity';
import type { EndUserSigner, ExtraFields } from './sign';

export interface IssueDeps {
  verifier: IdTokenVerifier;
  mapping: ClaimMapping;
  signer: EndUserSigner;
  /** Undefined when guests are not allowed. */
  guests: GuestIdentities | undefined;
  log: Logger;
}

export interface Caller {
  /** The Authorization header, if any. */
  authorization: string | undefined;
  /** A signed guest value from the cookie or the X-Ccaip-Guest header, if any. */
  guest: string | undefined;
}

export interface Issued {
  token: string;
  expiresAt: Date;
  user: EndUser;
  /** Set when a guest identity was created or confirmed: keep it (cookie / page storage). */
  guestSigned?: string;
}

async function identify(deps: IssueDeps, caller: Caller): Promise<{ user: EndUser; guestSigned?: string }> {
  if (caller.authorization !== undefined && caller.authorization.trim() !== '') {
    const claims = await deps.verifier.verify(caller.authorization);
    return { user: endUserFromClaims(claims, deps.mapping) };
  }
  if (!deps.guests) throw unauthenticated("an ID token of the host application's identity provider is required (Authorization: Bearer …)");
  const known = deps.guests.read(caller.guest);
  if (known !== undefined && caller.guest !== undefined) return { user: { kind: 'guest', identifier: known }, guestSigned: caller.guest };
  const fresh = deps.guests.issue();
  return { user: { kind: 'guest', identifier: fresh.identifier }, guestSigned: fresh.signed };
}

export async function issueEndUserToken(deps: IssueDeps, caller: Caller, endpoint: 'token' | 'sign', extra: ExtraFields = {}): Promise<Issued> {
  const { user, guestSigned } = await identify(deps, caller);
  const { token, expiresAt } = await deps.signer.sign(user, extra);
  // No identifier, name, email, phone or token in the log: what kind of token, and which fields it carries.
  deps.log.info('end-user token issued', {
    endpoint,
    kind: user.kind,
    fields: ['identifier', ...(['name', 'email', 'phone'] as const).filter((k) => user[k] !== undefined), ...Object.keys(extra)],
  });
  return { token, expiresAt, user, ...(guestSigned === undefined ? {} : { guestSigned }) };
}

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
/** What a JavaScript template string or a Kotlin/Swift toString makes of a missing value. */
const PLACEHOLDERS = new Set(['undefined', 'null', 'nil', 'none', 'nan', '[object object]']);

export interface MobilePayload {
  /** The allowed fields, to be signed. */
  fields: ExtraFields;
  /** Keys left out: identity keys (the ID token decides those) and fields not allowed. */
  ignored: string[];
}

/**
 * The mobile SDKs' payload: the body itself, or its `payload` object when it has one. What the
 * SDK's default payload holds besides a device token is not documented (a default name, per
 * the SDK end-user page), so keys are not refused but left out: identity keys always (the
 * identity is the ID token's), other keys unless allowed. Allowed fields must be sound values.
 */
export function parseMobilePayload(body: unknown, allowed: readonly string[], identityKeys: readonly string[]): MobilePayload {
  if (body === undefined || body === null || body === '') return { fields: {}, ignored: [] };
  if (typeof body !== 'object' || Array.isArray(body)) throw new AppError('invalid_body', 400, 'the payload must be a JSON object');
  const record = body as Record<string, unknown>;
  const wrapped = record['payload'];
  const inner = 'payload' in record ? wrapped : record;
  if (inner === null || typeof inner !== 'object' || Array.isArray(inner)) throw new AppError('invalid_body', 400, 'payload must be a JSON object');
  const fields = inner as Record<string, unknown>;
  const ignored = [
    ...Object.keys(inner === record ? {} : record).filter((k) => k !== 'payload'),
    ...Object.keys(fields).filter((k) => identityKeys.includes(k) || !allowed.includes(k)),
  ];
  // Device tokens and their kin (APNs hex, FCM tokens) are opaque ASCII: printable, non-blank.
  const out: ExtraFields = {};
  for (const k of allowed) {
    if (!(k in fields)) continue;
    const v = fields[k];
    if (typeof v === 'string' && v.trim() !== '' && v.length <= 4096 && PRINTABLE_ASCII.test(v) && !PLACEHOLDERS.has(v.trim().toLowerCase())) out[k] = v;
    else
      throw new AppError('invalid_body', 400, `${k} must be a non-blank string of at most 4096 printable ASCII characters (not a placeholder such as "null")`, {
        details: [{ path: k, message: 'bad value' }],
      });
  }
  return { fields: out, ignored: ignored.slice(0, 50).map((k) => k.slice(0, 64)) };
}
