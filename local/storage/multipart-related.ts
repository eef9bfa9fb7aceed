// Streaming reader for `multipart/related` upload bodies (JSON metadata part, then media
// part). The media part is handed on as a stream while it arrives, so a large simple
// upload never sits in memory; only the metadata part is buffered, up to a limit.

export class MultipartError extends Error {
  override readonly name = 'MultipartError';
}

export interface MultipartRelatedResult {
  metadataJson: string;
  mediaContentType: string | undefined;
}

/** The boundary parameter of a `multipart/related` Content-Type, or undefined if it is not one. */
export function multipartBoundary(contentType: string | undefined): string | undefined {
  if (!contentType || !/^\s*multipart\/related\s*(;|$)/i.test(contentType)) return undefined;
  const match = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  return match?.[1] ?? match?.[2];
}

const CRLF = Buffer.from('\r\n');
const DASHES = Buffer.from('--');

/**
 * Reads the two parts of an upload. `consumeMedia` must read the media iterable to its end
 * (its completion is awaited before the closing delimiter is checked).
 */
export async function readMultipartRelated(
  body: AsyncIterable<Uint8Array>,
  boundary: string,
  consumeMedia: (media: AsyncIterable<Buffer>, contentType: string | undefined) => Promise<void>,
  maxMetadataBytes = 1 << 20,
): Promise<MultipartRelatedResult> {
  const reader = new ByteReader(body[Symbol.asyncIterator]());
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter may open the body directly, without the CRLF before it.
  await reader.readUntil(delimiter.subarray(2), 64 * 1024, 'opening boundary');
  if (await reader.startsWith(DASHES)) throw new MultipartError('multipart body has no parts');
  await reader.readUntil(CRLF, 1024, 'boundary line');

  const metadataHeaders = await reader.readHeaders();
  const metadataJson = (await reader.readUntil(delimiter, maxMetadataBytes, 'metadata part')).toString('utf8');
  if (!/json/i.test(metadataHeaders['content-type'] ?? 'application/json')) {
    throw new MultipartError('the first part of a multipart upload must be JSON metadata');
  }
  if (await reader.startsWith(DASHES)) throw new MultipartError('multipart body has no media part');
  await reader.readUntil(CRLF, 1024, 'boundary line');

  const mediaHeaders = await reader.readHeaders();
  const mediaContentType = mediaHeaders['content-type'];
  await consumeMedia(reader.streamUntil(delimiter), mediaContentType);
  if (!(await reader.startsWith(DASHES))) {
    throw new MultipartError('multipart upload must have exactly two parts');
  }
  await reader.drain();
  return { metadataJson, mediaContentType };
}

class ByteReader {
  private buffered: Buffer = Buffer.alloc(0);
  private ended = false;

  constructor(private readonly source: AsyncIterator<Uint8Array>) {}

  async startsWith(prefix: Buffer): Promise<boolean> {
    while (this.buffered.length < prefix.length) {
      if (!(await this.pull())) return false;
    }
    return this.buffered.subarray(0, prefix.length).equals(prefix);
  }

  /** Bytes up to `delimiter`, which is consumed too; at most `limit` bytes are buffered. */
  async readUntil(delimiter: Buffer, limit: number, what: string): Promise<Buffer> {
    let searchFrom = 0;
    for (;;) {
      const at = this.buffered.indexOf(delimiter, searchFrom);
      if (at >= 0) {
        const out = this.buffered.subarray(0, at);
        this.buffered = this.buffered.subarray(at + delimiter.length);
        return out;
      }
      if (this.buffered.length > limit + delimiter.length) throw new MultipartError(`${what} is too large`);
      searchFrom = Math.max(0, this.buffered.length - delimiter.length + 1);
      if (!(await this.pull())) throw new MultipartError(`multipart body ended inside the ${what}`);
    }
  }

  /** Part headers, names lower-cased; an empty header block is allowed. */
  async readHeaders(): Promise<Record<string, string>> {
    if (await this.startsWith(CRLF)) {
      this.buffered = this.buffered.subarray(CRLF.length);
      return {};
    }
    const block = (await this.readUntil(Buffer.from('\r\n\r\n'), 16 * 1024, 'part headers')).toString('latin1');
    const headers: Record<string, string> = {};
    for (const line of block.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    return headers;
  }

  /** Yields bytes up to `delimiter` as they arrive, holding back only what could start it. */
  async *streamUntil(delimiter: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.buffered.indexOf(delimiter);
      if (at >= 0) {
        const last = this.buffered.subarray(0, at);
        this.buffered = this.buffered.subarray(at + delimiter.length);
        if (last.length > 0) yield last;
        return;
      }
      const keep = delimiter.length - 1;
      if (this.buffered.length > keep) {
        const out = this.buffered.subarray(0, this.buffered.length - keep);
        this.buffered = this.buffered.subarray(this.buffered.length - keep);
        yield out;
      }
      if (!(await this.pull())) throw new MultipartError('multipart body ended inside the media part');
    }
  }

  async drain(): Promise<void> {
    while (await this.pull()) this.buffered = Buffer.alloc(0);
  }

  private async pull(): Promise<boolean> {
    if (this.ended) return false;
    const next = await this.source.next();
    if (next.done) {
      this.ended = true;
      return false;
    }
    const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    return true;
  }
}
