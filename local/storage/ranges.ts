// Parsers for the two range headers the emulator meets: `Range` on downloads and
// `Content-Range` on resumable-upload chunks. Pure, so they are tested with tables.

export type DownloadRange = { kind: 'full' } | { kind: 'partial'; start: number; end: number } | { kind: 'unsatisfiable' };

/**
 * Interprets a download `Range` header against an object of `size` bytes. Only the first
 * range of a list is honoured (GCS does not serve multipart/byteranges). Syntax it does
 * not understand is ignored, as RFC 9110 asks, so the whole object is served.
 */
export function parseDownloadRange(header: string | undefined, size: number): DownloadRange {
  if (header === undefined) return { kind: 'full' };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*(?:,.*)?$/i.exec(header);
  if (!match) return { kind: 'full' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'full' };
  // A zero-length object has no satisfiable byte; GCS answers it whole rather than 416.
  if (size === 0) return { kind: 'full' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'full' };
  return { kind: 'partial', start, end };
}

export type UploadContentRange =
  /** `bytes *\/T` or `bytes *\/*`: a status query (T known means "the object is T bytes"). */
  | { kind: 'query'; total: number | undefined }
  /** `bytes S-E/T` with E or T possibly `*`; an empty chunk has E = S - 1. */
  | { kind: 'data'; start: number; end: number | undefined; total: number | undefined };

/** Parses a resumable chunk's `Content-Range`; a missing header means "the whole object, in this request". */
export function parseUploadContentRange(header: string | undefined): UploadContentRange | undefined {
  if (header === undefined || header.trim() === '') return { kind: 'data', start: 0, end: undefined, total: undefined };
  const query = /^\s*bytes\s+\*\/(\d+|\*)\s*$/i.exec(header);
  if (query) return { kind: 'query', total: parseTotal(query[1]) };
  // The client writes `bytes 0--1/0` for an empty object sent in chunked mode.
  const data = /^\s*bytes\s+(\d+)-(-1|\d+|\*)\/(\d+|\*)\s*$/i.exec(header);
  if (!data) return undefined;
  const start = Number(data[1]);
  const end = data[2] === '*' ? undefined : Number(data[2]);
  if (end !== undefined && end < start - 1) return undefined;
  return { kind: 'data', start, end, total: parseTotal(data[3]) };
}

function parseTotal(text: string | undefined): number | undefined {
  return text === undefined || text === '*' ? undefined : Number(text);
}
