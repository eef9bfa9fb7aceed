/** An in-memory BlobStore for unit tests. */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { type BlobInfo, BlobPreconditionFailedError, type BlobStore } from '../../../shared/ports/blobstore';

export interface MemoryBlobStore extends BlobStore {
  contents(path: string): Buffer | undefined;
}

export function createMemoryBlobStore(bucket = 'memory-bucket'): MemoryBlobStore {
  const objects = new Map<string, { data: Buffer; info: BlobInfo }>();
  let generation = 1;
  return {
    bucket,
    async write(path, source, options = {}) {
      if (options.ifGenerationMatch !== undefined) {
        const current = objects.get(path);
        const currentGen = current ? Number(current.info.generation) : 0;
        if (currentGen !== options.ifGenerationMatch) throw new BlobPreconditionFailedError(path);
      }
      const chunks: Buffer[] = [];
      if (Buffer.isBuffer(source)) chunks.push(source);
      else for await (const c of source) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
      const data = Buffer.concat(chunks);
      const info: BlobInfo = {
        path,
        size: data.length,
        generation: String(generation++),
        md5Hash: createHash('md5').update(data).digest('base64'),
        metadata: { ...(options.metadata ?? {}) },
      };
      if (options.contentType) info.contentType = options.contentType;
      objects.set(path, { data, info });
      return structuredClone(info);
    },
    read(path, range) {
      const o = objects.get(path);
      if (!o) {
        const missing = new Readable({ read() {} });
        process.nextTick(() => missing.destroy(Object.assign(new Error(`no such object: ${path}`), { code: 404 })));
        return missing;
      }
      const data = range ? o.data.subarray(range.start, range.end === undefined ? undefined : range.end + 1) : o.data;
      return Readable.from([data]);
    },
    async stat(path) {
      const o = objects.get(path);
      return o ? structuredClone(o.info) : undefined;
    },
    async list(prefix) {
      return [...objects.values()].filter((o) => o.info.path.startsWith(prefix)).map((o) => structuredClone(o.info));
    },
    async delete(path) {
      objects.delete(path);
    },
    async signedReadUrl(path, ttlSeconds) {
      return `memory://${bucket}/${encodeURIComponent(path)}?expires=${Date.now() + ttlSeconds * 1000}`;
    },
    contents(path) {
      return objects.get(path)?.data;
    },
  };
}
