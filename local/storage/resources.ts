// JSON resources as GCS renders them: numbers that may exceed 2^53 (size, generation) are
// strings, hashes are base64, and links point back at this emulator.
import type { BucketRecord, ObjectRecord } from './object-store';

export function objectResource(record: ObjectRecord, baseUrl: string): Record<string, unknown> {
  const encodedName = encodeURIComponent(record.name);
  const resource: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${record.bucket}/${record.name}/${record.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${record.bucket}/o/${encodedName}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${record.bucket}/o/${encodedName}?generation=${record.generation}&alt=media`,
    name: record.name,
    bucket: record.bucket,
    generation: record.generation,
    metageneration: String(record.metageneration),
    contentType: record.contentType ?? 'application/octet-stream',
    storageClass: 'STANDARD',
    size: String(record.size),
    md5Hash: record.md5Hash,
    crc32c: record.crc32c,
    etag: objectEtag(record),
    timeCreated: record.timeCreated.toISOString(),
    updated: record.updated.toISOString(),
    timeStorageClassUpdated: record.timeCreated.toISOString(),
  };
  if (record.contentEncoding !== undefined) resource['contentEncoding'] = record.contentEncoding;
  if (record.contentDisposition !== undefined) resource['contentDisposition'] = record.contentDisposition;
  if (record.cacheControl !== undefined) resource['cacheControl'] = record.cacheControl;
  if (record.contentLanguage !== undefined) resource['contentLanguage'] = record.contentLanguage;
  if (Object.keys(record.metadata).length > 0) resource['metadata'] = { ...record.metadata };
  return resource;
}

/** Changes whenever the data or the metadata changes, like GCS's object etag. */
export function objectEtag(record: ObjectRecord): string {
  return Buffer.from(`${record.generation}/${record.metageneration}`).toString('base64');
}

export function bucketResource(bucket: BucketRecord, baseUrl: string): Record<string, unknown> {
  const created = bucket.timeCreated.toISOString();
  return {
    kind: 'storage#bucket',
    id: bucket.name,
    selfLink: `${baseUrl}/storage/v1/b/${bucket.name}`,
    projectNumber: '0',
    name: bucket.name,
    timeCreated: created,
    updated: created,
    metageneration: String(bucket.metageneration),
    location: bucket.location,
    locationType: 'multi-region',
    storageClass: bucket.storageClass,
    etag: 'CAE=',
  };
}
