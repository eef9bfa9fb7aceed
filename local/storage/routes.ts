// Maps a request path onto the resource it names. The JSON API is served under
// `/storage/v1` (apiEndpoint form) and also at the root (`STORAGE_EMULATOR_HOST` form: the
// client then uses the variable itself as its base URL); uploads under
// `/upload/storage/v1`, downloads also under `/download/storage/v1`. Any other path is the
// XML API's path style, `/<bucket>/<object>`, which signed URLs use.
import { badRequest } from './errors';

export interface ObjectRef {
  bucket: string;
  name: string;
}

export type Route =
  | { kind: 'root' }
  | { kind: 'buckets' }
  | { kind: 'bucket'; bucket: string }
  | { kind: 'objects'; bucket: string; upload: boolean }
  | { kind: 'object'; ref: ObjectRef; download: boolean }
  | { kind: 'rewrite' | 'copy'; source: ObjectRef; destination: ObjectRef }
  | { kind: 'compose'; destination: ObjectRef }
  | { kind: 'xmlObject'; ref: ObjectRef }
  | { kind: 'unknown' };

const PREFIXES: Array<{ prefix: string; upload: boolean; download: boolean }> = [
  { prefix: '/upload/storage/v1', upload: true, download: false },
  { prefix: '/download/storage/v1', upload: false, download: true },
  { prefix: '/storage/v1', upload: false, download: false },
  { prefix: '', upload: false, download: false },
];

export function parseRoute(rawPath: string): Route {
  if (rawPath === '/' || rawPath === '') return { kind: 'root' };
  for (const { prefix, upload, download } of PREFIXES) {
    const rest = rawPath.slice(prefix.length);
    if (!rawPath.startsWith(prefix) || !(rest === '/b' || rest.startsWith('/b/'))) continue;
    return parseJsonApiPath(rest.split('/').slice(2).map(decodeSegment), upload, download);
  }
  const segments = rawPath.split('/').slice(1);
  const [bucket, ...name] = segments;
  if (!bucket || name.length === 0 || name.join('/') === '') return { kind: 'unknown' };
  return { kind: 'xmlObject', ref: { bucket: decodeSegment(bucket), name: name.map(decodeSegment).join('/') } };
}

/** `segments` follow `/b/`: bucket, then optionally `o` and an object name (maybe with raw slashes). */
function parseJsonApiPath(segments: string[], upload: boolean, download: boolean): Route {
  const [bucket, o, ...rest] = segments;
  if (bucket === undefined || bucket === '') return { kind: 'buckets' };
  if (o === undefined) return { kind: 'bucket', bucket };
  if (o !== 'o') return { kind: 'unknown' };
  if (rest.length === 0 || (rest.length === 1 && rest[0] === '')) return { kind: 'objects', bucket, upload };
  // Object names are percent-encoded by clients, so these literal segments are actions.
  for (const action of ['rewriteTo', 'copyTo'] as const) {
    const at = rest.indexOf(action);
    if (at > 0 && rest[at + 1] === 'b' && rest[at + 3] === 'o' && rest.length > at + 4) {
      return {
        kind: action === 'rewriteTo' ? 'rewrite' : 'copy',
        source: { bucket, name: rest.slice(0, at).join('/') },
        destination: { bucket: rest[at + 2]!, name: rest.slice(at + 4).join('/') },
      };
    }
  }
  if (rest.length > 1 && rest[rest.length - 1] === 'compose') {
    return { kind: 'compose', destination: { bucket, name: rest.slice(0, -1).join('/') } };
  }
  return { kind: 'object', ref: { bucket, name: rest.join('/') }, download };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw badRequest(`Malformed percent-encoding in path segment: ${segment}`);
  }
}
