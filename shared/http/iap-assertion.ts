/**
 * Identity asserted by Identity-Aware Proxy, proven by its signed header. IAP sends
 * `x-goog-iap-jwt-assertion`: a JWT signed ES256 with one of Google's IAP keys (JWKS at
 * https://www.gstatic.com/iap/verify/public_key-jwk), issuer `https://cloud.google.com/iap`,
 * audience naming the protected resource. The unsigned `x-goog-authenticated-user-*` headers
 * prove nothing: anyone reaching the function without IAP can set them (IAP strips
 * client-sent `x-goog-*` headers only on requests that pass through it). Facts and sources:
 * docs/contracts/google-cloud.md, "IAP".
 */
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import * as z from 'zod';
import { unauthenticated } from '../errors';

export const IAP_ASSERTION_HEADER = 'x-goog-iap-jwt-assertion';
export const IAP_ISSUER = 'https://cloud.google.com/iap';
export const IAP_PUBLIC_KEYS_URL = 'https://www.gstatic.com/iap/verify/public_key-jwk';
/** Clock skew allowed on `exp` and `iat`. */
const CLOCK_TOLERANCE_SECONDS = 30;

export interface IapIdentity {
  email: string;
  /** IAP's user id (`sub`, e.g. "accounts.google.com:1234"). */
  subject: string;
  /** The email's domain, lower-cased. */
  domain: string;
}

export interface IapVerifier {
  /** The identity the assertion proves; a 401 AppError when it proves none. */
  verify(assertion: string | undefined): Promise<IapIdentity>;
}

const claimsSchema = z.object({
  email: z
    .string()
    .min(3)
    .max(320)
    .regex(/^[^@\s]+@[^@\s]+$/),
  sub: z.string().min(1).max(300),
  iat: z.number(),
});

export interface IapVerifierOptions {
  /** Accepted `aud` values (e.g. `/projects/NUMBER/global/backendServices/ID`). At least one. */
  audiences: string[];
  /** The key set; `iapKeysFrom(url)` in production (cached by jose, refetched for unknown kids). */
  keys: JWTVerifyGetKey;
  now?: () => number;
}

export function iapKeysFrom(url: string = IAP_PUBLIC_KEYS_URL): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(url));
}

export function createIapVerifier(options: IapVerifierOptions): IapVerifier {
  if (options.audiences.length === 0) throw new Error('an IAP verifier needs at least one audience');
  const now = options.now ?? Date.now;
  return {
    async verify(assertion) {
      if (!assertion) throw unauthenticated('sign-in through Identity-Aware Proxy required');
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(assertion, options.keys, {
          algorithms: ['ES256'],
          issuer: IAP_ISSUER,
          audience: options.audiences,
          currentDate: new Date(now()),
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'iat'],
        }));
      } catch {
        // The reason (expired, wrong key, audience) is not the caller's to learn.
        throw unauthenticated('the Identity-Aware Proxy assertion is not valid');
      }
      const claims = claimsSchema.safeParse(payload);
      if (!claims.success || claims.data.iat > now() / 1000 + CLOCK_TOLERANCE_SECONDS) throw unauthenticated('the Identity-Aware Proxy assertion is not valid');
      const email = claims.data.email.replace(/^accounts\.google\.com:/, '');
      return { email, subject: claims.data.sub, domain: email.split('@')[1]!.toLowerCase() };
    },
  };
}
