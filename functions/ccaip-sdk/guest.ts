/**
 * Guest identities for visitors without an ID token: an identifier the function makes up
 * (`<prefix><22 random base64url characters>`), handed to the browser signed
 * (`<identifier>.<HMAC-SHA256>`) in an HttpOnly cookie and in the answer (for pages and apps
 * that cannot keep third-party cookies, sent back as `X-Ccaip-Guest`). The same browser keeps
 * the same identifier; a value whose signature does not verify is replaced, never believed.
 * Real identifiers never start with the prefix (end-user.ts refuses them), so a guest can
 * never be signed in as someone else, nor a user land in a guest's conversations.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from '../../shared/constant-time';

export const GUEST_COOKIE = 'ccaip_guest';
export const GUEST_HEADER = 'x-ccaip-guest';

export interface GuestIdentities {
  /** The guest identifier of a presented signed value, if it is genuine. */
  read(signed: string | undefined): string | undefined;
  /** A new guest identifier and its signed value. */
  issue(): { identifier: string; signed: string };
  /** The Set-Cookie header keeping `signed` in the browser. */
  cookie(signed: string): string;
}

export interface GuestOptions {
  key: Buffer;
  prefix: string;
  secureCookie: boolean;
  days: number;
  random?: (bytes: number) => Buffer;
}

export function createGuestIdentities(options: GuestOptions): GuestIdentities {
  const random = options.random ?? randomBytes;
  const mac = (identifier: string) => createHmac('sha256', options.key).update(`ccaip-guest:${identifier}`).digest();
  const shape = new RegExp(`^${escapeRegExp(options.prefix)}[A-Za-z0-9_-]{22}$`);
  return {
    read(signed) {
      if (!signed || signed.length > 200) return undefined;
      const dot = signed.lastIndexOf('.');
      if (dot <= 0) return undefined;
      const identifier = signed.slice(0, dot);
      if (!shape.test(identifier)) return undefined;
      const given = Buffer.from(signed.slice(dot + 1), 'base64url');
      const expected = mac(identifier);
      return constantTimeEqual(given, expected) ? identifier : undefined;
    },
    issue() {
      const identifier = `${options.prefix}${random(16).toString('base64url')}`;
      return { identifier, signed: `${identifier}.${mac(identifier).toString('base64url')}` };
    },
    cookie(signed) {
      // Cross-site pages need SameSite=None, which browsers accept only with Secure. No Path: the
      // browser scopes it to the function's own path (/ccaip-sdk on cloudfunctions.net), so the
      // other functions on that host never receive it.
      const site = options.secureCookie ? 'Secure; SameSite=None' : 'SameSite=Lax';
      return `${GUEST_COOKIE}=${signed}; Max-Age=${options.days * 86_400}; HttpOnly; ${site}`;
    },
  };
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
