/**
 * The CCAI Platform end-user JWT: HS256 with the company secret; `iat`, `exp` (short),
 * `iss` (company name, when configured), the end user's `identifier`, `name`, `email`,
 * `phone` — and, for the mobile SDKs, only the extra fields an admin allowed.
 */
import { SignJWT } from 'jose';
import type { Secret } from '../../shared/config';
import type { EndUser } from './end-user';

export type ExtraFields = Record<string, string>;

export interface EndUserSigner {
  sign(user: EndUser, extra?: ExtraFields): Promise<{ token: string; expiresAt: Date }>;
}

export interface SignerOptions {
  companySecret: Secret;
  companyName?: string | undefined;
  ttlSeconds: number;
  now?: () => Date;
}

export function createEndUserSigner(options: SignerOptions): EndUserSigner {
  const key = new TextEncoder().encode(options.companySecret.reveal());
  const now = options.now ?? (() => new Date());
  return {
    async sign(user, extra = {}) {
      const iat = Math.floor(now().getTime() / 1000);
      const exp = iat + options.ttlSeconds;
      // Extra fields first: identity keys written after them always win (they were refused earlier anyway).
      const payload: Record<string, unknown> = { ...extra, identifier: user.identifier };
      if (user.name !== undefined) payload['name'] = user.name;
      if (user.email !== undefined) payload['email'] = user.email;
      if (user.phone !== undefined) payload['phone'] = user.phone;
      const jwt = new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt(iat).setExpirationTime(exp);
      if (options.companyName) jwt.setIssuer(options.companyName);
      return { token: await jwt.sign(key), expiresAt: new Date(exp * 1000) };
    },
  };
}
