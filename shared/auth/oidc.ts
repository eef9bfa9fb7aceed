/**
 * Verifies the Google-signed OIDC ID tokens Cloud Scheduler and Pub/Sub push attach
 * (`Authorization: Bearer <jwt>`): signature against Google's published certificates
 * (fetched once and cached for their Cache-Control max-age; fetched again when a token names
 * a key not seen yet, at most once a minute), issuer, expiry, audience = this function's URL,
 * then the caller's service account against the allowed list.
 *
 * Production reads https://www.googleapis.com/oauth2/v1/certs; the local stack points
 * OIDC_CERTS_URL at its own issuer, so the same code path verifies both.
 * Behind Cloud Run (IAM invoker check on, `platformVerified`), Cloud Run has already verified
 * the token and forwards it with its signature replaced by `SIGNATURE_REMOVED_BY_GOOGLE`
 * (docs/contracts/google-cloud.md §1): such a token cannot be verified again, so its claims are
 * checked (issuer, audience, expiry, verified email, allowed account) and trusted. Without
 * `platformVerified` a stripped token is refused: anyone could write one.
 *
 * Missing, malformed, badly signed, expired or wrongly addressed → 401; a valid token of
 * another account → 403. The token itself is never logged.
 */
import type { Got } from 'got';
import * as z from 'zod';
import { AppError, forbidden, unauthenticated } from '../errors';
import { lazyAsync } from '../lazy';

export const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

const certsSchema = z.record(z.string(), z.string().min(1));
const headerSchema = z.looseObject({ kid: z.string().optional(), alg: z.string().optional() });
const claimsSchema = z.looseObject({ email: z.string().optional(), email_verified: z.union([z.boolean(), z.string()]).optional() });

export interface OidcVerifierOptions {
  certsUrl: string;
  audience: string;
  /** The got instance for the certificates endpoint. */
  http: Got;
  now?: () => number;
  /** Cloud Run verified the token before the request reached us (stripped tokens are accepted). */
  platformVerified?: boolean;
}

export interface VerifiedCaller {
  email: string;
}

export interface OidcVerifier {
  /** The caller, if the Authorization header holds a valid token of one of `allowed`. */
  verify(authorization: string | undefined, allowed: readonly string[]): Promise<VerifiedCaller>;
}

/** What Cloud Run puts in place of the signature of a token it verified. */
export const SIGNATURE_REMOVED = 'SIGNATURE_REMOVED_BY_GOOGLE';
/** Clock skew tolerated on a stripped token's expiry (google-auth-library allows 300 s). */
const CLOCK_SKEW_S = 300;

const strippedClaimsSchema = z.looseObject({
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  exp: z.number(),
  iat: z.number().optional(),
  email: z.string().optional(),
  email_verified: z.union([z.boolean(), z.string()]).optional(),
});

/**
 * The header Cloud Run authorized the request with: `X-Serverless-Authorization` when the
 * caller sent one (Cloud Run then passes `Authorization` through untouched), else `Authorization`.
 */
export function platformCredential(headers: Record<string, string | string[] | undefined>): string | undefined {
  const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  return one(headers['x-serverless-authorization']) ?? one(headers['authorization']);
}

const REFETCH_UNKNOWN_KID_MS = 60_000;
const DEFAULT_CERTS_TTL_MS = 3_600_000;

export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const now = options.now ?? Date.now;
  let certs: { keys: Record<string, string>; expiresAt: number; fetchedAt: number } | undefined;
  // google-auth-library is loaded when the first token arrives, not at instance start.
  const client = lazyAsync(async () => new (await import('google-auth-library')).OAuth2Client());

  const fetchCerts = async () => {
    let response: { body: unknown; headers: Record<string, string | string[] | undefined> };
    try {
      const r = await options.http.get(options.certsUrl, { responseType: 'json' });
      response = { body: r.body, headers: r.headers };
    } catch (err) {
      throw new AppError('unavailable', 503, 'cannot fetch the token-signing certificates', { retryable: true, cause: err });
    }
    const parsed = certsSchema.safeParse(response.body);
    if (!parsed.success) throw new AppError('unavailable', 503, 'token-signing certificates are not readable', { retryable: true });
    const maxAge = /max-age=(\d+)/.exec(String(response.headers['cache-control'] ?? ''))?.[1];
    const t = now();
    certs = { keys: parsed.data, fetchedAt: t, expiresAt: t + (maxAge ? Number(maxAge) * 1000 : DEFAULT_CERTS_TTL_MS) };
    return certs.keys;
  };

  const keysFor = async (kid: string | undefined): Promise<Record<string, string>> => {
    const t = now();
    if (!certs || t >= certs.expiresAt) return fetchCerts();
    // Google rotates keys: a token signed with a new one arrives before our cache expires.
    if (kid !== undefined && !(kid in certs.keys) && t - certs.fetchedAt >= REFETCH_UNKNOWN_KID_MS) return fetchCerts();
    return certs.keys;
  };

  const verifySigned = async (token: string, kid: string | undefined): Promise<unknown> => {
    const keys = await keysFor(kid);
    try {
      const ticket = await (await client()).verifySignedJwtWithCertsAsync(token, keys, options.audience, GOOGLE_ISSUERS);
      return ticket.getPayload();
    } catch (err) {
      // The library's messages quote the token: keep only what kind of failure it was.
      throw unauthenticated(`the token was refused (${failureKind(err)})`);
    }
  };

  return {
    async verify(authorization, allowed) {
      const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
      if (!token) throw unauthenticated('a Google-signed OIDC token is required (Authorization: Bearer …)');
      const header = decodeSegment(token.split('.')[0]);
      const parsedHeader = headerSchema.safeParse(header);
      if (!parsedHeader.success) throw unauthenticated('the token is not a JWT');
      let payload: unknown;
      if (token.split('.')[2] === SIGNATURE_REMOVED) {
        if (!options.platformVerified) throw unauthenticated('the token carries no signature (only Cloud Run may strip it)');
        payload = checkStrippedClaims(token, options.audience, now());
      } else {
        payload = await verifySigned(token, parsedHeader.data.kid);
      }
      const claims = claimsSchema.safeParse(payload);
      const email = claims.success ? claims.data.email : undefined;
      const verified = claims.success && (claims.data.email_verified === true || claims.data.email_verified === 'true');
      if (!email || !verified) throw unauthenticated('the token names no verified service account');
      if (!allowed.some((a) => a.toLowerCase() === email.toLowerCase())) throw forbidden(`${email} may not call this endpoint`);
      return { email };
    },
  };
}

/** The checks a signature cannot give any more: who issued it, for whom, until when. */
function checkStrippedClaims(token: string, audience: string, nowMs: number): unknown {
  const parsed = strippedClaimsSchema.safeParse(decodeSegment(token.split('.')[1]));
  if (!parsed.success) throw unauthenticated('the token was refused (malformed)');
  const claims = parsed.data;
  if (!GOOGLE_ISSUERS.includes(claims.iss)) throw unauthenticated('the token was refused (wrong issuer)');
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(audience)) throw unauthenticated('the token was refused (wrong audience)');
  const nowS = nowMs / 1000;
  if (claims.exp + CLOCK_SKEW_S < nowS) throw unauthenticated('the token was refused (expired)');
  if (claims.iat !== undefined && claims.iat - CLOCK_SKEW_S > nowS) throw unauthenticated('the token was refused (not yet valid)');
  return claims;
}

function decodeSegment(segment: string | undefined): unknown {
  if (!segment) return undefined;
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

function failureKind(err: unknown): string {
  const message = err instanceof Error ? err.message : '';
  if (/too late|expired/i.test(message)) return 'expired';
  if (/too early/i.test(message)) return 'not yet valid';
  if (/recipient|audience/i.test(message)) return 'wrong audience';
  if (/issuer/i.test(message)) return 'wrong issuer';
  if (/pem|signature/i.test(message)) return 'bad signature';
  return 'malformed';
}
