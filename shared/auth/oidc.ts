/**
 * Verifies the Google-signed OIDC ID tokens Cloud Scheduler and Pub/Sub push attach
 * (`Authorization: Bearer <jwt>`) with google-auth-library's `OAuth2Client.verifyIdToken`:
 * signature against the published certificates (the client's own cache, kept for the
 * answer's Cache-Control max-age), issuer, lifetime, audience = this function's URL; then the
 * caller's service account against the allowed list.
 *
 * Production reads https://www.googleapis.com/oauth2/v1/certs; the local stack points
 * OIDC_CERTS_URL at its own issuer — the client's `oauth2FederatedSignonPemCertsUrl`
 * endpoint — so the same code path verifies both. The client's cache never asks again for a
 * key it does not know before its max-age runs out; Google publishes a new key before signing
 * with it, but a token naming an unknown key makes a fresh client (an empty cache) ask again,
 * at most once a minute. The library checks lifetimes against the system clock (it takes no
 * clock of ours); the injected `now` paces that re-fetch and checks stripped tokens.
 * Behind Cloud Run (IAM invoker check on, `platformVerified`), Cloud Run has already verified
 * the token and forwards it with its signature replaced by `SIGNATURE_REMOVED_BY_GOOGLE`
 * (docs/contracts/google-cloud.md §1): such a token cannot be verified again, so its claims are
 * checked (issuer, audience, expiry, verified email, allowed account) and trusted. Without
 * `platformVerified` a stripped token is refused: anyone could write one.
 *
 * Missing, malformed, badly signed, expired or wrongly addressed → 401; a valid token of
 * another account → 403; certificates unreachable → 503. The token itself is never logged:
 * the library's error messages quote it, so a refusal is explained from the token's claims
 * (which claim is wrong) instead of from the library's message.
 */
import type { OAuth2Client } from 'google-auth-library';
import * as z from 'zod';
import { AppError, forbidden, unauthenticated } from '../errors';

const GOOGLE_ISSUERS = ['https://accounts.google.com', 'accounts.google.com'];

const headerSchema = z.looseObject({ kid: z.string().optional(), alg: z.string().optional() });
const claimsSchema = z.looseObject({ email: z.string().optional(), email_verified: z.union([z.boolean(), z.string()]).optional() });

export interface OidcVerifierOptions {
  /** Where the token-signing certificates are read (Google's, or the local issuer's). */
  certsUrl: string;
  audience: string;
  now?: () => number;
  /** Time allowed for the certificates request (default 10 s). */
  certsTimeoutMs?: number;
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
const SIGNATURE_REMOVED = 'SIGNATURE_REMOVED_BY_GOOGLE';
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

export function createOidcVerifier(options: OidcVerifierOptions): OidcVerifier {
  const now = options.now ?? Date.now;
  // google-auth-library is loaded when the first token arrives, not at instance start.
  const newClient = async (): Promise<OAuth2Client> =>
    new (await import('google-auth-library')).OAuth2Client({
      endpoints: { oauth2FederatedSignonPemCertsUrl: options.certsUrl },
      issuers: GOOGLE_ISSUERS,
      transporterOptions: { timeout: options.certsTimeoutMs ?? 10_000 },
    });
  let client: Promise<OAuth2Client> | undefined;
  let clientSince = 0;

  const certsOf = async (c: OAuth2Client): Promise<Record<string, unknown>> => {
    try {
      return (await c.getFederatedSignonCertsAsync()).certs as Record<string, unknown>;
    } catch (err) {
      throw new AppError('unavailable', 503, 'cannot fetch the token-signing certificates', { retryable: true, cause: err });
    }
  };

  const verifySigned = async (token: string, kid: string | undefined): Promise<unknown> => {
    if (!client) {
      client = newClient();
      clientSince = now();
    }
    let c = await client;
    let certs = await certsOf(c);
    if (kid !== undefined && !(kid in certs) && now() - clientSince >= REFETCH_UNKNOWN_KID_MS) {
      client = newClient();
      clientSince = now();
      c = await client;
      certs = await certsOf(c);
    }
    try {
      // The certificates are in the client's cache now: verifyIdToken reads them from there.
      const ticket = await c.verifyIdToken({ idToken: token, audience: options.audience });
      return ticket.getPayload();
    } catch {
      const reason = kid === undefined || !(kid in certs) ? 'unknown signing key' : (claimProblem(token, options.audience, now()) ?? 'bad signature');
      throw unauthenticated(`the token was refused (${reason})`);
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
        const problem = claimProblem(token, options.audience, now());
        if (problem) throw unauthenticated(`the token was refused (${problem})`);
        payload = decodeSegment(token.split('.')[1]);
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

/**
 * What is wrong with a token's claims — who issued it, for whom, until when — or undefined.
 * The whole check of a stripped token (its signature is gone); for a signed token the
 * library decided, and this only says why.
 */
function claimProblem(token: string, audience: string, nowMs: number): string | undefined {
  const parsed = strippedClaimsSchema.safeParse(decodeSegment(token.split('.')[1]));
  if (!parsed.success) return 'malformed';
  const claims = parsed.data;
  if (!GOOGLE_ISSUERS.includes(claims.iss)) return 'wrong issuer';
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(audience)) return 'wrong audience';
  const nowS = nowMs / 1000;
  if (claims.exp + CLOCK_SKEW_S < nowS) return 'expired';
  if (claims.iat !== undefined && claims.iat - CLOCK_SKEW_S > nowS) return 'not yet valid';
  return undefined;
}

function decodeSegment(segment: string | undefined): unknown {
  if (!segment) return undefined;
  try {
    return JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
