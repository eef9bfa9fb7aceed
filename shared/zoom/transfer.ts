/**
 * Streams one Zoom file into Cloud Storage: constant memory whatever the size (stream
 * back-pressure end to end, no buffering, no temporary file), resumable above a threshold,
 * checksum verified by the storage client (MD5, see shared/adapters/gcs.ts), and the byte count checked against Zoom's
 * Content-Length *before* the upload is finalised — so a download cut short fails the
 * upload instead of leaving a short object. Cloud Storage only shows an object once its
 * upload is finalised, and the write is preconditioned on "does not exist yet", so an
 * object at the path is always whole.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '../logging';
import { type BlobInfo, BlobPreconditionFailedError, type BlobStore } from '../ports/blobstore';
import type { ZoomApiClient } from './api-client';
import { ZoomNetworkError } from './errors';

export interface TransferDeps {
  zoom: ZoomApiClient;
  blobs: BlobStore;
  log: Logger;
}

export interface TransferRequest {
  url: string;
  path: string;
  /** Object metadata (engagement, queue, agent, times...). */
  metadata: Record<string, string>;
  resumableThresholdBytes: number;
  signal?: AbortSignal;
}

export interface TransferResult {
  info: BlobInfo;
  /** True when the object was already there (an earlier delivery stored it). */
  reused: boolean;
  contentType: string;
}

/** Metadata key holding the size Zoom announced, checked whenever an existing object is reused. */
const SOURCE_BYTES_KEY = 'sourceBytes';

/** The body was shorter or longer than its Content-Length: the file is not stored. */
export class DownloadLengthMismatchError extends ZoomNetworkError {
  constructor(expected: number, got: number) {
    const what =
      got > expected
        ? `body ran past the ${expected} bytes Content-Length announced (${got} so far)`
        : `body ended after ${got} bytes, Content-Length announced ${expected}`;
    super('file download', new Error(what));
    this.name = 'DownloadLengthMismatchError';
  }
}

export async function transferZoomFile(deps: TransferDeps, request: TransferRequest): Promise<TransferResult> {
  const existing = await reusable(deps.blobs, request.path);
  if (existing) return { info: existing, reused: true, contentType: existing.contentType ?? 'application/octet-stream' };

  const download = await deps.zoom.openDownload(request.url, request.signal);
  const expected = download.contentLength;
  const counter = byteCounter(expected);
  const resumable = expected === undefined || expected >= request.resumableThresholdBytes;
  const metadata = { ...request.metadata, ...(expected !== undefined ? { [SOURCE_BYTES_KEY]: String(expected) } : {}) };

  // Two pipelines share `counter`: an error on either side destroys it, failing both.
  const [fed, written] = await Promise.allSettled([
    pipeline(download.body, counter),
    deps.blobs.write(request.path, counter, { resumable, ifGenerationMatch: 0, contentType: download.contentType, metadata }),
  ]);
  if (written.status === 'fulfilled') {
    if (fed.status === 'rejected') deps.log.warn('zoom transfer: source reported an error after the upload completed', { path: request.path, err: fed.reason });
    return { info: written.value, reused: false, contentType: download.contentType };
  }
  download.body.destroy();
  if (written.reason instanceof BlobPreconditionFailedError) {
    // Another delivery finished the same object first; it is whole (see above).
    const info = await deps.blobs.stat(request.path);
    if (info) return { info, reused: true, contentType: info.contentType ?? download.contentType };
  }
  // The download's own error says more than the upload's "stream destroyed".
  if (
    fed.status === 'rejected' &&
    (fed.reason instanceof DownloadLengthMismatchError || !(written.reason instanceof Error) || /destroy|premature|aborted/i.test(written.reason.message))
  ) {
    throw fed.reason instanceof ZoomNetworkError ? fed.reason : new ZoomNetworkError('file download', fed.reason);
  }
  throw written.reason;
}

async function reusable(blobs: BlobStore, path: string): Promise<BlobInfo | undefined> {
  const info = await blobs.stat(path);
  if (!info) return undefined;
  const announced = info.metadata[SOURCE_BYTES_KEY];
  if (announced !== undefined && Number(announced) !== info.size) {
    // Cannot be produced by transferZoomFile; something else wrote here. Replace it.
    await blobs.delete(path);
    return undefined;
  }
  return info;
}

/** Passes bytes through, counting them, and fails before the end if the count is not `expected`. */
function byteCounter(expected: number | undefined): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (expected !== undefined && seen > expected) callback(new DownloadLengthMismatchError(expected, seen));
      else callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      if (expected !== undefined && seen !== expected) callback(new DownloadLengthMismatchError(expected, seen));
      else callback();
    },
  });
}
