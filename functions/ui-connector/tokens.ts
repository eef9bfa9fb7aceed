/**
 * The UI connector's tokens: HS256 JWTs with the reference's claims (`exp`,
 * `gcp_agent_assist_project`, `gcp_agent_assist_user`) plus `iat` and the role claim
 * `ccbridge_role`. Unlike the reference, the key is really loaded (≥ 32 bytes, checked at
 * start) and only HS256 is accepted, so an `alg: none` or RS/HS-confused token never passes.
 * A previous key may be configured while a new one rolls out.
 *
 * Roles say what a token may do, so a token handed to an agent's browser cannot rewrite
 * which conversation a caller belongs to:
 * - `twilio` — issued by `/register-app` to Twilio (Studio, the Twilio Function): may
 *   register (POST) and delete conversation-name mappings;
 * - `agent` — issued by `/register` to the Agent Assist Lightning component: may read
 *   mappings (GET), use the Dialogflow proxy and the socket.
 * Tokens without the claim (issued before it existed, or by a reference `/register` sharing
 * the key) get the roles of the `roleless` policy: `agent` (default: read-only), `any` (both,
 * the old behaviour) or `reject`.
 */
import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import * as z from 'zod';
import type { Secret } from '../../shared/config';
import { AppError } from '../../shared/errors';

const TOKEN_ROLES = ['twilio', 'agent'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];
export const ROLELESS_TOKEN_POLICIES = ['agent', 'any', 'reject'] as const;
export type RolelessTokenPolicy = (typeof ROLELESS_TOKEN_POLICIES)[number];

const tokenClaimsSchema = z.object({
  exp: z.number(),
  iat: z.number().optional(),
  gcp_agent_assist_project: z.string(),
  // The reference puts whatever /register received here, null included.
  gcp_agent_assist_user: z.string().nullish(),
  ccbridge_role: z.enum(TOKEN_ROLES).optional(),
});
export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** A verified token: its claims and the roles it holds (from its claim, or the roleless policy). */
export type VerifiedToken = TokenClaims & { roles: readonly TokenRole[] };

export interface TokenService {
  /** Issues a token for `user` holding `role`. */
  issue(user: string, role: TokenRole): Promise<{ token: string; expiresAt: Date }>;
  /** Accepts "<jwt>" or "Bearer <jwt>"; throws a 401 AppError with the reference's messages. */
  verify(authorization: string | undefined): Promise<VerifiedToken>;
  /** `verify`, then a 403 AppError unless the token holds `role`. */
  authorize(authorization: string | undefined, role: TokenRole): Promise<VerifiedToken>;
}

export interface TokenServiceOptions {
  keys: Secret[];
  project: string;
  ttlMinutes: number;
  now?: () => Date;
  /** Tolerated clock difference with other issuers of the same key. */
  clockToleranceSeconds?: number;
  /** Verified tokens remembered (the Lightning component polls with the same token); 0 disables. */
  cacheEntries?: number;
  /** Roles of tokens without `ccbridge_role`; `agent` by default. */
  roleless?: RolelessTokenPolicy;
}

const ROLELESS_ROLES: Record<Exclude<RolelessTokenPolicy, 'reject'>, readonly TokenRole[]> = { agent: ['agent'], any: TOKEN_ROLES };

/** A verified token is re-checked at least this often, so a removed key stops working soon. */
const VERIFIED_TOKEN_TTL_MS = 60_000;

const tokenError = (message: string) => new AppError('unauthenticated', 401, message);

export function createTokenService(options: TokenServiceOptions): TokenService {
  if (options.keys.length === 0) throw new Error('at least one signing key is required');
  const keys = options.keys.map((k) => new TextEncoder().encode(k.reveal()));
  const now = options.now ?? (() => new Date());
  const signingKey = keys[0]!;
  const maxCached = options.cacheEntries ?? 10_000;
  // Keyed by a hash of the token, never the token itself; entries never outlive its exp.
  const verified = new Map<string, { claims: VerifiedToken; until: number }>();
  const roleless = options.roleless ?? 'agent';

  const service: TokenService = {
    async issue(user, role) {
      const issuedAt = Math.floor(now().getTime() / 1000);
      const exp = issuedAt + options.ttlMinutes * 60;
      const token = await new SignJWT({ gcp_agent_assist_project: options.project, gcp_agent_assist_user: user, ccbridge_role: role })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(issuedAt)
        .setExpirationTime(exp)
        .sign(signingKey);
      return { token, expiresAt: new Date(exp * 1000) };
    },

    async verify(authorization) {
      const token = extractToken(authorization);
      if (!token) throw tokenError('Token is missing.');
      const cacheKey = maxCached > 0 ? createHash('sha256').update(token).digest('base64url') : '';
      const cached = maxCached > 0 ? verified.get(cacheKey) : undefined;
      if (cached) {
        if (now().getTime() < cached.until) return cached.claims;
        verified.delete(cacheKey);
      }
      let payload: unknown;
      let lastError: unknown;
      for (const key of keys) {
        try {
          ({ payload } = await jwtVerify(token, key, {
            algorithms: ['HS256'],
            requiredClaims: ['exp'],
            currentDate: now(),
            clockTolerance: options.clockToleranceSeconds ?? 30,
          }));
          break;
        } catch (err) {
          lastError = err;
          // Only a signature mismatch may be another key's token; anything else is final.
          if (!(err instanceof joseErrors.JWSSignatureVerificationFailed)) break;
        }
      }
      if (payload === undefined) throw tokenError(describeJoseError(lastError));
      const claims = tokenClaimsSchema.safeParse(payload);
      if (!claims.success) {
        const missingProject = claims.error.issues.some((i) => i.path[0] === 'gcp_agent_assist_project');
        throw tokenError(missingProject ? 'The target project in your token is missing.' : 'Failed to parse your token.');
      }
      if (claims.data.gcp_agent_assist_project !== options.project) throw tokenError('The target project in your token is invalid.');
      const role = claims.data.ccbridge_role;
      if (role === undefined && roleless === 'reject') throw tokenError('Your token has no role (ccbridge_role); get a new one.');
      const verifiedToken: VerifiedToken = {
        ...claims.data,
        roles: role !== undefined ? [role] : ROLELESS_ROLES[roleless as Exclude<RolelessTokenPolicy, 'reject'>],
      };
      if (maxCached > 0) {
        if (verified.size >= maxCached) verified.delete(verified.keys().next().value!);
        verified.set(cacheKey, { claims: verifiedToken, until: Math.min(claims.data.exp * 1000, now().getTime() + VERIFIED_TOKEN_TTL_MS) });
      }
      return verifiedToken;
    },

    async authorize(authorization, role) {
      const token = await service.verify(authorization);
      if (!token.roles.includes(role))
        throw new AppError('forbidden', 403, `this token (role ${token.roles.join('/')}) may not do this; it needs the role ${role}`);
      return token;
    },
  };
  return service;
}

/** The reference's clients send the raw token; newer ones send "Bearer <token>". */
export function extractToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined) return undefined;
  const value = authorization.trim();
  const bearer = /^Bearer\s+(\S+)$/i.exec(value);
  const token = bearer ? bearer[1]! : value;
  // "undefined"/"null" are what a template string makes of a missing token.
  if (token === '' || token === 'undefined' || token === 'null') return undefined;
  return token;
}

function describeJoseError(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'Your token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed && err.claim === 'exp') return 'The expiration time in your token is missing.';
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The signature of your token is invalid.';
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return 'The signing algorithm of your token is not allowed.';
  return 'Failed to parse your token.';
}
