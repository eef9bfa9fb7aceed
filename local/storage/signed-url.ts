// Verification of V4 signed URLs (GOOG4-RSA-SHA256), as the XML API does it: the time window
// from X-Goog-Date + X-Goog-Expires, then the RSA signature over the string-to-sign rebuilt
// from the request (https://cloud.google.com/storage/docs/access-control/signing-urls-manually).
//
// How @google-cloud/storage@8 builds the URL for this emulator: `file.getSignedUrl({version:
// 'v4'})` uses `host` (option) || `cname` (option) || the client's `apiEndpoint`, so with
// `apiEndpoint: emulator.baseUrl` it yields `http://127.0.0.1:PORT/<bucket>/<object>?X-Goog-…`
// (path style) and no extra option is needed. It signs the `host` header as the endpoint's
// *hostname without the port*, while an HTTP client sends `Host: 127.0.0.1:PORT`; the check
// below therefore accepts the host header as sent or with the port removed.
import { createHash, type KeyObject, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { GcsXmlError } from './errors';

export interface SignedRequest {
  method: string;
  /** The path exactly as it appeared in the request line (still percent-encoded). */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
}

export const MAX_EXPIRES_SECONDS = 7 * 24 * 3600;

/** True when the query carries V4 signing parameters, i.e. the request claims to be signed. */
export function isSignedUrlQuery(query: URLSearchParams): boolean {
  return query.has('X-Goog-Signature') || query.has('X-Goog-Algorithm');
}

/**
 * Throws a GcsXmlError unless the request is a valid, unexpired V4 signed URL. With no
 * `publicKeys` only the time window is checked (the emulator cannot know the signer).
 */
export function verifySignedUrl(request: SignedRequest, publicKeys: KeyObject[], now: Date): void {
  const q = request.query;
  const algorithm = q.get('X-Goog-Algorithm');
  const credential = q.get('X-Goog-Credential');
  const date = q.get('X-Goog-Date');
  const expires = q.get('X-Goog-Expires');
  const signedHeaders = q.get('X-Goog-SignedHeaders');
  const signature = q.get('X-Goog-Signature');
  if (!algorithm || !credential || !date || !expires || !signedHeaders || !signature) {
    throw new GcsXmlError(
      400,
      'AuthorizationQueryParametersError',
      'Query-string authentication requires the X-Goog-Algorithm, X-Goog-Credential, X-Goog-Date, X-Goog-Expires, ' +
        'X-Goog-SignedHeaders and X-Goog-Signature parameters.',
    );
  }
  if (algorithm !== 'GOOG4-RSA-SHA256') {
    throw new GcsXmlError(400, 'InvalidArgument', `Unsupported signing algorithm: ${algorithm}`);
  }
  const signedAt = parseGoogDate(date);
  const lifetime = /^\d+$/.test(expires) ? Number(expires) : Number.NaN;
  if (signedAt === undefined || !(lifetime >= 1 && lifetime <= MAX_EXPIRES_SECONDS)) {
    throw new GcsXmlError(400, 'AuthorizationQueryParametersError', 'X-Goog-Date or X-Goog-Expires is malformed or out of range.');
  }
  if (now.getTime() < signedAt.getTime()) {
    throw new GcsXmlError(400, 'InvalidArgument', 'Request is not valid yet.', `Request becomes valid at: ${signedAt.toISOString()}`);
  }
  const expiresAt = new Date(signedAt.getTime() + lifetime * 1000);
  if (now.getTime() >= expiresAt.getTime()) {
    throw new GcsXmlError(400, 'ExpiredToken', 'The provided token has expired.', `Request signature expired at: ${expiresAt.toISOString()}`);
  }
  if (publicKeys.length === 0) return;

  const slash = credential.indexOf('/');
  const scope = slash < 0 ? '' : credential.slice(slash + 1);
  const signatureBytes = /^[0-9a-f]+$/i.test(signature) ? Buffer.from(signature, 'hex') : Buffer.alloc(0);
  let lastStringToSign = '';
  for (const hostValue of hostCandidates(request.headers.host)) {
    const canonical = canonicalRequest(request, signedHeaders, hostValue);
    if (canonical === undefined) continue;
    const stringToSign = ['GOOG4-RSA-SHA256', date, scope, sha256Hex(canonical)].join('\n');
    lastStringToSign = stringToSign;
    for (const key of publicKeys) {
      if (verify('RSA-SHA256', Buffer.from(stringToSign), key, signatureBytes)) return;
    }
  }
  throw new GcsXmlError(
    403,
    'SignatureDoesNotMatch',
    'Access denied.',
    `The request signature we calculated does not match the signature you provided. Check your Google secret key ` +
      `and signing method. StringToSign: ${lastStringToSign}`,
  );
}

/** `20261102T101500Z` → Date. */
function parseGoogDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function hostCandidates(host: string | undefined): string[] {
  if (host === undefined) return [''];
  const withoutPort = host.replace(/:\d+$/, '');
  return withoutPort === host ? [host] : [host, withoutPort];
}

/** The V4 canonical request, or undefined when a signed header is missing from the request. */
export function canonicalRequest(request: SignedRequest, signedHeaders: string, hostValue: string): string | undefined {
  const names = signedHeaders
    .split(';')
    .map((n) => n.trim().toLowerCase())
    .filter((n) => n !== '');
  const headerLines: string[] = [];
  for (const name of names) {
    const raw = name === 'host' ? hostValue : request.headers[name];
    if (raw === undefined) return undefined;
    const value = (Array.isArray(raw) ? raw.join(',') : raw).trim().replace(/\s{2,}/g, ' ');
    headerLines.push(`${name}:${value}\n`);
  }
  const query = [...request.query.entries()]
    .filter(([key]) => key !== 'X-Goog-Signature')
    .map(([key, value]) => [encodeStrict(key), encodeStrict(value)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const payload = request.headers['x-goog-content-sha256'];
  return [
    request.method,
    request.rawPath,
    query,
    headerLines.join(''),
    names.join(';'),
    typeof payload === 'string' && names.includes('x-goog-content-sha256') ? payload : 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

/** RFC 3986 encoding of everything but unreserved characters, as V4 signing requires. */
function encodeStrict(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
