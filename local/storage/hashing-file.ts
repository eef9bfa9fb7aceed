import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, open, rm } from 'node:fs/promises';
import { Crc32c } from './crc32c';

/** A file fully written to disk, with the hashes GCS reports for it. */
export interface FinishedFile {
  path: string;
  size: number;
  /** base64 */
  md5Hash: string;
  /** base64 of the big-endian CRC32C */
  crc32c: string;
}

/**
 * An upload being written to disk. Bytes are appended, hashed and counted only once the
 * write has succeeded, so after an aborted request `size` and the hashes still describe
 * exactly what is on disk and a resumable upload can continue from `size`.
 */
export class HashingFile {
  private readonly md5: Hash = createHash('md5');
  private readonly crc = new Crc32c();
  private written = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  static async create(path: string): Promise<HashingFile> {
    return new HashingFile(path, await open(path, 'wx'));
  }

  get size(): number {
    return this.written;
  }

  async append(chunk: Uint8Array): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset, chunk.length - offset, this.written + offset);
      offset += bytesWritten;
    }
    this.md5.update(chunk);
    this.crc.update(chunk);
    this.written += chunk.length;
  }

  /** Current hashes without ending the file (md5 is copied, as digest() would finalise it). */
  hashes(): { md5Hash: string; crc32c: string } {
    return { md5Hash: this.md5.copy().digest('base64'), crc32c: this.crc.base64() };
  }

  async finish(): Promise<FinishedFile> {
    await this.close();
    return { path: this.path, size: this.written, ...this.hashes() };
  }

  async discard(): Promise<void> {
    await this.close();
    await rm(this.path, { force: true });
  }

  private async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
  }
}

/**
 * Drains `body` into `file`. Small network chunks are gathered into writes of up to
 * `batchBytes`, which keeps a 1 GiB upload from costing tens of thousands of tiny disk
 * writes while bounding memory to one batch.
 */
export async function appendStream(file: HashingFile, body: AsyncIterable<Uint8Array>, skipBytes = 0, batchBytes = 1 << 20): Promise<number> {
  let toSkip = skipBytes;
  let received = 0;
  let batch: Uint8Array[] = [];
  let batched = 0;
  const flush = async (): Promise<void> => {
    if (batched === 0) return;
    const joined = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched);
    batch = [];
    batched = 0;
    await file.append(joined);
  };
  try {
    for await (const raw of body) {
      received += raw.length;
      let chunk = raw;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, chunk.length);
        chunk = chunk.subarray(dropped);
        toSkip -= dropped;
      }
      if (chunk.length === 0) continue;
      batch.push(chunk);
      batched += chunk.length;
      if (batched >= batchBytes) await flush();
    }
  } finally {
    // Even when the request aborts, keep what did arrive: a resumable session reports it.
    await flush();
  }
  return received;
}
