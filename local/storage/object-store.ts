import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { bucketNotFound, GcsJsonError, objectNotFound } from './errors';
import { type FinishedFile, HashingFile } from './hashing-file';
import { checkWritePreconditions, type Preconditions } from './preconditions';
import type { ObjectFields } from './request-bodies';

/** A live object: its index entry in memory, its bytes in `dataPath` on disk. */
export interface ObjectRecord extends ObjectFields {
  bucket: string;
  name: string;
  generation: string;
  metageneration: number;
  size: number;
  md5Hash: string;
  crc32c: string;
  timeCreated: Date;
  updated: Date;
  dataPath: string;
}

export interface BucketRecord {
  name: string;
  location: string;
  storageClass: string;
  timeCreated: Date;
  metageneration: number;
  objects: Map<string, ObjectRecord>;
}

/**
 * Buckets and the live version of each object. Only the index is in memory; object bytes
 * are files under `<root>/objects`, and uploads in progress are files under
 * `<root>/uploads` that are renamed into place when they complete, so an object appears
 * whole or not at all.
 */
export class ObjectStore {
  private readonly buckets = new Map<string, BucketRecord>();
  private lastGeneration = 0;

  private constructor(readonly root: string) {}

  static async open(root: string): Promise<ObjectStore> {
    const store = new ObjectStore(root);
    await mkdir(store.objectsDir, { recursive: true });
    await mkdir(store.uploadsDir, { recursive: true });
    return store;
  }

  get objectsDir(): string {
    return join(this.root, 'objects');
  }

  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }

  createBucket(input: { name: string; location?: string; storageClass?: string }): BucketRecord {
    if (this.buckets.has(input.name)) {
      throw new GcsJsonError(409, 'conflict', 'Your previous request to create the named bucket succeeded and you already own it.');
    }
    const bucket: BucketRecord = {
      name: input.name,
      location: input.location ?? 'US',
      storageClass: input.storageClass ?? 'STANDARD',
      timeCreated: new Date(),
      metageneration: 1,
      objects: new Map(),
    };
    this.buckets.set(input.name, bucket);
    return bucket;
  }

  bucket(name: string): BucketRecord {
    const bucket = this.buckets.get(name);
    if (!bucket) throw bucketNotFound(name);
    return bucket;
  }

  listBuckets(): BucketRecord[] {
    return [...this.buckets.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  deleteBucket(name: string): void {
    const bucket = this.bucket(name);
    if (bucket.objects.size > 0) {
      throw new GcsJsonError(409, 'conflict', 'The bucket you tried to delete is not empty.');
    }
    this.buckets.delete(name);
  }

  /** The live object; `generation`, when given, must be the live one (no version history is kept). */
  object(bucket: string, name: string, generation?: string): ObjectRecord {
    const record = this.bucket(bucket).objects.get(name);
    if (!record || (generation !== undefined && record.generation !== generation)) {
      throw objectNotFound(bucket, name);
    }
    return record;
  }

  findObject(bucket: string, name: string): ObjectRecord | undefined {
    return this.buckets.get(bucket)?.objects.get(name);
  }

  all(): ObjectRecord[] {
    return [...this.buckets.values()].flatMap((b) => [...b.objects.values()]);
  }

  async newUploadFile(): Promise<HashingFile> {
    return HashingFile.create(join(this.uploadsDir, randomUUID()));
  }

  /**
   * Makes a finished upload the live version of `bucket/name`. The file is renamed into
   * place first; the precondition check and the index swap then run with no await between
   * them, so two uploads racing with `ifGenerationMatch=0` cannot both win.
   */
  async commit(file: FinishedFile, target: { bucket: string; name: string; fields: ObjectFields; preconditions: Preconditions }): Promise<ObjectRecord> {
    const finalPath = join(this.objectsDir, randomUUID());
    try {
      await rename(file.path, finalPath);
    } catch (error) {
      await rm(file.path, { force: true });
      throw error;
    }
    let bucket: BucketRecord;
    try {
      bucket = this.bucket(target.bucket);
      checkWritePreconditions(bucket.objects.get(target.name), target.preconditions);
    } catch (error) {
      await rm(finalPath, { force: true });
      throw error;
    }
    const previous = bucket.objects.get(target.name);
    const now = new Date();
    const record: ObjectRecord = {
      ...target.fields,
      metadata: { ...target.fields.metadata },
      bucket: target.bucket,
      name: target.name,
      generation: this.nextGeneration(),
      metageneration: 1,
      size: file.size,
      md5Hash: file.md5Hash,
      crc32c: file.crc32c,
      timeCreated: now,
      updated: now,
      dataPath: finalPath,
    };
    bucket.objects.set(target.name, record);
    if (previous) this.removeData(previous);
    return record;
  }

  /** Rewrites the writable fields of the live object; metageneration goes up by one. */
  updateFields(bucket: string, name: string, preconditions: Preconditions, change: (current: ObjectFields) => ObjectFields): ObjectRecord {
    const current = this.object(bucket, name);
    checkWritePreconditions(current, preconditions);
    const fields = change(current);
    const next: ObjectRecord = {
      bucket: current.bucket,
      name: current.name,
      generation: current.generation,
      metageneration: current.metageneration + 1,
      size: current.size,
      md5Hash: current.md5Hash,
      crc32c: current.crc32c,
      timeCreated: current.timeCreated,
      updated: new Date(),
      dataPath: current.dataPath,
      ...fields,
    };
    this.bucket(bucket).objects.set(name, next);
    return next;
  }

  deleteObject(bucket: string, name: string, preconditions: Preconditions, generation?: string): void {
    const current = this.object(bucket, name, generation);
    checkWritePreconditions(current, preconditions);
    this.bucket(bucket).objects.delete(name);
    this.removeData(current);
  }

  private removeData(record: ObjectRecord): void {
    // Downloads already streaming keep their open descriptor; unlinking does not cut them off.
    rm(record.dataPath, { force: true }).catch(() => undefined);
  }

  /** GCS generations are microsecond timestamps; they must also strictly increase. */
  private nextGeneration(): string {
    this.lastGeneration = Math.max(Date.now() * 1000, this.lastGeneration + 1);
    return String(this.lastGeneration);
  }
}
