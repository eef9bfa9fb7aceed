import { randomUUID } from 'node:crypto';
import { badRequest, GcsJsonError } from './errors';
import { appendStream, type FinishedFile, type HashingFile } from './hashing-file';
import type { ObjectRecord, ObjectStore } from './object-store';
import type { Preconditions } from './preconditions';
import type { UploadContentRange } from './ranges';
import type { ObjectFields } from './request-bodies';

export interface UploadTarget {
  bucket: string;
  name: string;
  fields: ObjectFields;
  preconditions: Preconditions;
  /** X-Upload-Content-Length from the initiation, when the client knew the size. */
  declaredSize?: number;
  expectedMd5Hash?: string;
  expectedCrc32c?: string;
}

interface Session {
  id: string;
  target: UploadTarget;
  file: HashingFile;
  /** A chunk request is streaming into the file; another one must not interleave. */
  receiving: boolean;
  /** Bytes the current chunk request has brought so far (written to the file in batches). */
  arriving: number;
  result?: ObjectRecord;
}

export interface UploadInProgress {
  bucket: string;
  name: string;
  /** Bytes the session holds so far. */
  received: number;
  /** A chunk request is streaming into it right now… */
  receiving: boolean;
  /** …and has brought this many bytes so far (not all in `received` yet: they reach the file in batches). */
  arriving: number;
}

export type ChunkOutcome = { kind: 'incomplete'; received: number } | { kind: 'complete'; object: ObjectRecord };

/**
 * Resumable upload sessions. Each session streams into its own file under the store's
 * uploads directory; the object is committed (renamed into place, preconditions checked
 * again) only when the last byte has arrived. A session the client abandons never becomes
 * an object; its file is removed by `closeAll` at shutdown.
 */
export class ResumableUploads {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly store: ObjectStore) {}

  async start(target: UploadTarget): Promise<string> {
    const id = randomUUID().replaceAll('-', '');
    this.sessions.set(id, { id, target, file: await this.store.newUploadFile(), receiving: false, arriving: 0 });
    return id;
  }

  /**
   * Applies one chunk request. Bytes the session already holds (a client re-sending after
   * a lost response) are skipped; bytes received before an aborted request stay, and the
   * next status query reports them, as GCS does.
   */
  async receive(
    id: string,
    range: UploadContentRange,
    body: AsyncIterable<Uint8Array>,
    clientHashes: { md5?: string; crc32c?: string },
  ): Promise<ChunkOutcome> {
    const session = this.session(id);
    if (session.result) {
      // The final chunk was applied but its response may have been lost: answer it again.
      await drain(body);
      return { kind: 'complete', object: session.result };
    }
    if (range.kind === 'query') {
      await drain(body);
      const complete = !session.receiving && range.total !== undefined && range.total === session.file.size;
      if (complete) return this.complete(session, clientHashes);
      return { kind: 'incomplete', received: session.file.size };
    }
    if (session.receiving) {
      throw new GcsJsonError(503, 'backendError', 'Another request is still writing to this upload session.');
    }
    const received = session.file.size;
    if (range.start > received) {
      throw badRequest(
        `Invalid request. According to the Content-Range header, the upload offset is ${range.start} byte(s), ` +
          `which exceeds already uploaded size of ${received} byte(s).`,
      );
    }
    session.receiving = true;
    session.arriving = 0;
    try {
      await appendStream(
        session.file,
        counted(body, (n) => (session.arriving += n)),
        received - range.start,
      );
    } finally {
      session.receiving = false;
      session.arriving = 0;
    }
    const size = session.file.size;
    if (range.total !== undefined && size > range.total) {
      await this.abandon(session);
      throw badRequest(`Upload of ${size} bytes exceeds the declared total of ${range.total} bytes.`);
    }
    // `bytes S-*/*` is the single-request form: the end of the body is the end of the object.
    const finished = range.total !== undefined ? size === range.total : range.end === undefined;
    if (!finished) return { kind: 'incomplete', received: size };
    return this.complete(session, clientHashes);
  }

  /** DELETE on the session URI: GCS answers 499 and forgets the session. */
  async cancel(id: string): Promise<void> {
    await this.abandon(this.session(id));
  }

  /** Sessions not completed yet (open, or abandoned by a client that went away), with the bytes they hold. */
  inProgress(): UploadInProgress[] {
    return [...this.sessions.values()]
      .filter((s) => !s.result)
      .map((s) => ({ bucket: s.target.bucket, name: s.target.name, received: s.file.size, receiving: s.receiving, arriving: s.arriving }));
  }

  async closeAll(): Promise<void> {
    const open = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(open.map((s) => (s.result ? undefined : s.file.discard().catch(() => undefined))));
  }

  private async complete(session: Session, clientHashes: { md5?: string; crc32c?: string }): Promise<ChunkOutcome> {
    const { target } = session;
    let finished: FinishedFile;
    try {
      finished = await session.file.finish();
      checkSizeAndHashes(finished, target, clientHashes);
      session.result = await this.store.commit(finished, target);
    } catch (error) {
      // A failed completion (412, hash mismatch) ends the session without an object.
      await this.abandon(session);
      throw error;
    }
    return { kind: 'complete', object: session.result };
  }

  private async abandon(session: Session): Promise<void> {
    this.sessions.delete(session.id);
    await session.file.discard();
  }

  private session(id: string): Session {
    const session = this.sessions.get(id);
    if (!session) throw new GcsJsonError(404, 'notFound', `No such upload session: ${id}`);
    return session;
  }
}

function checkSizeAndHashes(file: FinishedFile, target: UploadTarget, clientHashes: { md5?: string; crc32c?: string }): void {
  if (target.declaredSize !== undefined && file.size !== target.declaredSize) {
    throw badRequest(`Received ${file.size} bytes but X-Upload-Content-Length said ${target.declaredSize}.`);
  }
  const md5 = clientHashes.md5 ?? target.expectedMd5Hash;
  if (md5 !== undefined && md5 !== file.md5Hash) {
    throw badRequest(`Provided MD5 hash "${md5}" doesn't match calculated MD5 hash "${file.md5Hash}".`);
  }
  const crc32c = clientHashes.crc32c ?? target.expectedCrc32c;
  if (crc32c !== undefined && crc32c !== file.crc32c) {
    throw badRequest(`Provided CRC32C "${crc32c}" doesn't match calculated CRC32C "${file.crc32c}".`);
  }
}

async function* counted(body: AsyncIterable<Uint8Array>, add: (n: number) => void): AsyncIterable<Uint8Array> {
  for await (const chunk of body) {
    add(chunk.length);
    yield chunk;
  }
}

async function drain(body: AsyncIterable<Uint8Array>): Promise<void> {
  for await (const _ of body) {
    // discard
  }
}
