/**
 * reconcile behind Cloud Run: the token Cloud Run verified arrives with its signature replaced
 * by SIGNATURE_REMOVED_BY_GOOGLE (docs/contracts/google-cloud.md §1). With the platform in
 * front its claims are checked and trusted; without it (or forged badly) it is refused.
 */
import { createOidcVerifier, platformCredential } from '../../functions/reconcile/oidc';

const AUDIENCE = 'https://us-central1-p.cloudfunctions.net/reconcile';
const NOW = Date.UTC(2026, 11, 1, 12, 0, 0);
const SCHEDULER = 'reconcile-scheduler@p.iam.gserviceaccount.com';
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
const stripped = (claims: Record<string, unknown>) => {
  const header = b64({ alg: 'RS256', kid: 'k', typ: 'JWT' });
  const payload = b64({
    iss: 'https://accounts.google.com',
    aud: AUDIENCE,
    email: SCHEDULER,
    email_verified: true,
    iat: NOW / 1000 - 10,
    exp: NOW / 1000 + 3590,
    ...claims,
  });
  return `Bearer ${header}.${payload}.SIGNATURE_REMOVED_BY_GOOGLE`;
};

const verifier = (platformVerified: boolean) =>
  // The certificates URL is never fetched for a stripped token: it points nowhere.
  createOidcVerifier({ certsUrl: 'http://127.0.0.1:9/certs', audience: AUDIENCE, now: () => NOW, platformVerified });

test('behind Cloud Run a stripped token of an allowed account is accepted', async () => {
  await expect(verifier(true).verify(stripped({}), [SCHEDULER])).resolves.toEqual({ email: SCHEDULER });
});

test('without Cloud Run in front a stripped token is refused (anyone could write one)', async () => {
  await expect(verifier(false).verify(stripped({}), [SCHEDULER])).rejects.toMatchObject({ status: 401 });
});

test.each([
  ['another audience', { aud: 'https://elsewhere.example' }, 401],
  ['another issuer', { iss: 'https://login.example' }, 401],
  ['expired beyond the clock skew', { exp: NOW / 1000 - 301 }, 401],
  ['issued in the future', { iat: NOW / 1000 + 600 }, 401],
  ['an unverified email', { email_verified: false }, 401],
  ['an account that may not call', { email: 'intruder@p.iam.gserviceaccount.com' }, 403],
])('a stripped token with %s is refused even behind Cloud Run', async (_what, claims, status) => {
  await expect(verifier(true).verify(stripped(claims), [SCHEDULER])).rejects.toMatchObject({ status });
});

test('the credential is the header Cloud Run authorized with: X-Serverless-Authorization first', () => {
  expect(platformCredential({ authorization: 'Bearer a', 'x-serverless-authorization': 'Bearer b' })).toBe('Bearer b');
  expect(platformCredential({ authorization: 'Bearer a' })).toBe('Bearer a');
  expect(platformCredential({})).toBeUndefined();
});
