/**
 * A local stand-in for Google's OIDC token issuer, so the local stack can do what Cloud
 * Scheduler and Pub/Sub push do in production: call a function with an ID token for a
 * service account and an audience. It serves its public keys in Google's certs format
 * (`GET /oauth2/v1/certs`: key id → PEM) and mints RS256 tokens with Google's claims.
 * Functions verify against the certs URL from their configuration, so production points
 * at https://www.googleapis.com/oauth2/v1/certs and local at this server.
 *
 * It also stands in for Identity-Aware Proxy's signer: an ES256 key served as a JWKS at
 * `GET /iap/verify/public_key-jwk` (Google's is https://www.gstatic.com/iap/verify/public_key-jwk)
 * and `mintIap`, the `x-goog-iap-jwt-assertion` IAP would put on a request it let through
 * (issuer https://cloud.google.com/iap, the protected resource as audience, `email`, `sub`).
 */
import { createSign, generateKeyPairSync, randomBytes } from 'node:crypto';
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
  const server = await startMockServer(
    'oidc',
    [
      { method: 'GET', path: '/oauth2/v1/certs', handle: (_req, res) => sendJson(res, 200, { [kid]: publicKey }, { 'cache-control': 'public, max-age=3600' }) },
      { method: 'GET', path: '/iap/verify/public_key-jwk', handle: (_req, res) => sendJson(res, 200, { keys: [iapJwk] }, { 'cache-control': 'public, max-age=3600' }) },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return {
    ...server,
    certsUrl: `${server.baseUrl}/oauth2/v1/certs`,
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
  };
}
