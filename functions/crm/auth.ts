/**
 * How CCAI Platform authenticates to the contract, in each variant its Generic API offers:
 * Basic, an OAuth 2.0 client-credentials bearer token (issued by this function), or a custom
 * header carrying an API key. Secrets are compared in constant time (on SHA-256 digests, so
 * not even their length leaks); anything else is a 401 that names the accepted schemes (not
 * the custom header's name).
 */
import { createHmac } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Secret } from '../../shared/config';
import { constantTimeEqual } from '../../shared/constant-time';
import { AppError, unauthenticated } from '../../shared/errors';
import { headerValue } from '../../shared/http/headers';
import type { AuthMethod } from './config';

export interface AuthSettings {
  methods: AuthMethod[];
  basic?: { user: string; password: Secret };
  oauth?: { clientId: string; clientSecret: Secret; tokenTtlSeconds: number };
  header?: { name: string; value: Secret };
}

export type Headers = Record<string, string | string[] | undefined>;

const ISSUER = 'ccbridge-crm';

export interface Authenticator {
  /** Resolves with the method that succeeded; throws a 401 AppError otherwise. */
  authenticate(headers: Headers): Promise<AuthMethod>;
  /** The WWW-Authenticate value a 401 carries. */
  readonly challenge: string;
  /** The OAuth token endpoint's work; undefined when OAuth is not enabled. */
  readonly tokens: TokenIssuer | undefined;
}

export interface TokenIssuer {
  /** Checks client credentials (constant time) and returns a signed token. */
  issue(clientId: string, clientSecret: string): Promise<{ accessToken: string; expiresIn: number } | undefined>;
  verify(token: string): Promise<boolean>;
}

export function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function createTokenIssuer(oauth: NonNullable<AuthSettings['oauth']>, now: () => number): TokenIssuer {
  // The signing key derives from the client secret: rotating the secret revokes every token,
  // and there is no second secret to provision.
  const key = createHmac('sha256', oauth.clientSecret.reveal()).update('ccbridge-crm-oauth-token-signing-v1').digest();
  return {
    async issue(clientId, clientSecret) {
      const idOk = constantTimeEqual(clientId, oauth.clientId);
      const secretOk = constantTimeEqual(clientSecret, oauth.clientSecret.reveal());
      if (!idOk || !secretOk) return undefined;
      const iat = Math.floor(now() / 1000);
      const accessToken = await new SignJWT({ scope: 'crm' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuer(ISSUER)
        .setAudience(ISSUER)
        .setSubject(clientId)
        .setIssuedAt(iat)
        .setExpirationTime(iat + oauth.tokenTtlSeconds)
        .sign(key);
      return { accessToken, expiresIn: oauth.tokenTtlSeconds };
    },
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: ISSUER, algorithms: ['HS256'], currentDate: new Date(now()) });
        return payload.sub === oauth.clientId;
      } catch {
        return false;
      }
    },
  };
}

export function createAuthenticator(settings: AuthSettings, now: () => number = Date.now): Authenticator {
  const tokens = settings.methods.includes('oauth') && settings.oauth ? createTokenIssuer(settings.oauth, now) : undefined;
  const schemes: string[] = [];
  if (settings.methods.includes('basic')) schemes.push(`Basic realm="${ISSUER}"`);
  if (tokens) schemes.push(`Bearer realm="${ISSUER}"`);
  const challenge = schemes.join(', ') || `ApiKey realm="${ISSUER}"`;

  return {
    challenge,
    tokens,
    async authenticate(headers) {
      const authorization = headerValue(headers, 'authorization');
      // Every enabled method is tried; a request carrying several credentials passes on any.
      if (settings.methods.includes('header') && settings.header) {
        const given = headerValue(headers, settings.header.name.toLowerCase());
        if (given !== undefined && constantTimeEqual(given, settings.header.value.reveal())) return 'header';
      }
      if (settings.methods.includes('basic') && settings.basic) {
        const creds = parseBasic(authorization);
        if (creds) {
          const userOk = constantTimeEqual(creds.user, settings.basic.user);
          const passOk = constantTimeEqual(creds.password, settings.basic.password.reveal());
          if (userOk && passOk) return 'basic';
        }
      }
      if (tokens && authorization) {
        const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
        if (m && (await tokens.verify(m[1]!))) return 'oauth';
      }
      // The custom header's name is part of the secret's hiding place: a 401 never names it.
      const accepted = settings.methods.map((m) => (m === 'header' ? 'API key header' : m === 'oauth' ? 'OAuth bearer token' : 'Basic')).join(', ');
      throw authorization || anyHeader(headers, settings)
        ? unauthenticated(`credentials not accepted (accepted: ${accepted})`)
        : unauthenticated(`authentication required (${accepted})`);
    },
  };
}

function anyHeader(headers: Headers, settings: AuthSettings): boolean {
  return settings.header !== undefined && headerValue(headers, settings.header.name.toLowerCase()) !== undefined;
}

/**
 * The admin token of the mock: Bearer or X-Admin-Token; for reads also Basic with the token as
 * password (browsers). State-changing calls never take Basic: a browser caches it and sends it
 * with any cross-site form POST.
 */
export function checkAdmin(headers: Headers, token: Secret | undefined, options: { allowBasic: boolean }): void {
  if (!token) throw new AppError('forbidden', 403, 'admin endpoints are only available in mock mode');
  const authorization = headerValue(headers, 'authorization');
  const candidates: string[] = [];
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  if (bearer) candidates.push(bearer[1]!);
  const basic = options.allowBasic ? parseBasic(authorization) : undefined;
  if (basic) candidates.push(basic.password);
  const header = headerValue(headers, 'x-admin-token');
  if (header !== undefined) candidates.push(header);
  // Evaluate every candidate so timing does not reveal which one was checked.
  let ok = false;
  for (const c of candidates) ok = constantTimeEqual(c, token.reveal()) || ok;
  if (!ok) {
    throw unauthenticated(
      options.allowBasic
        ? 'admin token required (Authorization: Bearer <CRM_ADMIN_TOKEN>, X-Admin-Token, or Basic with it as password)'
        : 'admin token required in a header a browser never sends by itself (Authorization: Bearer ' +
            '<CRM_ADMIN_TOKEN> or X-Admin-Token); Basic is accepted only for reading',
    );
  }
}
