/**
 * Zoom signature verification against vectors computed independently of the code under
 * test: a literal vector produced with `openssl dgst -sha256 -hmac`, and HMACs computed in
 * the test from the documented algorithm.
 */
import { Secret } from '../../shared/config';
import { encryptPlainToken, verifyZoomSignature } from '../../shared/zoom/webhook-signature';
import { zoomSignature } from '../support/zoom-fixture';

const VECTOR_SECRET = 'vector-secret-token';
const VECTOR_BODY =
  '{"event":"contact_center.recording_completed","event_ts":1700000000123,"payload":{"account_id":"acc","object":{"recording_id":"r1","engagement_id":"e1"}}}';
// printf '%s' 'v0:1700000000:<body>' | openssl dgst -sha256 -hmac 'vector-secret-token'
const VECTOR_SIGNATURE = 'v0=1fd18bf0edab9cce90d0de3a083f0e9d890ad800d81f3a5a3bf9b3d6af185c05';
// printf '%s' 'plain-token-xyz' | openssl dgst -sha256 -hmac 'vector-secret-token'
const VECTOR_ENCRYPTED_TOKEN = 'b7dafaddf0a04b362867ee0fe99a766cc646b109aa6669bd1f38a67799fbe362';

const at = (seconds: number) => seconds * 1000;
const secrets = [new Secret(VECTOR_SECRET)];

describe('Zoom webhook signature', () => {
  it('accepts the openssl-computed vector over the raw bytes', () => {
    const verdict = verifyZoomSignature({ signature: VECTOR_SIGNATURE, timestamp: '1700000000' }, Buffer.from(VECTOR_BODY), {
      secrets,
      windowSeconds: 300,
      nowMs: at(1700000010),
    });
    expect(verdict).toEqual({ ok: true, secretIndex: 0, timestampSeconds: 1700000000, fresh: true });
  });

  it('tells a correctly signed request older than the window but within the retry window apart, and refuses a wrong one of the same age', () => {
    const options = { secrets, windowSeconds: 300, retryWindowSeconds: 7200, nowMs: at(1700000000 + 3600) };
    expect(verifyZoomSignature({ signature: VECTOR_SIGNATURE, timestamp: '1700000000' }, Buffer.from(VECTOR_BODY), options)).toEqual({
      ok: true,
      secretIndex: 0,
      timestampSeconds: 1700000000,
      fresh: false,
    });
    expect(verifyZoomSignature({ signature: VECTOR_SIGNATURE, timestamp: '1700000000' }, Buffer.from(`${VECTOR_BODY} `), options)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(
      verifyZoomSignature({ signature: VECTOR_SIGNATURE, timestamp: '1700000000' }, Buffer.from(VECTOR_BODY), { ...options, nowMs: at(1700000000 + 7201) }),
    ).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('computes the url_validation encryptedToken like openssl', () => {
    expect(encryptPlainToken(VECTOR_SECRET, 'plain-token-xyz')).toBe(VECTOR_ENCRYPTED_TOKEN);
  });

  it('rejects the same JSON re-serialised (signatures cover bytes, not values)', () => {
    const reserialised = JSON.stringify(JSON.parse(VECTOR_BODY), null, 1);
    const verdict = verifyZoomSignature({ signature: VECTOR_SIGNATURE, timestamp: '1700000000' }, Buffer.from(reserialised), {
      secrets,
      windowSeconds: 300,
      nowMs: at(1700000010),
    });
    expect(verdict).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('accepts either secret during a rotation and says which one matched', () => {
    const rotation = [new Secret('new-secret-token-1'), new Secret('old-secret-token-0')];
    const body = Buffer.from('{"event":"x"}');
    const old = verifyZoomSignature({ signature: zoomSignature('old-secret-token-0', 1000, '{"event":"x"}'), timestamp: '1000' }, body, {
      secrets: rotation,
      windowSeconds: 300,
      nowMs: at(1000),
    });
    const fresh = verifyZoomSignature({ signature: zoomSignature('new-secret-token-1', 1000, '{"event":"x"}'), timestamp: '1000' }, body, {
      secrets: rotation,
      windowSeconds: 300,
      nowMs: at(1000),
    });
    expect(old).toMatchObject({ ok: true, secretIndex: 1 });
    expect(fresh).toMatchObject({ ok: true, secretIndex: 0 });
  });

  it.each([
    ['missing signature', { signature: undefined, timestamp: '1000' }, 'missing_signature'],
    ['missing timestamp', { signature: 'v0=00', timestamp: undefined }, 'missing_timestamp'],
    ['signature without v0=', { signature: 'deadbeef', timestamp: '1000' }, 'malformed_signature'],
    ['short hex', { signature: 'v0=abcd', timestamp: '1000' }, 'malformed_signature'],
    ['timestamp not a number', { signature: `v0=${'a'.repeat(64)}`, timestamp: '10a0' }, 'malformed_timestamp'],
    ['wrong secret', { signature: zoomSignature('another-secret-x', 1000, '{}'), timestamp: '1000' }, 'bad_signature'],
  ])('refuses %s', (_name, headers, reason) => {
    const verdict = verifyZoomSignature(headers, Buffer.from('{}'), { secrets, windowSeconds: 300, nowMs: at(1000) });
    expect(verdict).toEqual({ ok: false, reason });
  });

  it.each([
    ['too old', 1000 - 301],
    ['too far in the future', 1000 + 301],
  ])('refuses a timestamp %s for the window', (_name, ts) => {
    const verdict = verifyZoomSignature({ signature: zoomSignature(VECTOR_SECRET, ts, '{}'), timestamp: String(ts) }, Buffer.from('{}'), {
      secrets,
      windowSeconds: 300,
      nowMs: at(1000),
    });
    expect(verdict).toEqual({ ok: false, reason: 'stale_timestamp' });
  });

  it('accepts a timestamp at the edge of the window', () => {
    const verdict = verifyZoomSignature({ signature: zoomSignature(VECTOR_SECRET, 700, '{}'), timestamp: '700' }, Buffer.from('{}'), {
      secrets,
      windowSeconds: 300,
      nowMs: at(1000),
    });
    expect(verdict.ok).toBe(true);
  });
});
