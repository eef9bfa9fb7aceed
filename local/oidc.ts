/**
 * A local stand-in for Google's OIDC token issuer, so the local stack can do what Cloud
 * Scheduler and Pub/Sub push do in production: call a function with an ID token for a
 * service account and an audience. It serves its public keys in Google's certs format
 * (`GET /oauth2/v1/certs`: key id → PEM) and mints RS256 tokens with Google's claims.
 * Functions verify against the certs URL from their configuration, so production points
 * at https://www.googleapis.com/oauth2/v1/certs and local at this server.
 *
 * It is also the local stack's end-user identity provider (what Firebase Authentication, Auth0,
 * Entra ID or Okta are to a host site, for ccaip-sdk): an OIDC issuer whose identifier is its
 * own URL, with a discovery document (`/.well-known/openid-configuration`) naming its JWK Set
 * (`/oauth2/v3/certs`, the same key), and `mintIdToken` for a signed-in user's ID token.
 *
 * And it stands in for Identity-Aware Proxy's signer: an ES256 key served as a JWKS at
 * `GET /iap/verify/public_key-jwk` (Google's is https://www.gstatic.com/iap/verify/public_key-jwk)
 * and `mintIap`, the `x-goog-iap-jwt-assertion` IAP would put on a request it let through
 * (issuer https://cloud.google.com/iap, the protected resource as audience, `email`, `sub`).
 */
import { createPublicKey, createSign, createVerify, generateKeyPairSync, randomBytes } from 'node:crypto';
import { IAP_ISSUER } from '../shared/http/iap-assertion';
import { type MockServer, sendJson, startMockServer } from './mocks/http-mock';

export const GOOGLE_ISSUER = 'https://accounts.google.com';

export interface OidcIssuer extends MockServer {
  readonly certsUrl: string;
  /** An ID token as Google would issue it to `email` for `audience`. */
  mint(audience: string, email: string, options?: { expiresInSeconds?: number; issuedAt?: number; issuer?: string }): string;
  /** IAP's public keys as a JWKS (what ARTIFACT_IAP_KEYS_URL points at). */
  readonly iapKeysUrl: string;
  readonly iapKeyId: string;
  /** An `x-goog-iap-jwt-assertion` as IAP would send it for `email` to the resource `audience`. */
  mintIap(audience: string, email: string, options?: { expiresInSeconds?: number; issuedAt?: number; issuer?: string }): string;
  /**
   * What Cloud Run's invoker check does with a bearer token (local/gateway.ts): the signature
   * against this issuer's key, issuer, expiry, and one of `audiences`. The claims, or why not.
   */
  check(token: string, audiences: readonly string[], nowMs?: number): { ok: true; email: string } | { ok: false; reason: string };
  /** Issuer identifier of end-user ID tokens (its base URL; discovery at /.well-known/openid-configuration). */
  readonly issuer: string;
  /** An end user's ID token, as an OIDC provider issues it to a client (`audience`) at sign-in. */
  mintIdToken(audience: string, claims: Record<string, unknown> & { sub: string }, options?: { expiresInSeconds?: number; issuedAt?: number }): string;
}

export async function startOidcIssuer(options: { port?: number } = {}): Promise<OidcIssuer> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const kid = randomBytes(8).toString('hex');
  const iap = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const iapKeyId = randomBytes(4).toString('hex');
  const iapJwk = { ...iap.publicKey.export({ format: 'jwk' }), kid: iapKeyId, alg: 'ES256', use: 'sig' };
  const jwk = { ...createPublicKey(publicKey).export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  let issuer = '';
  const server = await startMockServer(
    'oidc',
    [
      { method: 'GET', path: '/oauth2/v1/certs', handle: (_req, res) => sendJson(res, 200, { [kid]: publicKey }, { 'cache-control': 'public, max-age=3600' }) },
      {
        method: 'GET',
        path: '/iap/verify/public_key-jwk',
        handle: (_req, res) => sendJson(res, 200, { keys: [iapJwk] }, { 'cache-control': 'public, max-age=3600' }),
      },
      { method: 'GET', path: '/oauth2/v3/certs', handle: (_req, res) => sendJson(res, 200, { keys: [jwk] }, { 'cache-control': 'public, max-age=3600' }) },
      {
        method: 'GET',
        path: '/.well-known/openid-configuration',
        handle: (_req, res) =>
          sendJson(res, 200, {
            issuer,
            jwks_uri: `${issuer}/oauth2/v3/certs`,
            response_types_supported: ['id_token'],
            subject_types_supported: ['public'],
            id_token_signing_alg_values_supported: ['RS256'],
          }),
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  issuer = server.baseUrl;
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const sign = (payload: Record<string, unknown>) => {
    const header = b64({ alg: 'RS256', kid, typ: 'JWT' });
    const body = b64(payload);
    return `${header}.${body}.${createSign('RSA-SHA256').update(`${header}.${body}`).sign(privateKey).toString('base64url')}`;
  };
  return {
    ...server,
    issuer,
    certsUrl: `${server.baseUrl}/oauth2/v1/certs`,
    mintIdToken(audience, claims, opts = {}) {
      const iat = opts.issuedAt ?? Math.floor(Date.now() / 1000);
      return sign({ ...claims, iss: issuer, aud: audience, iat, exp: iat + (opts.expiresInSeconds ?? 3600) });
    },
    mint(audience, email, opts = {}) {
      const iat = opts.issuedAt ?? Math.floor(Date.now() / 1000);
      const header = b64({ alg: 'RS256', kid, typ: 'JWT' });
      const payload = b64({
        iss: opts.issuer ?? GOOGLE_ISSUER,
        aud: audience,
        azp: email,
        sub: String(BigInt(`0x${randomBytes(8).toString('hex')}`)),
        email,
        email_verified: true,
        iat,
        exp: iat + (opts.expiresInSeconds ?? 3600),
      });
      const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
    iapKeysUrl: `${server.baseUrl}/iap/verify/public_key-jwk`,
    iapKeyId,
    mintIap(audience, email, opts = {}) {
      const iat = opts.issuedAt ?? Math.floor(Date.now() / 1000);
      const header = b64({ alg: 'ES256', kid: iapKeyId, typ: 'JWT' });
      const payload = b64({
        iss: opts.issuer ?? IAP_ISSUER,
        aud: audience,
        sub: `accounts.google.com:${BigInt(`0x${randomBytes(8).toString('hex')}`)}`,
        email,
        iat,
        exp: iat + (opts.expiresInSeconds ?? 600),
      });
      // JWS ES256 signatures are the raw r||s pair (IEEE P1363), not DER.
      const signature = createSign('SHA256').update(`${header}.${payload}`).sign({ key: iap.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
      return `${header}.${payload}.${signature}`;
    },
    check(token, audiences, nowMs = Date.now()) {
      const [h, p, sig] = token.split('.');
      if (!h || !p || !sig) return { ok: false, reason: 'not a JWT' };
      const signed = createVerify('RSA-SHA256').update(`${h}.${p}`).verify(publicKey, Buffer.from(sig, 'base64url'));
      if (!signed) return { ok: false, reason: 'bad signature' };
      let claims: { iss?: unknown; aud?: unknown; exp?: unknown; email?: unknown };
      try {
        claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as typeof claims;
      } catch {
        return { ok: false, reason: 'malformed' };
      }
      if (claims.iss !== GOOGLE_ISSUER && claims.iss !== 'accounts.google.com') return { ok: false, reason: 'wrong issuer' };
      if (typeof claims.aud !== 'string' || !audiences.includes(claims.aud)) return { ok: false, reason: 'wrong audience' };
      if (typeof claims.exp !== 'number' || claims.exp * 1000 < nowMs) return { ok: false, reason: 'expired' };
      if (typeof claims.email !== 'string') return { ok: false, reason: 'no email' };
      return { ok: true, email: claims.email };
    },
  };
}
