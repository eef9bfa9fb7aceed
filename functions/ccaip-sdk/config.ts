/**
 * Settings of the ccaip-sdk function (documented in README.md and .env.example).
 * Parsed once from the injected env; every bad key is reported at once.
 * Facts behind them: docs/contracts/ccai-platform-sdk.md.
 */
import * as z from 'zod';
import { envBool, envInt, envList, envString, envUrl, secret } from '../../shared/config';
import { countryCodeSchema } from '../../shared/phone';

/** Payload keys that carry or frame an identity: only the function sets them, never a caller. */
export const IDENTITY_KEYS = ['identifier', 'name', 'email', 'phone', 'iss', 'iat', 'exp', 'nbf', 'sub', 'aud', 'jti'] as const;

/** A claim name of the identity provider's ID token, or "none" to leave that field out. */
const claimName = (fallback: string) =>
  z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.:/-]{1,200}$/, { error: 'must be a claim name (letters, digits, _ . : / -) or "none"' })
    .default(fallback)
    .transform((v) => (v.toLowerCase() === 'none' ? undefined : v));

export const ccaipSdkConfigShape = {
  /**
   * The company secret (Settings → Developer Settings in the CCAI Platform portal). Signs the
   * end-user JWTs. Its length is the platform's to choose (undocumented): only an empty or
   * placeholder-short value is refused.
   */
  CCAIP_COMPANY_SECRET: secret(8),
  /** `iss` of the end-user JWTs: the company name (optional per the documentation). */
  CCAIP_COMPANY_NAME: z.string().trim().max(200).optional(),
  /** The company id and instance host, only for the demo page's widget (not secrets). */
  CCAIP_COMPANY_ID: z.string().trim().max(200).optional(),
  CCAIP_HOST: envUrl().optional(),
  /** The host application's identity provider: issuer identifier exactly as in its tokens' `iss`. */
  SDK_OIDC_ISSUER: envString().pipe(z.url({ error: "must be the issuer URL, exactly as the ID tokens' iss claim" })),
  /** Accepted `aud` values (the client id / Firebase project id), comma-separated. */
  SDK_OIDC_AUDIENCE: envList().pipe(z.array(z.string().max(500)).min(1, { error: 'at least one audience is required' })),
  /** The issuer's JWK Set; discovered from {issuer}/.well-known/openid-configuration when unset. */
  SDK_OIDC_JWKS_URL: envUrl().optional(),
  /** Which ID-token claim becomes each CCAI Platform field. */
  SDK_CLAIM_IDENTIFIER: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.:/-]{1,200}$/, { error: 'must be a claim name (letters, digits, _ . : / -)' })
    .default('sub'),
  SDK_CLAIM_NAME: claimName('name'),
  SDK_CLAIM_EMAIL: claimName('email'),
  SDK_CLAIM_PHONE: claimName('phone_number'),
  /** Country for phone claims written without a country code. */
  SDK_PHONE_DEFAULT_COUNTRY: countryCodeSchema().default('US'),
  /** Lifetime of an end-user JWT, seconds. */
  SDK_TOKEN_TTL_SECONDS: envInt(60, 3600).default(300),
  /** Clock difference tolerated on the ID tokens' exp/iat/nbf, seconds. */
  SDK_CLOCK_SKEW_SECONDS: envInt(0, 300).default(60),
  /** Whether visitors without an ID token get a guest identity. */
  SDK_ALLOW_GUESTS: envBool().default(false),
  /** Guest identifiers start with this; a verified identifier that does is refused, so the two never meet. */
  SDK_GUEST_PREFIX: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9]{1,15}[-_:]$/, { error: 'must be 2–16 lowercase letters/digits followed by -, _ or :' })
    .default('guest-'),
  /** Guest cookie flags: Secure + SameSite=None (production, cross-site pages); off only for plain-http local use. */
  SDK_GUEST_COOKIE_SECURE: envBool().default(true),
  /** Days a guest keeps the same identifier in that browser. */
  SDK_GUEST_DAYS: envInt(1, 400).default(180),
  /** Fields a mobile payload may add besides the identity (the SDK's default payload). */
  SDK_MOBILE_ALLOWED_FIELDS: envList()
    .pipe(
      z.array(
        z
          .string()
          .regex(/^[A-Za-z][A-Za-z0-9_]{0,63}$/, { error: 'each field must be a plain key' })
          .refine((k) => !(IDENTITY_KEYS as readonly string[]).includes(k), { error: 'identity keys are set from the ID token only' }),
      ),
    )
    .default(['device_token']),
  /** Origins of the host site allowed to call from a browser, comma-separated. */
  SDK_CORS_ORIGINS: envList()
    .pipe(z.array(z.url({ error: 'each origin must be an absolute URL such as https://www.example.com' })))
    .default([]),
  /** Requests per client (address) per minute, per instance. */
  SDK_RATE_LIMIT_PER_MINUTE: envInt(1, 10_000).default(60),
  /** Which X-Forwarded-For entry is the client's: 0 = the last (see shared/http/source-address.ts). */
  SDK_FORWARDED_HOPS: envInt(0, 5).default(0),
  /** Serves GET /demo, a sample page wiring the Web SDK's authenticate callback to /token. */
  SDK_DEMO_PAGE: envBool().default(false),
};
