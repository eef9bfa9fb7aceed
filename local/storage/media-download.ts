import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { GcsJsonError, GcsXmlError } from './errors';
import { header } from './http-io';
import type { ObjectRecord } from './object-store';
import { parseDownloadRange } from './ranges';

/**
 * Streams an object's bytes from disk, honouring `Range` (206 + Content-Range), with the
 * headers @google-cloud/storage checks: `x-goog-hash` (validated on full reads only when
 * `x-goog-stored-content-encoding` is `identity`, or gzip served as gzip),
 * `x-goog-generation`, `x-goog-stored-content-length`. An object stored gzip-encoded is
 * decompressed for a client that does not accept gzip (GCS "decompressive transcoding").
 * `lookup` is called again if the object was replaced between lookup and open.
 */
export async function sendObjectMedia(req: IncomingMessage, res: ServerResponse, lookup: () => ObjectRecord, style: 'json' | 'xml'): Promise<void> {
  let record = lookup();
  let handle: FileHandle;
  try {
    handle = await open(record.dataPath, 'r');
  } catch (error) {
    if (!isNotFound(error)) throw error;
    record = lookup();
    handle = await open(record.dataPath, 'r');
  }
  try {
    await streamFromHandle(req, res, record, handle, style);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

async function streamFromHandle(req: IncomingMessage, res: ServerResponse, record: ObjectRecord, handle: FileHandle, style: 'json' | 'xml'): Promise<void> {
  const storedEncoding = record.contentEncoding ?? 'identity';
  const transcode = storedEncoding === 'gzip' && !/\bgzip\b/i.test(header(req, 'accept-encoding') ?? '');
  const headers: Record<string, string> = {
    'Content-Type': record.contentType ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    ETag: `"${Buffer.from(record.md5Hash, 'base64').toString('hex')}"`,
    'Last-Modified': record.updated.toUTCString(),
    'x-goog-hash': `crc32c=${record.crc32c},md5=${record.md5Hash}`,
    'x-goog-generation': record.generation,
    'x-goog-metageneration': String(record.metageneration),
    'x-goog-stored-content-length': String(record.size),
    'x-goog-stored-content-encoding': storedEncoding,
    'x-goog-storage-class': 'STANDARD',
  };
  if (record.contentDisposition !== undefined) headers['Content-Disposition'] = record.contentDisposition;
  if (record.cacheControl !== undefined) headers['Cache-Control'] = record.cacheControl;
  if (record.contentLanguage !== undefined) headers['Content-Language'] = record.contentLanguage;
  for (const [key, value] of Object.entries(record.metadata)) headers[`x-goog-meta-${key}`] = value;

  if (transcode) {
    // The decompressed length is unknown up front, and ranges apply to stored bytes: serve it whole.
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return void res.end();
    await pipeQuietly(handle.createReadStream({ autoClose: false }), res, true);
    return;
  }
  if (storedEncoding !== 'identity') headers['Content-Encoding'] = storedEncoding;

  const range = parseDownloadRange(header(req, 'range'), record.size);
  if (range.kind === 'unsatisfiable') {
    const rangeHeaders = { 'Content-Range': `bytes */${record.size}` };
    if (style === 'xml') {
      throw new GcsXmlError(416, 'InvalidRange', 'The requested range cannot be satisfied.', undefined, rangeHeaders);
    }
    throw new GcsJsonError(416, 'requestedRangeNotSatisfiable', 'Request range not satisfiable', rangeHeaders);
  }
  const start = range.kind === 'partial' ? range.start : 0;
  const end = range.kind === 'partial' ? range.end : record.size - 1;
  headers['Content-Length'] = String(Math.max(0, end - start + 1));
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${record.size}`;
  res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
  if (req.method === 'HEAD' || record.size === 0) return void res.end();
  await pipeQuietly(handle.createReadStream({ start, end, autoClose: false }), res, false);
}

/** A reader that goes away mid-download is normal; it must not surface as a server error. */
async function pipeQuietly(source: NodeJS.ReadableStream, res: ServerResponse, gunzip: boolean): Promise<void> {
  try {
    if (gunzip) await pipeline(source, createGunzip(), res);
    else await pipeline(source, res);
  } catch {
    res.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'ENOENT';
}
