/** The blob store port (Cloud Storage in production). Paths are object names in one bucket. */
import type { Readable } from 'node:stream';

export interface BlobInfo {
  path: string;
  size: number;
  generation: string;
  contentType?: string;
  /** Base64 MD5 and CRC32C as Cloud Storage reports them. */
  md5Hash?: string;
  crc32c?: string;
  metadata: Record<string, string>;
}

export interface BlobWriteOptions {
  contentType?: string;
  metadata?: Record<string, string>;
  /** Use a resumable upload (large or unknown sizes). */
  resumable?: boolean;
  /** 0 = only if the object does not exist yet. */
  ifGenerationMatch?: number;
  /** End-to-end check of the upload (default md5). */
  validation?: 'md5' | 'crc32c';
}

export class BlobPreconditionFailedError extends Error {
  constructor(readonly path: string) {
    super(`precondition failed for ${path}`);
    this.name = 'BlobPreconditionFailedError';
  }
}

export interface BlobStore {
  readonly bucket: string;
  /** Streams `source` into the object; resolves with what the store recorded. */
  write(path: string, source: Readable | Buffer, options?: BlobWriteOptions): Promise<BlobInfo>;
  read(path: string, range?: { start: number; end?: number }): Readable;
  stat(path: string): Promise<BlobInfo | undefined>;
  list(prefix: string): Promise<BlobInfo[]>;
  delete(path: string): Promise<void>;
  /** A short-lived V4 signed URL for reading (needs a signing identity in production). */
  signedReadUrl(path: string, ttlSeconds: number, options?: { responseDisposition?: string }): Promise<string>;
}
