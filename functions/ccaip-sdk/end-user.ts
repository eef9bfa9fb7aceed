/**
 * The end user a CCAI Platform token is signed for, taken from verified ID-token claims only
 * (configurable claim names), or a guest identity the function issued itself. Nothing a
 * caller sends in a body or query can become one of these fields.
 */
import type { JWTPayload } from 'jose';
import { forbidden, unauthenticated } from '../../shared/errors';
import { type CountryCode, normalisePhone } from '../../shared/phone';

export interface EndUser {
  kind: 'user' | 'guest';
  identifier: string;
  name?: string;
  email?: string;
  /** E.164. */
  phone?: string;
}

export interface ClaimMapping {
  identifier: string;
  name?: string | undefined;
  email?: string | undefined;
  phone?: string | undefined;
  phoneDefaultCountry: CountryCode;
  /** Guest identifiers start with it; a verified identifier may not. */
  guestPrefix: string;
}

const MAX_IDENTIFIER = 256;
const MAX_TEXT = 256;
const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

export function endUserFromClaims(claims: JWTPayload, mapping: ClaimMapping): EndUser {
  const identifier = readClaim(claims, mapping.identifier);
  if (typeof identifier !== 'string' || identifier.trim() === '' || identifier.length > MAX_IDENTIFIER) {
    throw unauthenticated(`the ID token carries no usable ${mapping.identifier} claim`);
  }
  // The guest namespace is the function's: a real identifier there could take over a guest's chats.
  if (identifier.toLowerCase().startsWith(mapping.guestPrefix.toLowerCase())) {
    throw forbidden(
      `the identity provider's ${mapping.identifier} starts with the guest prefix "${mapping.guestPrefix}"; choose ` +
        `another SDK_GUEST_PREFIX or identifier claim`,
    );
  }
  const user: EndUser = { kind: 'user', identifier };
  const name = text(readClaim(claims, mapping.name));
  if (name) user.name = name;
  // Standard claims: a provider that says the address or number is unverified is not believed.
  const email = text(readClaim(claims, mapping.email));
  if (email && EMAIL.test(email) && claims['email_verified'] !== false && claims['email_verified'] !== 'false') user.email = email;
  const rawPhone = text(readClaim(claims, mapping.phone));
  if (rawPhone && claims['phone_number_verified'] !== false && claims['phone_number_verified'] !== 'false') {
    const phone = normalisePhone(rawPhone, { defaultCountry: mapping.phoneDefaultCountry });
    if (phone) user.phone = phone;
  }
  return user;
}

/** A claim by name; a dotted name reads a nested object ("https://example.com/claims.uuid" is tried whole first). */
function readClaim(claims: JWTPayload, name: string | undefined): unknown {
  if (name === undefined) return undefined;
  if (name in claims) return claims[name];
  let value: unknown = claims;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed.length > MAX_TEXT ? undefined : trimmed;
}
