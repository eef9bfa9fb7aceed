/**
 * Writes archive objects to Cloud Storage with MD5 validation. The shared GCS adapter
 * validates with CRC32C, which @google-cloud/storage computes in JavaScript (~100 MB/s
 * here); MD5 is computed by Node's native crypto and Cloud Storage reports it for every
 * non-composite object, so the same end-to-end check (bytes sent == bytes stored, the
 * client deletes the object and fails on mismatch) costs a fraction of the CPU. Only the
 * transfer of large Zoom files uses it; everything else goes through the BlobStore port.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket } from '@google-cloud/storage';
import { type BlobInfo, BlobPreconditionFailedError, type BlobWriteOptions } from '../ports/blobstore';

export type ArchiveWrite = (path: string, source: Readable, options: BlobWriteOptions) => Promise<BlobInfo>;

export function gcsArchiveWrite(bucket: Bucket): ArchiveWrite {
  return async (path, source, options) => {
    const file = bucket.file(path);
    const stream = file.createWriteStream({
      resumable: options.resumable ?? false,
      validation: 'md5',
      metadata: {
        ...(options.contentType ? { contentType: options.contentType } : {}),
        ...(options.metadata ? { metadata: options.metadata } : {}),
      },
      ...(options.ifGenerationMatch !== undefined ? { preconditionOpts: { ifGenerationMatch: options.ifGenerationMatch } } : {}),
    });
    try {
      await pipeline(Buffer.isBuffer(source) ? Readable.from([source]) : source, stream);
    } catch (err) {
      if ((err as { code?: unknown }).code === 412) throw new BlobPreconditionFailedError(path);
      throw err;
    }
    const meta = file.metadata;
    const info: BlobInfo = {
      path,
      size: Number(meta.size ?? 0),
      generation: String(meta.generation ?? ''),
      metadata: Object.fromEntries(Object.entries(meta.metadata ?? {}).map(([k, v]) => [k, String(v)])),
    };
    if (meta.contentType) info.contentType = meta.contentType;
    if (meta.md5Hash) info.md5Hash = meta.md5Hash;
    if (meta.crc32c) info.crc32c = meta.crc32c;
    return info;
  };
}

/** The same, loading the Storage client on first use (cold starts stay cheap). */
export function lazyGcsArchiveWrite(projectId: string, bucket: string): ArchiveWrite {
  let writer: Promise<ArchiveWrite> | undefined;
  return async (path, source, options) => {
    writer ??= import('../google').then((g) => gcsArchiveWrite(g.createStorage(projectId).bucket(bucket)));
    return (await writer)(path, source, options);
  };
}
