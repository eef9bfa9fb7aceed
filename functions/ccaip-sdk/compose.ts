/** Composition root: configuration, the identity provider's keys, the signer and the HTTP app, built once per instance. */
import { hkdfSync } from 'node:crypto';
import type { Env } from '../../shared/config';
import type { HttpFunction } from '../../shared/http/app';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { ccaipSdkConfigShape } from './config';
import { createGuestIdentities } from './guest';
import { createIdTokenVerifier, type FetchLike } from './identity';
import { createRateLimiter } from './rate-limit';
import { createCcaipSdkApp } from './routes';
import { createEndUserSigner } from './sign';

export interface CcaipSdkPorts {
  /** Fetches the identity provider's discovery document and JWK Set. */
  fetch?: FetchLike;
  random?: (bytes: number) => Buffer;
}

export function composeCcaipSdk(env: Env, ports: CcaipSdkPorts = {}, options: ComposeOptions = {}): HttpFunction {
  const { config, log } = createFunctionRuntime('ccaip-sdk', env, ccaipSdkConfigShape, options);
  const nowMs = options.now ?? Date.now;
  const now = () => new Date(nowMs());
  const guestPrefix = config.SDK_GUEST_PREFIX;
  // The guest values' key is derived from the company secret for this one purpose (rotating the secret starts new guest identities).
  const guests = config.SDK_ALLOW_GUESTS
    ? createGuestIdentities({
        key: Buffer.from(hkdfSync('sha256', config.CCAIP_COMPANY_SECRET.reveal(), 'ccbridge', 'ccaip-sdk guest identifier', 32)),
        prefix: guestPrefix,
        secureCookie: config.SDK_GUEST_COOKIE_SECURE,
        days: config.SDK_GUEST_DAYS,
        ...(ports.random ? { random: ports.random } : {}),
      })
    : undefined;

  return createCcaipSdkApp({
    log,
    projectId: config.GCP_PROJECT,
    corsOrigins: config.SDK_CORS_ORIGINS.map((o) => new URL(o).origin),
    rateLimiter: createRateLimiter({ perMinute: config.SDK_RATE_LIMIT_PER_MINUTE, now: nowMs }),
    forwardedHops: config.SDK_FORWARDED_HOPS,
    verifier: createIdTokenVerifier({
      issuer: config.SDK_OIDC_ISSUER,
      audiences: config.SDK_OIDC_AUDIENCE,
      jwksUrl: config.SDK_OIDC_JWKS_URL,
      clockSkewSeconds: config.SDK_CLOCK_SKEW_SECONDS,
      now,
      ...(ports.fetch ? { fetch: ports.fetch } : {}),
    }),
    mapping: {
      identifier: config.SDK_CLAIM_IDENTIFIER,
      name: config.SDK_CLAIM_NAME,
      email: config.SDK_CLAIM_EMAIL,
      phone: config.SDK_CLAIM_PHONE,
      phoneDefaultCountry: config.SDK_PHONE_DEFAULT_COUNTRY,
      guestPrefix,
    },
    signer: createEndUserSigner({
      companySecret: config.CCAIP_COMPANY_SECRET,
      companyName: config.CCAIP_COMPANY_NAME,
      ttlSeconds: config.SDK_TOKEN_TTL_SECONDS,
      now,
    }),
    guests,
    mobileAllowedFields: config.SDK_MOBILE_ALLOWED_FIELDS,
    demo: config.SDK_DEMO_PAGE ? { companyId: config.CCAIP_COMPANY_ID, host: config.CCAIP_HOST } : undefined,
  });
}
