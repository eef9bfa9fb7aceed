/**
 * Issue #13, Medium 4 — durable artifact links: link tokens carry a key version (kid), so a
 * link is revoked by rotating its key out; the optional identity check verifies IAP's signed
 * assertion (`x-goog-iap-jwt-assertion`, ES256, Google's IAP keys, the configured audience),
 * never the unsigned `x-goog-authenticated-user-email` header any caller can set. The IAP
 * keys here are served over real HTTP by the local OIDC issuer's IAP-like signer.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { SignJWT } from 'jose';
import { ConfigError, Secret } from '../../shared/config';
import { artifactLinkKeyId, artifactLinkToken, checkArtifactLinkToken } from '../../shared/zoom/artifact-link';
import { createLedger } from '../../shared/zoom/ledger';
import { composeZoomWebhook } from '../../functions/zoom-webhook/compose';
import { type OidcIssuer, startOidcIssuer } from '../../local/oidc';
import { IAP_ISSUER } from '../../shared/http/iap-assertion';
import { LINK_SECRET, startWebhook, type WebhookUnderTest, webhookEnv } from '../support/zoom-fixture';

const OLD = new Secret('old-artifact-link-secret-0123456789');
const NEW = new Secret('new-artifact-link-secret-0123456789');

describe('artifact link tokens carry a key version', () => {
  test('a token names its key by id (derived from the key, revealing nothing of it)', () => {
    const token = artifactLinkToken(NEW, 'e-1', 'recording-r1');
    expect(token).toMatch(/^v2\.[A-Za-z0-9_-]{8}\.[A-Za-z0-9_-]{43}$/);
    expect(token.split('.')[1]).toBe(artifactLinkKeyId(NEW));
    expect(artifactLinkKeyId(NEW)).not.toBe(artifactLinkKeyId(OLD));
    expect(NEW.reveal()).not.toContain(artifactLinkKeyId(NEW));
  });

  test('a link stays valid while its key is accepted and is revoked once the key is rotated out', () => {
    const oldLink = artifactLinkToken(OLD, 'e-1', 'recording-r1');
    expect(checkArtifactLinkToken([NEW, OLD], 'e-1', 'recording-r1', oldLink)).toBe('valid');
    expect(checkArtifactLinkToken([NEW], 'e-1', 'recording-r1', oldLink)).toBe('revoked');
    expect(checkArtifactLinkToken([NEW], 'e-1', 'recording-r1', artifactLinkToken(NEW, 'e-1', 'recording-r1'))).toBe('valid');
  });

  test.each([
    ['another artifact', (t: string) => t, 'e-1', 'recording-r2'],
    ['a changed MAC', (t: string) => `${t.slice(0, -2)}AA`, 'e-1', 'recording-r1'],
    ['a kid moved onto another key', (t: string) => t.replace(artifactLinkKeyId(NEW), artifactLinkKeyId(OLD)), 'e-1', 'recording-r1'],
    ['garbage', () => 'v2..', 'e-1', 'recording-r1'],
  ])('%s is invalid', (_what, edit, engagement, key) => {
    expect(checkArtifactLinkToken([NEW, OLD], engagement, key, edit(artifactLinkToken(NEW, 'e-1', 'recording-r1')))).toBe('invalid');
  });

  test('links issued before key versions (a bare HMAC) keep working while their key is accepted, and are revoked with it', () => {
    const legacy = createHmac('sha256', OLD.reveal()).update('ccbridge-artifact-link:v1\ne-1\nrecording-r1').digest('base64url');
    expect(checkArtifactLinkToken([NEW, OLD], 'e-1', 'recording-r1', legacy)).toBe('valid');
    expect(checkArtifactLinkToken([NEW], 'e-1', 'recording-r1', legacy)).toBe('invalid');
  });
});

describe('the identity check verifies IAP’s signed assertion', () => {
  const AUDIENCE = '/projects/123456789/global/backendServices/987654321';
  let iap: OidcIssuer;
  let app: WebhookUnderTest;
  let url: string;
  beforeAll(async () => {
    iap = await startOidcIssuer();
  });
  afterAll(() => iap?.stop());
  afterEach(() => app?.stop());

  async function withStoredArtifact(env: Record<string, string>) {
    app = await startWebhook({
      ARTIFACT_REQUIRE_IDENTITY: 'true',
      ARTIFACT_ALLOWED_DOMAINS: 'example.com',
      ARTIFACT_IAP_AUDIENCE: AUDIENCE,
      ARTIFACT_IAP_KEYS_URL: iap.iapKeysUrl,
      ...env,
    });
    const ledger = createLedger(app.docs);
    await ledger.open('e-1', {});
    await ledger.registerArtifact('e-1', 'recording-r1', { kind: 'recording', path: 'zoom/2026/11/20/e-1/recording-r1.mp3' });
    await ledger.updateArtifact('e-1', 'recording-r1', { state: 'linked' });
    url = `${app.url}/artifacts/e-1/recording-r1?t=${artifactLinkToken(new Secret(LINK_SECRET), 'e-1', 'recording-r1')}`;
  }
  const open = async (headers: Record<string, string> = {}) => (await fetch(url, { redirect: 'manual', headers })).status;
  const assertion = (value: string) => ({ 'x-goog-iap-jwt-assertion': value });

  test('a valid assertion from an allowed domain opens the link; another domain is 403', async () => {
    await withStoredArtifact({});
    expect(await open(assertion(iap.mintIap(AUDIENCE, 'agent@example.com')))).toBe(302);
    expect(await open(assertion(iap.mintIap(AUDIENCE, 'eve@evil.test')))).toBe(403);
  });

  test('the unsigned identity headers a caller can set prove nothing (401)', async () => {
    await withStoredArtifact({});
    expect(
      await open({ 'x-goog-authenticated-user-email': 'accounts.google.com:agent@example.com', 'x-goog-authenticated-user-id': 'accounts.google.com:1' }),
    ).toBe(401);
    expect(await open()).toBe(401);
  });

  test.each([
    ['another audience', () => iap.mintIap('/projects/1/apps/someone-else', 'agent@example.com')],
    ['an expired assertion', () => iap.mintIap(AUDIENCE, 'agent@example.com', { issuedAt: Math.floor(Date.now() / 1000) - 3600, expiresInSeconds: 600 })],
    ['another issuer', () => iap.mintIap(AUDIENCE, 'agent@example.com', { issuer: 'https://accounts.google.com' })],
    ['an ID token (RS256, Google OIDC) instead', () => iap.mint(AUDIENCE, 'agent@example.com', { issuer: IAP_ISSUER })],
    ['a self-made ES256 key under IAP’s key id', () => forgeEs256(iap.iapKeyId, AUDIENCE)],
    [
      'an HS256 token',
      () =>
        new SignJWT({ email: 'agent@example.com' })
          .setProtectedHeader({ alg: 'HS256', kid: iap.iapKeyId })
          .setIssuer(IAP_ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(Buffer.alloc(32, 1)),
    ],
    ['garbage', () => 'not.a.jwt'],
  ])('%s is 401', async (_what, make) => {
    await withStoredArtifact({});
    expect(await open(assertion(await make()))).toBe(401);
  });

  test('requiring an identity without an IAP audience fails at start-up', () => {
    expect(() => composeZoomWebhook(webhookEnv({ ARTIFACT_REQUIRE_IDENTITY: 'true' }))).toThrow(ConfigError);
    expect(() => composeZoomWebhook(webhookEnv({ ARTIFACT_REQUIRE_IDENTITY: 'true' }))).toThrow(/ARTIFACT_IAP_AUDIENCE/);
  });
});

async function forgeEs256(kid: string, audience: string): Promise<string> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return new SignJWT({ email: 'agent@example.com' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setIssuer(IAP_ISSUER)
    .setAudience(audience)
    .setSubject('accounts.google.com:1')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(privateKey);
}
