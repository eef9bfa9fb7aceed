/**
 * ccaip-sdk on the Functions Framework with a fake identity provider: an RSA key pair whose
 * public half is served as a JWK Set (and a discovery document) through the injected fetch,
 * ID tokens minted with jose as an OIDC provider would, and a clock the test moves.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, importPKCS8, type JWTPayload, SignJWT } from 'jose';
import type { Env } from '../../shared/config';
import { composeCcaipSdk } from '../../functions/ccaip-sdk/compose';
import { listen } from './http';

export const ISSUER = 'https://idp.example.test/';
export const AUDIENCE = 'web-client-123';
export const COMPANY_SECRET = 'company-secret-of-the-ccaip-tenant-0123456789';
export const SITE = 'https://www.shop.example';

export interface IdentityProvider {
  /** An ID token signed with the provider's current key. */
  mint(claims: JWTPayload, options?: { iatOffset?: number; ttl?: number; audience?: string | string[]; issuer?: string; alg?: string }): Promise<string>;
  /** An ID token signed with a key the provider never published, under a published kid. */
  forge(claims: JWTPayload): Promise<string>;
  /** Replaces the signing key (the old one leaves the JWK Set). */
  rotate(): Promise<void>;
  fetchCount: () => number;
  down: boolean;
}

export interface SdkUnderTest {
  url: string;
  idp: IdentityProvider;
  clock: { now: number };
  logs: string[];
  stop(): Promise<void>;
}

let counter = 0;

/**
 * How the provider publishes its keys: a JWK Set (OIDC), or Google's certificate format
 * `{kid: PEM}` with X.509 certificates (Firebase's documented URL) or bare public keys.
 */
export type KeyFormat = 'jwks' | 'x509' | 'spki';

/** An RSA key and a self-signed certificate for it, made by openssl (as a provider's signing certificate). */
async function certifiedKey(): Promise<{ privateKey: CryptoKey; cert: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ccaip-sdk-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-subj',
        '/CN=securetoken.test',
        '-days',
        '2',
      ],
      { stdio: 'ignore' },
    );
    return { privateKey: await importPKCS8(readFileSync(join(dir, 'key.pem'), 'utf8'), 'RS256'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startCcaipSdk(envOverrides: Env = {}, keyFormat: KeyFormat = 'jwks'): Promise<SdkUnderTest> {
  const clock = { now: Date.UTC(2026, 11, 4, 9, 0, 0) };
  let key: { privateKey: CryptoKey; publicKey?: CryptoKey } = await generateKeyPair('RS256');
  let kid = 'key-1';
  let published: unknown;
  const publish = async () => {
    if (keyFormat === 'x509') {
      const made = await certifiedKey();
      key = { privateKey: made.privateKey };
      published = { [kid]: made.cert };
    } else if (keyFormat === 'spki') published = { [kid]: await exportSPKI(key.publicKey!) };
    else published = { keys: [{ ...(await exportJWK(key.publicKey!)), kid, alg: 'RS256', use: 'sig' }] };
  };
  await publish();
  let fetches = 0;
  const idp: IdentityProvider = {
    down: false,
    async mint(claims, o = {}) {
      const iat = Math.floor(clock.now / 1000) + (o.iatOffset ?? 0);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: o.alg ?? 'RS256', kid })
        .setIssuer(o.issuer ?? ISSUER)
        .setAudience(o.audience ?? AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + (o.ttl ?? 3600))
        .sign(key.privateKey);
    },
    async forge(claims) {
      const other = await generateKeyPair('RS256');
      const iat = Math.floor(clock.now / 1000);
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid })
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(iat + 3600)
        .sign(other.privateKey);
    },
    async rotate() {
      key = await generateKeyPair('RS256');
      kid = `key-${Date.now()}-${Math.random()}`;
      await publish();
    },
    fetchCount: () => fetches,
  };
  const fakeFetch = async (url: string): Promise<Response> => {
    fetches += 1;
    if (idp.down) throw new TypeError('fetch failed');
    if (url === `${ISSUER.replace(/\/+$/, '')}/.well-known/openid-configuration`)
      return Response.json({ issuer: ISSUER, jwks_uri: 'https://idp.example.test/.well-known/jwks.json' });
    if (url === 'https://idp.example.test/.well-known/jwks.json') return Response.json(published);
    return new Response('not found', { status: 404 });
  };
  const logs: string[] = [];
  const env: Env = {
    GCP_PROJECT: 'ccbridge-test',
    CCAIP_COMPANY_SECRET: COMPANY_SECRET,
    CCAIP_COMPANY_NAME: 'Example Shop',
    SDK_OIDC_ISSUER: ISSUER,
    SDK_OIDC_AUDIENCE: AUDIENCE,
    SDK_CORS_ORIGINS: SITE,
    SDK_RATE_LIMIT_PER_MINUTE: '1000',
    ...envOverrides,
  };
  const handler = composeCcaipSdk(env, { fetch: fakeFetch }, { now: () => clock.now, log: (l) => logs.push(l) });
  const name = `ccaipSdkTest${++counter}`;
  http(name, handler);
  const server = await listen(getTestServer(name));
  return { url: server.url, idp, clock, logs, stop: server.close };
}
