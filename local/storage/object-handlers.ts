import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { methodNotAllowed } from './bucket-handlers';
import type { EmulatorContext, RequestInfo } from './context';
import { badRequest, conditionNotMet } from './errors';
import { appendStream } from './hashing-file';
import { readJsonBody, sendEmpty, sendJson } from './http-io';
import { InvalidPageTokenError, type ListQuery, listObjects } from './list-objects';
import { sendObjectMedia } from './media-download';
import type { ObjectRecord } from './object-store';
import { checkReadPreconditions, checkWritePreconditions, parsePreconditions } from './preconditions';
import { applyFieldsPatch, parseComposeRequest, parseInsertMetadata, pickFields } from './request-bodies';
import { objectResource } from './resources';
import type { ObjectRef } from './routes';

/** `/b/{bucket}/o`: list. (Inserts go to the /upload/ path; GCS refuses them here too.) */
export async function handleObjectCollection(ctx: EmulatorContext, r: RequestInfo, bucket: string): Promise<void> {
  if (r.req.method === 'POST') {
    throw badRequest('Upload requests must include an uploadType URL parameter and a URL path beginning with /upload/', 'wrongUrlForUpload');
  }
  if (r.req.method !== 'GET') throw methodNotAllowed(r);
  const page = (() => {
    try {
      return listObjects(ctx.store.bucket(bucket).objects.values(), parseListQuery(r.query));
    } catch (error) {
      if (error instanceof InvalidPageTokenError) throw badRequest(error.message);
      throw error;
    }
  })();
  const body: Record<string, unknown> = { kind: 'storage#objects' };
  if (page.prefixes.length > 0) body['prefixes'] = page.prefixes;
  if (page.items.length > 0) body['items'] = page.items.map((o) => objectResource(o, ctx.baseUrl()));
  if (page.nextPageToken !== undefined) body['nextPageToken'] = page.nextPageToken;
  sendJson(r.res, 200, body);
}

function parseListQuery(q: URLSearchParams): ListQuery {
  const query: ListQuery = {};
  for (const key of ['prefix', 'delimiter', 'startOffset', 'endOffset', 'pageToken'] as const) {
    const value = q.get(key);
    if (value !== null) query[key] = value;
  }
  const maxResults = q.get('maxResults');
  if (maxResults !== null) {
    if (!/^\d+$/.test(maxResults)) throw badRequest(`Invalid maxResults: ${maxResults}`);
    query.maxResults = Number(maxResults);
  }
  if (q.get('includeTrailingDelimiter') === 'true') query.includeTrailingDelimiter = true;
  return query;
}

/** `/b/{bucket}/o/{object}`: metadata or media (alt=media) GET, PATCH, PUT, DELETE. */
export async function handleObject(ctx: EmulatorContext, r: RequestInfo, ref: ObjectRef, downloadPath: boolean): Promise<void> {
  const generation = r.query.get('generation') ?? undefined;
  const preconditions = parsePreconditions(r.query);
  switch (r.req.method) {
    case 'GET':
    case 'HEAD': {
      const lookup = (): ObjectRecord => {
        const record = ctx.store.object(ref.bucket, ref.name, generation);
        checkReadPreconditions(record, preconditions);
        return record;
      };
      if (downloadPath || r.query.get('alt') === 'media') {
        await sendObjectMedia(r.req, r.res, lookup, 'json');
        return;
      }
      sendJson(r.res, 200, objectResource(lookup(), ctx.baseUrl()));
      return;
    }
    case 'PATCH':
    case 'PUT': {
      const body = await readJsonBody(r.req);
      ctx.store.object(ref.bucket, ref.name, generation);
      const record = ctx.store.updateFields(ref.bucket, ref.name, preconditions, (current) => applyFieldsPatch(current, body, r.req.method === 'PUT'));
      sendJson(r.res, 200, objectResource(record, ctx.baseUrl()));
      return;
    }
    case 'DELETE':
      ctx.store.deleteObject(ref.bucket, ref.name, preconditions, generation);
      sendEmpty(r.res, 204);
      return;
    default:
      throw methodNotAllowed(r);
  }
}

/**
 * `rewriteTo` and `copyTo`: the bytes are copied on disk in one go (so a rewrite is always
 * `done` in one call) and the hashes carried over. An empty body keeps the source's
 * metadata; a body with fields replaces it, as in GCS.
 */
export async function handleCopy(ctx: EmulatorContext, r: RequestInfo, source: ObjectRef, destination: ObjectRef, rewrite: boolean): Promise<void> {
  if (r.req.method !== 'POST') throw methodNotAllowed(r);
  const body = await readJsonBody(r.req);
  const sourceGeneration = r.query.get('sourceGeneration') ?? undefined;
  const sourcePreconditions = parsePreconditions(r.query, true);
  const lookup = (): ObjectRecord => {
    const record = ctx.store.object(source.bucket, source.name, sourceGeneration);
    checkWritePreconditions(record, sourcePreconditions);
    return record;
  };
  ctx.store.bucket(destination.bucket);
  const hasFields = typeof body === 'object' && body !== null && Object.keys(body).length > 0;
  const tempPath = join(ctx.store.uploadsDir, randomUUID());
  let record = lookup();
  try {
    await copyFile(record.dataPath, tempPath);
  } catch {
    // The source was replaced between lookup and copy: copy the version that is live now.
    record = lookup();
    await copyFile(record.dataPath, tempPath);
  }
  const fields = hasFields ? parseInsertMetadata(body).fields : pickFields(record);
  let created: ObjectRecord;
  try {
    created = await ctx.store.commit(
      { path: tempPath, size: record.size, md5Hash: record.md5Hash, crc32c: record.crc32c },
      { bucket: destination.bucket, name: destination.name, fields, preconditions: parsePreconditions(r.query) },
    );
  } catch (error) {
    await rm(tempPath, { force: true });
    throw error;
  }
  const resource = objectResource(created, ctx.baseUrl());
  if (!rewrite) {
    sendJson(r.res, 200, resource);
    return;
  }
  sendJson(r.res, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(created.size),
    objectSize: String(created.size),
    done: true,
    resource,
  });
}

/** `compose`: concatenates up to 32 source objects of the bucket into the destination. */
export async function handleCompose(ctx: EmulatorContext, r: RequestInfo, destination: ObjectRef): Promise<void> {
  if (r.req.method !== 'POST') throw methodNotAllowed(r);
  const request = parseComposeRequest(await readJsonBody(r.req));
  const sources = request.sources.map((s) => {
    const record = ctx.store.object(destination.bucket, s.name, s.generation);
    if (s.ifGenerationMatch !== undefined && record.generation !== s.ifGenerationMatch) {
      throw conditionNotMet(`sourceObjects[${s.name}].ifGenerationMatch=${s.ifGenerationMatch}`);
    }
    return record;
  });
  const file = await ctx.store.newUploadFile();
  let created: ObjectRecord;
  try {
    for (const source of sources) await appendStream(file, createReadStream(source.dataPath));
    const fields = request.destination.fields;
    if (fields.contentType === undefined && sources[0]?.contentType !== undefined) {
      fields.contentType = sources[0].contentType;
    }
    created = await ctx.store.commit(await file.finish(), {
      bucket: destination.bucket,
      name: destination.name,
      fields,
      preconditions: parsePreconditions(r.query),
    });
  } catch (error) {
    await file.discard();
    throw error;
  }
  sendJson(r.res, 200, objectResource(created, ctx.baseUrl()));
}
