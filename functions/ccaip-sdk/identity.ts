/**
 * Who the end user is, proven by an ID token of the host application's identity provider
 * (Firebase Authentication / Identity Platform, Auth0, Entra ID, Okta, any OIDC issuer):
 * signature against the issuer's JWK Set, `iss` exactly the configured issuer, `aud` one of
 * the configured audiences, `exp`/`iat`/`nbf` with a tolerated clock skew. Only asymmetric
 * algorithms: an `alg: none` or HS-signed token (which anyone knowing a public key could
 * forge under key confusion) never passes. Facts: docs/contracts/ccai-platform-sdk.md.
 *
 * The JWK Set is fetched on first use (from SDK_OIDC_JWKS_URL or the issuer's discovery
 * document), cached by jose, and fetched again when a token names an unknown key (at most
 * once per cool-down). A key URL in Google's certificate format (`{kid: PEM}`, what Firebase's
 * documentation names for its ID tokens) is read as a JWK Set too. The token itself never
 * reaches a log or an error message.
 */
import { createRemoteJWKSet, customFetch, exportJWK, errors as joseErrors, importSPKI, importX509, type JWK, type JWTPayload, jwtVerify } from 'jose';
import * as z from 'zod';
import { AppError, unauthenticated } from '../../shared/errors';
import { lazyAsync } from '../../shared/lazy';
import { withoutTrailingSlash } from '../../shared/http/url';

const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

export interface IdTokenVerifierOptions {
  issuer: string;
  audiences: string[];
  /** When unset, `jwks_uri` of {issuer}/.well-known/openid-configuration. */
  jwksUrl?: string | undefined;
  clockSkewSeconds: number;
  fetch?: FetchLike;
  now?: () => Date;
  /** How long a fetch of the keys or the discovery document may take. */
  timeoutMs?: number;
}

export interface IdTokenVerifier {
  /** The verified claims of the token in "Bearer <token>", or a 401 (503 when the keys cannot be fetched). */
  verify(authorization: string): Promise<JWTPayload>;
}

const discoverySchema = z.looseObject({ issuer: z.string(), jwks_uri: z.url() });

const keysUnavailable = (cause: unknown) =>
  new AppError('unavailable', 503, "the identity provider's signing keys cannot be fetched", { retryable: true, retryAfterSeconds: 5, cause });

export function createIdTokenVerifier(options: IdTokenVerifierOptions): IdTokenVerifier {
  const doFetch: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const now = options.now ?? (() => new Date());
  const timeoutMs = options.timeoutMs ?? 5000;

  const jwksUrl = lazyAsync(async (): Promise<string> => {
    if (options.jwksUrl) return options.jwksUrl;
    const url = `${withoutTrailingSlash(options.issuer)}/.well-known/openid-configuration`;
    let body: unknown;
    try {
      const res = await doFetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) throw new Error(`discovery answered ${res.status}`);
      body = await res.json();
    } catch (err) {
      throw keysUnavailable(err);
    }
    const doc = discoverySchema.safeParse(body);
    // Discovery 1.0 §4.3: the document's issuer must be the one asked for.
    if (!doc.success || doc.data.issuer !== options.issuer) throw keysUnavailable(new Error('discovery document unreadable or for another issuer'));
    return doc.data.jwks_uri;
  });

  const keySet = lazyAsync(async () =>
    createRemoteJWKSet(new URL(await jwksUrl()), {
      timeoutDuration: timeoutMs,
      cooldownDuration: 30_000,
      cacheMaxAge: 10 * 60_000,
      [customFetch]: async (url, init) => asJwkSet(await doFetch(url, init)),
    }),
  );

  return {
    async verify(authorization) {
      const token = /^Bearer\s+([A-Za-z0-9_.-]+)$/i.exec(authorization.trim())?.[1];
      if (!token) throw unauthenticated('Authorization must be "Bearer <ID token>"');
      const keys = await keySet();
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.audiences,
          algorithms: ASYMMETRIC_ALGORITHMS,
          requiredClaims: ['exp', 'iat'],
          clockTolerance: options.clockSkewSeconds,
          currentDate: now(),
        });
        // jose checks nbf but not a future iat; OIDC Core 3.1.3.7 lets a verifier refuse one (beyond the skew).
        if (typeof payload.iat === 'number' && payload.iat > now().getTime() / 1000 + options.clockSkewSeconds)
          throw unauthenticated('the ID token was refused (not yet valid)');
        // OIDC Core 3.1.3.7 (4, 5): a token for several audiences must have been issued to one of ours.
        if (Array.isArray(payload.aud) && payload.aud.length > 1 && !(typeof payload['azp'] === 'string' && options.audiences.includes(payload['azp']))) {
          throw unauthenticated('the ID token was refused (issued to another party)');
        }
        return payload;
      } catch (err) {
        if (err instanceof AppError) throw err;
        if (isKeyFetchFailure(err)) throw keysUnavailable(err);
        throw unauthenticated(`the ID token was refused (${describeRefusal(err)})`);
      }
    },
  };
}

/** `{kid: PEM certificate or public key}` (Google's certificate endpoints) → a JWK Set; anything else unchanged. */
async function asJwkSet(res: Response): Promise<Response> {
  if (res.status !== 200) return res;
  const body: unknown = await res
    .clone()
    .json()
    .catch(() => undefined);
  const pems = z.record(z.string(), z.string().startsWith('-----BEGIN ')).safeParse(body);
  if (!pems.success || Object.keys(pems.data).length === 0) return res;
  const keys: JWK[] = [];
  for (const [kid, pem] of Object.entries(pems.data)) {
    const key = pem.includes('BEGIN CERTIFICATE')
      ? await importX509(pem, 'RS256', { extractable: true })
      : await importSPKI(pem, 'RS256', { extractable: true });
    keys.push({ ...(await exportJWK(key)), kid, alg: 'RS256', use: 'sig' });
  }
  return Response.json({ keys }, { headers: { 'cache-control': res.headers.get('cache-control') ?? '' } });
}

/** The JWK Set could not be had (network, timeout, non-200, not a JWK Set): our problem or the issuer's, not the caller's. */
function isKeyFetchFailure(err: unknown): boolean {
  if (err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid) return true;
  if (err instanceof joseErrors.JOSEError) return err.code === 'ERR_JOSE_GENERIC';
  return true;
}

/** What kind of failure, never the token or its claims' values. */
function describeRefusal(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'wrong audience';
    if (err.claim === 'iss') return 'wrong issuer';
    if (err.claim === 'iat' || err.claim === 'nbf') return 'not yet valid';
    return `claim ${err.claim} missing or invalid`;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'algorithm not allowed';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'signed with an unknown key';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  return 'malformed';
}
