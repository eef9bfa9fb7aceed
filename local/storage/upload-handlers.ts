import type { IncomingMessage } from 'node:http';
import { methodNotAllowed } from './bucket-handlers';
import type { EmulatorContext, RequestInfo } from './context';
import { badRequest, GcsJsonError } from './errors';
import { appendStream, type FinishedFile, type HashingFile } from './hashing-file';
import { header, parseGoogHash, readJsonBody, sendEmpty, sendJson } from './http-io';
import { MultipartError, multipartBoundary, readMultipartRelated } from './multipart-related';
import type { ObjectRecord } from './object-store';
import { checkWritePreconditions, type Preconditions, parsePreconditions } from './preconditions';
import { parseUploadContentRange } from './ranges';
import { type InsertMetadata, parseInsertMetadata } from './request-bodies';
import { objectResource } from './resources';
import type { ChunkOutcome } from './resumable-uploads';

/**
 * `/upload/storage/v1/b/{bucket}/o`: object inserts (`uploadType=media|multipart|resumable`)
 * and, with `upload_id`, the chunks (PUT), status queries and cancellation (DELETE) of a
 * resumable session.
 */
export async function handleUpload(ctx: EmulatorContext, r: RequestInfo, bucket: string): Promise<void> {
  const uploadId = r.query.get('upload_id');
  if (uploadId !== null) return handleSessionRequest(ctx, r, uploadId);
  if (r.req.method !== 'POST') throw methodNotAllowed(r);
  ctx.store.bucket(bucket);
  const preconditions = parsePreconditions(r.query);
  const contentType = header(r.req, 'content-type');
  const uploadType = r.query.get('uploadType') ?? (multipartBoundary(contentType) ? 'multipart' : 'media');
  switch (uploadType) {
    case 'media':
      return insertMedia(ctx, r, bucket, preconditions);
    case 'multipart':
      return insertMultipart(ctx, r, bucket, preconditions);
    case 'resumable':
      return startResumable(ctx, r, bucket, preconditions);
    default:
      throw badRequest(`Invalid uploadType: ${uploadType}`);
  }
}

async function insertMedia(ctx: EmulatorContext, r: RequestInfo, bucket: string, preconditions: Preconditions): Promise<void> {
  const name = checkObjectName(r.query.get('name') ?? undefined);
  const metadata: InsertMetadata = {
    fields: { contentType: header(r.req, 'content-type') ?? 'application/octet-stream', metadata: {} },
  };
  const hashes = parseGoogHash(header(r.req, 'x-goog-hash'));
  if (hashes.md5 !== undefined) metadata.expectedMd5Hash = hashes.md5;
  if (hashes.crc32c !== undefined) metadata.expectedCrc32c = hashes.crc32c;
  const record = await writeObject(
    ctx,
    r.req,
    (file) => appendStream(file, r.req).then(() => undefined),
    () => ({
      bucket,
      name,
      metadata,
      preconditions,
    }),
  );
  sendJson(r.res, 200, objectResource(record, ctx.baseUrl()));
}

async function insertMultipart(ctx: EmulatorContext, r: RequestInfo, bucket: string, preconditions: Preconditions): Promise<void> {
  const boundary = multipartBoundary(header(r.req, 'content-type'));
  if (boundary === undefined) throw badRequest('uploadType=multipart needs a multipart/related body with a boundary.');
  let metadataJson = '';
  let mediaType: string | undefined;
  const record = await writeObject(
    ctx,
    r.req,
    async (file) => {
      try {
        const parts = await readMultipartRelated(r.req, boundary, (media) => appendStream(file, media).then(() => undefined));
        metadataJson = parts.metadataJson;
        mediaType = parts.mediaContentType;
      } catch (error) {
        if (error instanceof MultipartError) throw badRequest(error.message);
        throw error;
      }
    },
    () => {
      const metadata = parseInsertMetadata(parseJsonText(metadataJson));
      metadata.fields.contentType ??= mediaType ?? 'application/octet-stream';
      return { bucket, name: checkObjectName(r.query.get('name') ?? metadata.name), metadata, preconditions };
    },
  );
  sendJson(r.res, 200, objectResource(record, ctx.baseUrl()));
}

/**
 * Streams a simple upload into a temporary file, then commits it. The target is resolved
 * after the body has been read, because a multipart upload carries its name and metadata
 * in the body; preconditions are checked at commit, against the then-live object.
 */
async function writeObject(
  ctx: EmulatorContext,
  req: IncomingMessage,
  receive: (file: HashingFile) => Promise<void>,
  target: () => { bucket: string; name: string; metadata: InsertMetadata; preconditions: Preconditions },
): Promise<ObjectRecord> {
  const file = await ctx.store.newUploadFile();
  try {
    await receive(file);
    const { bucket, name, metadata, preconditions } = target();
    const finished = await file.finish();
    checkHashes(finished, metadata);
    return await ctx.store.commit(finished, { bucket, name, fields: metadata.fields, preconditions });
  } catch (error) {
    await file.discard();
    // Not reading the rest of a refused body would leave the client writing into the void.
    if (!req.complete) req.resume();
    throw error;
  }
}

function checkHashes(file: FinishedFile, metadata: InsertMetadata): void {
  if (metadata.expectedMd5Hash !== undefined && metadata.expectedMd5Hash !== file.md5Hash) {
    throw badRequest(`Provided MD5 hash "${metadata.expectedMd5Hash}" doesn't match calculated MD5 hash "${file.md5Hash}".`);
  }
  if (metadata.expectedCrc32c !== undefined && metadata.expectedCrc32c !== file.crc32c) {
    throw badRequest(`Provided CRC32C "${metadata.expectedCrc32c}" doesn't match calculated CRC32C "${file.crc32c}".`);
  }
}

/** Session initiation: preconditions are checked now (fail fast) and again at completion. */
async function startResumable(ctx: EmulatorContext, r: RequestInfo, bucket: string, preconditions: Preconditions): Promise<void> {
  const metadata = parseInsertMetadata(await readJsonBody(r.req));
  const name = checkObjectName(r.query.get('name') ?? metadata.name);
  checkWritePreconditions(ctx.store.findObject(bucket, name), preconditions);
  metadata.fields.contentType ??= header(r.req, 'x-upload-content-type') ?? 'application/octet-stream';
  const declared = header(r.req, 'x-upload-content-length');
  if (declared !== undefined && !/^\d+$/.test(declared)) throw badRequest(`Invalid X-Upload-Content-Length: ${declared}`);
  const id = await ctx.uploads.start({
    bucket,
    name,
    fields: metadata.fields,
    preconditions,
    ...(declared === undefined ? {} : { declaredSize: Number(declared) }),
    ...(metadata.expectedMd5Hash === undefined ? {} : { expectedMd5Hash: metadata.expectedMd5Hash }),
    ...(metadata.expectedCrc32c === undefined ? {} : { expectedCrc32c: metadata.expectedCrc32c }),
  });
  const location =
    `${ctx.baseUrl()}/upload/storage/v1/b/${encodeURIComponent(bucket)}/o` + `?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${id}`;
  sendEmpty(r.res, 200, { Location: location, 'X-GUploader-UploadID': id });
}

async function handleSessionRequest(ctx: EmulatorContext, r: RequestInfo, uploadId: string): Promise<void> {
  if (r.req.method === 'DELETE') {
    await ctx.uploads.cancel(uploadId);
    // GCS's answer to a cancelled session; the client treats it as "gone".
    sendEmpty(r.res, 499);
    return;
  }
  if (r.req.method !== 'PUT' && r.req.method !== 'POST') throw methodNotAllowed(r);
  const rangeHeader = header(r.req, 'content-range');
  const range = parseUploadContentRange(rangeHeader);
  if (range === undefined) throw badRequest(`Invalid Content-Range: ${rangeHeader}`);
  const outcome: ChunkOutcome = await ctx.uploads.receive(uploadId, range, r.req, parseGoogHash(header(r.req, 'x-goog-hash')));
  if (outcome.kind === 'complete') {
    sendJson(r.res, 200, objectResource(outcome.object, ctx.baseUrl()));
    return;
  }
  // 308 "Resume Incomplete" with no Location, so fetch-based clients do not follow it.
  const headers: Record<string, string> = {};
  if (outcome.received > 0) headers['Range'] = `bytes=0-${outcome.received - 1}`;
  sendEmpty(r.res, 308, headers);
}

function checkObjectName(name: string | undefined): string {
  if (name === undefined || name === '') throw new GcsJsonError(400, 'required', 'Required: object name');
  if (Buffer.byteLength(name, 'utf8') > 1024 || /[\r\n]/.test(name)) {
    throw badRequest(`Invalid object name: ${JSON.stringify(name.slice(0, 80))}`);
  }
  return name;
}

function parseJsonText(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('The metadata part of the multipart upload is not valid JSON.', 'parseError');
  }
}
