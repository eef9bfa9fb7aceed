/**
 * Resource names ("projects/p/databases/d/documents/c/id/...") and Firestore's ordering of
 * document paths: segment by segment, numeric ids ("__id42__") before string ids and in
 * numeric order, strings by UTF-8 bytes.
 */
import { invalidArgument } from './errors';

const DATABASE = /^projects\/([^/]+)\/databases\/([^/]+)$/;
const UNDER_DATABASE = /^(projects\/[^/]+\/databases\/[^/]+)\/documents(?:\/(.*))?$/;
const NUMERIC_ID = /^__id(-?\d+)__$/;
const RESERVED_ID = /^__.*__$/;
const MAX_ID_BYTES = 1500;

export interface ResourcePath {
  /** "projects/p/databases/d" */
  readonly database: string;
  /** Relative to the database's documents root; [] for the root itself. */
  readonly segments: readonly string[];
  /** segments joined with "/"; "" for the root. */
  readonly path: string;
}

export function checkDatabaseName(name: string): string {
  if (!DATABASE.test(name)) throw invalidArgument(`Invalid database name: "${name}" (expected projects/{project_id}/databases/{database_id}).`);
  return name;
}

function parseUnderDatabase(name: string): ResourcePath {
  const match = UNDER_DATABASE.exec(name);
  if (!match) throw invalidArgument(`Invalid resource name: "${name}" (expected projects/{project_id}/databases/{database_id}/documents/...).`);
  const path = match[2] ?? '';
  const segments = path === '' ? [] : path.split('/');
  if (segments.some((s) => s === '')) throw invalidArgument(`Invalid resource name: "${name}" has an empty path segment.`);
  return { database: match[1]!, segments, path };
}

/** A document's name: an even, non-zero number of segments. */
export function parseDocumentName(name: string): ResourcePath {
  const parsed = parseUnderDatabase(name);
  if (parsed.segments.length === 0 || parsed.segments.length % 2 !== 0) {
    throw invalidArgument(`Invalid document name: "${name}" is not a document path (it needs an even number of segments).`);
  }
  return parsed;
}

/** A query's or a listing's parent: the documents root or a document. */
export function parseParentName(name: string): ResourcePath {
  const parsed = parseUnderDatabase(name);
  if (parsed.segments.length % 2 !== 0) {
    throw invalidArgument(`Invalid parent: "${name}" must be the documents root or a document, not a collection.`);
  }
  return parsed;
}

/** A document about to be written: the ids themselves must be ones Firestore accepts. */
export function checkWritableDocumentName(name: string): ResourcePath {
  const parsed = parseDocumentName(name);
  for (const segment of parsed.segments) checkId(segment, name);
  return parsed;
}

export function checkId(id: string, where: string): void {
  if (id === '.' || id === '..') throw invalidArgument(`Invalid id "${id}" in "${where}": "." and ".." are not allowed.`);
  if (RESERVED_ID.test(id)) throw invalidArgument(`Invalid id "${id}" in "${where}": ids matching __.*__ are reserved.`);
  if (Buffer.byteLength(id) > MAX_ID_BYTES) throw invalidArgument(`Invalid id in "${where}": an id may be at most ${MAX_ID_BYTES} bytes.`);
}

export function documentsRoot(database: string): string {
  return `${database}/documents`;
}

/** Strings in UTF-8 byte order (= code point order, which differs from UTF-16 order). */
export function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    if (ca < 0xd800 && cb < 0xd800) return ca < cb ? -1 : 1;
    const pa = a.codePointAt(i)!;
    const pb = b.codePointAt(i)!;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

export function compareSegment(a: string, b: string): number {
  if (a === b) return 0;
  const na = a.startsWith('__id') ? NUMERIC_ID.exec(a) : null;
  const nb = b.startsWith('__id') ? NUMERIC_ID.exec(b) : null;
  if (na && nb) {
    const x = BigInt(na[1]!);
    const y = BigInt(nb[1]!);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (na) return -1;
  if (nb) return 1;
  return compareUtf8(a, b);
}

export function comparePaths(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareSegment(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Whether `path` lies strictly under `prefix` (both relative, "" being the root). */
export function isUnder(path: string, prefix: string): boolean {
  return prefix === '' || (path.length > prefix.length && path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47);
}

export function utf8Length(s: string): number {
  // Buffer.byteLength is exact; ASCII strings (the usual case) need no scan beyond length.
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return Buffer.byteLength(s);
  return s.length;
}
