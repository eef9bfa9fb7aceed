import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { Storage } from '@google-cloud/storage';
import { GcsXmlError } from '../../local/storage/errors';
import { verifySignedUrl } from '../../local/storage/signed-url';

process.env['METADATA_SERVER_DETECTION'] = 'none';

// The real client signs offline; no server is involved. Port 9 is never contacted.
const ENDPOINT = 'http://127.0.0.1:9';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const other = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signer = new Storage({
  apiEndpoint: ENDPOINT,
  projectId: 'test',
  credentials: {
    client_email: 'signer@test.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  },
});
const keys: KeyObject[] = [createPublicKey(other.publicKey.export({ type: 'spki', format: 'pem' })), publicKey];

// In the future, because the client refuses to sign a URL whose expiry has passed; whole
// seconds, because X-Goog-Date has no finer resolution.
const SIGNED_AT = new Date(Math.floor(Date.now() / 1000) * 1000 + 86_400_000);

async function signedUrl(name: string, lifetimeSeconds: number, extra: Record<string, unknown> = {}): Promise<URL> {
  const [url] = await signer
    .bucket('bkt')
    .file(name)
    .getSignedUrl({
      version: 'v4',
      action: 'read',
      accessibleAt: SIGNED_AT,
      expires: SIGNED_AT.getTime() + lifetimeSeconds * 1000,
      ...extra,
    });
  return new URL(url);
}

function outcome(url: URL, at: Date, publicKeys: KeyObject[] = keys, method = 'GET'): string {
  try {
    verifySignedUrl({ method, rawPath: url.pathname, query: url.searchParams, headers: { host: url.host } }, publicKeys, at);
    return 'ok';
  } catch (error) {
    if (error instanceof GcsXmlError) return `${error.status} ${error.code}`;
    throw error;
  }
}

const signedPlus = (seconds: number) => new Date(SIGNED_AT.getTime() + seconds * 1000);

describe('verifySignedUrl against URLs signed by @google-cloud/storage', () => {
  test('is valid from X-Goog-Date until X-Goog-Date + X-Goog-Expires, and not outside', async () => {
    const url = await signedUrl('report.txt', 600);
    expect(outcome(url, signedPlus(0))).toBe('ok');
    expect(outcome(url, signedPlus(599))).toBe('ok');
    expect(outcome(url, signedPlus(600))).toBe('400 ExpiredToken');
    expect(outcome(url, signedPlus(-1))).toBe('400 InvalidArgument');
  });

  test.each(['dir/sub dir/file.txt', "it's (really) *odd*!.txt", 'ünïcødé/名前.bin', 'a+b=c&d.txt'])(
    'reconstructs the canonical request for the object name %j',
    async (name) => {
      expect(outcome(await signedUrl(name, 60), signedPlus(1))).toBe('ok');
    },
  );

  test('covers extra query parameters the signer included', async () => {
    const url = await signedUrl('report.txt', 60, { queryParams: { 'response-content-type': 'text/plain' } });
    expect(outcome(url, signedPlus(1))).toBe('ok');
  });

  test('refuses tampering with the path, the query, the method or the signature', async () => {
    const url = await signedUrl('report.txt', 60);
    const path = new URL(url);
    path.pathname = '/bkt/other.txt';
    const expires = new URL(url);
    expires.searchParams.set('X-Goog-Expires', '61');
    const added = new URL(url);
    added.searchParams.set('alt', 'json');
    const signature = new URL(url);
    signature.searchParams.set('X-Goog-Signature', `00${url.searchParams.get('X-Goog-Signature')!.slice(2)}`);
    for (const tampered of [path, expires, added, signature]) {
      expect(outcome(tampered, signedPlus(1))).toBe('403 SignatureDoesNotMatch');
    }
    expect(outcome(url, signedPlus(1), keys, 'DELETE')).toBe('403 SignatureDoesNotMatch');
  });

  test('refuses a signature made with a key it does not know; without keys only the time is checked', async () => {
    const url = await signedUrl('report.txt', 60);
    expect(outcome(url, signedPlus(1), [keys[0]!])).toBe('403 SignatureDoesNotMatch');
    expect(outcome(url, signedPlus(1), [])).toBe('ok');
    expect(outcome(url, signedPlus(61), [])).toBe('400 ExpiredToken');
  });

  test('refuses a URL missing its signing parameters', async () => {
    const url = await signedUrl('report.txt', 60);
    url.searchParams.delete('X-Goog-Credential');
    expect(outcome(url, signedPlus(1))).toBe('400 AuthorizationQueryParametersError');
  });
});
