/**
 * Zoom webhook signatures: `x-zm-signature: v0=<hex>` where
 * hex = HMAC-SHA256(secretToken, "v0:" + x-zm-request-timestamp + ":" + rawBody).
 * Verification runs over the raw bytes (re-serialised JSON would break it), compares in
 * constant time, and accepts any of several secrets so a secret can be rotated without
 * dropping events.
 */
import { createHmac } from 'node:crypto';
import type { Secret } from '../config';
import { constantTimeEqual } from '../constant-time';

export const SIGNATURE_HEADER = 'x-zm-signature';
export const TIMESTAMP_HEADER = 'x-zm-request-timestamp';

function signZoomRequest(secret: string, timestampSeconds: number | string, rawBody: Buffer | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(`v0:${timestampSeconds}:`);
  mac.update(rawBody);
  return `v0=${mac.digest('hex')}`;
}

/** The `encryptedToken` of an `endpoint.url_validation` answer. */
export function encryptPlainToken(secret: string, plainToken: string): string {
  return createHmac('sha256', secret).update(plainToken).digest('hex');
}

export type SignatureVerdict =
  /** fresh: within `windowSeconds`; otherwise older, but within `retryWindowSeconds` (a possible Zoom retry). */
  | { ok: true; secretIndex: number; timestampSeconds: number; fresh: boolean }
  | { ok: false; reason: 'missing_signature' | 'missing_timestamp' | 'malformed_signature' | 'malformed_timestamp' | 'stale_timestamp' | 'bad_signature' };

export interface VerifyOptions {
  secrets: readonly Secret[];
  /** Requests whose timestamp is further than this from now (either way) are not fresh. */
  windowSeconds: number;
  /**
   * How old a correctly signed request may still be, as a retry Zoom may have sent with its
   * first attempt's bytes (docs/contracts/zoom.md#delivery); older ones are refused. Default:
   * `windowSeconds` (no allowance). A request from further ahead than `windowSeconds` is always refused.
   */
  retryWindowSeconds?: number;
  nowMs: number;
}

const SIGNATURE_FORMAT = /^v0=([0-9a-f]{64})$/;
const TIMESTAMP_FORMAT = /^\d{1,12}$/;

export function verifyZoomSignature(
  headers: { signature: string | undefined; timestamp: string | undefined },
  rawBody: Buffer,
  options: VerifyOptions,
): SignatureVerdict {
  if (!headers.signature) return { ok: false, reason: 'missing_signature' };
  if (!headers.timestamp) return { ok: false, reason: 'missing_timestamp' };
  const sig = SIGNATURE_FORMAT.exec(headers.signature.trim().toLowerCase());
  if (!sig) return { ok: false, reason: 'malformed_signature' };
  const ts = headers.timestamp.trim();
  if (!TIMESTAMP_FORMAT.test(ts)) return { ok: false, reason: 'malformed_timestamp' };
  const timestampSeconds = Number(ts);
  const ageSeconds = options.nowMs / 1000 - timestampSeconds;
  if (ageSeconds < -options.windowSeconds || ageSeconds > Math.max(options.retryWindowSeconds ?? 0, options.windowSeconds))
    return { ok: false, reason: 'stale_timestamp' };
  const given = Buffer.from(sig[1]!, 'hex');
  // Every secret is tried (no early exit), so timing does not tell which one matched.
  let matched = -1;
  options.secrets.forEach((secret, index) => {
    const expected = Buffer.from(signZoomRequest(secret.reveal(), ts, rawBody).slice(3), 'hex');
    if (constantTimeEqual(expected, given) && matched < 0) matched = index;
  });
  if (matched < 0) return { ok: false, reason: 'bad_signature' };
  return { ok: true, secretIndex: matched, timestampSeconds, fresh: Math.abs(ageSeconds) <= options.windowSeconds };
}
