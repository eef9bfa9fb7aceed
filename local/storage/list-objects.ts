// Object listing as GCS does it: lexicographic order, `prefix`, `delimiter` folding names
// into `prefixes`, `startOffset`/`endOffset`, and pages of `maxResults` entries where
// items and prefixes count alike. Pure over a name list so it is tested with tables.

export interface ListQuery {
  prefix?: string;
  delimiter?: string;
  startOffset?: string;
  endOffset?: string;
  includeTrailingDelimiter?: boolean;
  maxResults?: number;
  pageToken?: string;
}

export interface ListPage<T> {
  items: T[];
  prefixes: string[];
  nextPageToken?: string;
}

/** GCS caps a page at 1000 entries whatever maxResults asks. */
export const MAX_PAGE_SIZE = 1000;

interface PageCursor {
  /** The last entry handed out: an object name, or a folded prefix. */
  after: string;
  isPrefix: boolean;
}

export class InvalidPageTokenError extends Error {
  override readonly name = 'InvalidPageTokenError';
}

/** `objects` need not be sorted; the page is computed over them in name order. */
export function listObjects<T extends { name: string }>(objects: Iterable<T>, query: ListQuery): ListPage<T> {
  const prefix = query.prefix ?? '';
  const delimiter = query.delimiter === '' ? undefined : query.delimiter;
  const pageSize = Math.min(Math.max(query.maxResults ?? MAX_PAGE_SIZE, 1), MAX_PAGE_SIZE);
  const cursor = query.pageToken ? decodePageToken(query.pageToken) : undefined;
  const sorted = [...objects].sort((a, b) => compareNames(a.name, b.name));

  const page: ListPage<T> = { items: [], prefixes: [] };
  let count = 0;
  let last: PageCursor | undefined;
  let lastPrefix: string | undefined;
  for (const object of sorted) {
    const name = object.name;
    if (!name.startsWith(prefix)) continue;
    if (query.startOffset !== undefined && compareNames(name, query.startOffset) < 0) continue;
    if (query.endOffset !== undefined && compareNames(name, query.endOffset) >= 0) continue;
    if (cursor && isBeforeOrAtCursor(name, cursor)) continue;

    const folded = delimiter === undefined ? undefined : foldedPrefix(name, prefix, delimiter);
    if (folded !== undefined) {
      // Names sharing a prefix are contiguous in sorted order, so one look-back suffices.
      if (folded === lastPrefix) {
        if (query.includeTrailingDelimiter && name === folded) page.items.push(object);
        continue;
      }
      if (count === pageSize) {
        page.nextPageToken = encodePageToken(last);
        break;
      }
      page.prefixes.push(folded);
      lastPrefix = folded;
      last = { after: folded, isPrefix: true };
      count++;
      if (query.includeTrailingDelimiter && name === folded) page.items.push(object);
      continue;
    }
    if (count === pageSize) {
      page.nextPageToken = encodePageToken(last);
      break;
    }
    page.items.push(object);
    last = { after: name, isPrefix: false };
    count++;
  }
  return page;
}

function foldedPrefix(name: string, prefix: string, delimiter: string): string | undefined {
  const at = name.indexOf(delimiter, prefix.length);
  return at < 0 ? undefined : name.slice(0, at + delimiter.length);
}

function isBeforeOrAtCursor(name: string, cursor: PageCursor): boolean {
  if (cursor.isPrefix && name.startsWith(cursor.after)) return true;
  return compareNames(name, cursor.after) <= 0;
}

/** GCS orders names by their UTF-8 bytes, which differs from UTF-16 order above U+FFFF. */
export function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encodePageToken(cursor: PageCursor | undefined): string {
  return Buffer.from(JSON.stringify(cursor ?? { after: '', isPrefix: false }), 'utf8').toString('base64url');
}

function decodePageToken(token: string): PageCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof parsed === 'object' &&
      parsed !== null &&
      'after' in parsed &&
      'isPrefix' in parsed &&
      typeof parsed.after === 'string' &&
      typeof parsed.isPrefix === 'boolean'
    ) {
      return { after: parsed.after, isPrefix: parsed.isPrefix };
    }
  } catch {
    // fall through to the typed error
  }
  throw new InvalidPageTokenError(`Invalid page token: ${token}`);
}
