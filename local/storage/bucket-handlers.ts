import type { EmulatorContext, RequestInfo } from './context';
import { GcsJsonError } from './errors';
import { readJsonBody, sendEmpty, sendJson } from './http-io';
import { parseBucketInsert } from './request-bodies';
import { bucketResource } from './resources';

/** `/b`: list (GET) and insert (POST). */
export async function handleBucketCollection(ctx: EmulatorContext, r: RequestInfo): Promise<void> {
  if (r.req.method === 'GET') {
    const prefix = r.query.get('prefix') ?? '';
    const items = ctx.store
      .listBuckets()
      .filter((b) => b.name.startsWith(prefix))
      .map((b) => bucketResource(b, ctx.baseUrl()));
    sendJson(r.res, 200, { kind: 'storage#buckets', ...(items.length > 0 ? { items } : {}) });
    return;
  }
  if (r.req.method === 'POST') {
    const bucket = ctx.store.createBucket(parseBucketInsert(await readJsonBody(r.req)));
    sendJson(r.res, 200, bucketResource(bucket, ctx.baseUrl()));
    return;
  }
  throw methodNotAllowed(r);
}

/** `/b/{bucket}`: get and delete (a bucket that still holds objects is 409, as in GCS). */
export async function handleBucket(ctx: EmulatorContext, r: RequestInfo, bucketName: string): Promise<void> {
  if (r.req.method === 'GET') {
    sendJson(r.res, 200, bucketResource(ctx.store.bucket(bucketName), ctx.baseUrl()));
    return;
  }
  if (r.req.method === 'DELETE') {
    ctx.store.deleteBucket(bucketName);
    sendEmpty(r.res, 204);
    return;
  }
  throw methodNotAllowed(r);
}

export function methodNotAllowed(r: RequestInfo): GcsJsonError {
  return new GcsJsonError(405, 'methodNotAllowed', `Method ${r.req.method} is not supported on ${r.rawPath}`);
}
