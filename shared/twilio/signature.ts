/**
 * Twilio request signatures (`X-Twilio-Signature`).
 *
 * signature = base64(HMAC-SHA1(authToken, url + Σ sorted(key) key+value))
 *
 * - Form bodies: the POST parameters are appended, sorted by key (a repeated key
 *   contributes each of its values, in sorted order).
 * - JSON bodies: Twilio puts `bodySHA256=<hex sha256 of the raw body>` in the URL's query
 *   and signs the URL alone; the receiver must also check that hash against the raw bytes.
 * - The URL is the one Twilio called. Twilio's own helper accepts it with and without an
 *   explicit default port (":443" / ":80"), so we do too.
 *
 * Every comparison is constant-time; several auth tokens may be configured (rotation,
 * several accounts) and a request passes if any of them signed it.
 */
import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual } from '../constant-time';

export type SignedParams = Array<[key: string, value: string]>;

function computeTwilioSignature(authToken: string, url: string, params: SignedParams = []): string {
  const sorted = [...params].sort(([ka, va], [kb, vb]) => (ka < kb ? -1 : ka > kb ? 1 : va < vb ? -1 : va > vb ? 1 : 0));
  const hmac = createHmac('sha1', authToken);
  hmac.update(url, 'utf8');
  for (const [k, v] of sorted) hmac.update(k + v, 'utf8');
  return hmac.digest('base64');
}

/** The URL as given, plus the same URL with its default port added or removed. */
export function urlPortVariants(url: string): string[] {
  const m = /^(https?):\/\/([^/?#]*)(.*)$/i.exec(url);
  if (!m) return [url];
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rest = m[3]!;
  const defaultPort = scheme === 'https' ? '443' : '80';
  // Split "user@host:port" (IPv6 hosts are bracketed, so the last ":" after "]" is the port).
  const portMatch = /^(.*?)(?::(\d+))?$/.exec(authority);
  const host = portMatch?.[1] ?? authority;
  const port = portMatch?.[2];
  const variants = [url];
  if (port === undefined) variants.push(`${m[1]}://${host}:${defaultPort}${rest}`);
  else if (port === defaultPort) variants.push(`${m[1]}://${host}${rest}`);
  return variants;
}

export interface SignatureCheck {
  signature: string;
  /** Candidate public URLs of the request (Twilio's exact URL is one of them, we hope). */
  urls: string[];
  /** Form parameters of the body; empty for JSON bodies and GETs. */
  params: SignedParams;
  /** The raw body, needed for the `bodySHA256` variant. */
  rawBody: Buffer;
  authTokens: string[];
}

export type SignatureVerdict = { valid: true } | { valid: false; reason: 'signature_mismatch' | 'body_hash_mismatch' };

export function verifyTwilioSignature(check: SignatureCheck): SignatureVerdict {
  let matchedUrl: string | undefined;
  outer: for (const url of check.urls) {
    const bodyHashed = hasBodyHash(url);
    for (const candidate of urlPortVariants(url)) {
      for (const token of check.authTokens) {
        // In the JSON variant the body is covered by bodySHA256, never by parameters.
        const expected = computeTwilioSignature(token, candidate, bodyHashed ? [] : check.params);
        if (constantTimeEqual(expected, check.signature)) {
          matchedUrl = url;
          break outer;
        }
      }
    }
  }
  if (matchedUrl === undefined) return { valid: false, reason: 'signature_mismatch' };
  const declared = bodyHashOf(matchedUrl);
  if (declared !== undefined) {
    const actual = createHash('sha256').update(check.rawBody).digest('hex');
    if (!constantTimeEqual(actual, declared.toLowerCase())) return { valid: false, reason: 'body_hash_mismatch' };
  }
  return { valid: true };
}

function bodyHashOf(url: string): string | undefined {
  try {
    return new URL(url).searchParams.get('bodySHA256') ?? undefined;
  } catch {
    return undefined;
  }
}

function hasBodyHash(url: string): boolean {
  return bodyHashOf(url) !== undefined;
}
