import type { EmulatorContext, RequestInfo } from './context';
import { GcsXmlError } from './errors';
import { appendStream } from './hashing-file';
import { header, sendEmpty } from './http-io';
import { sendObjectMedia } from './media-download';
import type { Preconditions } from './preconditions';
import type { ObjectRef } from './routes';
import { isSignedUrlQuery, verifySignedUrl } from './signed-url';

/**
 * XML-API path-style requests, `/<bucket>/<object>`, which is where V4 signed URLs point.
 * Only signed requests are served: GET/HEAD (action "read", with Range), PUT ("write", a
 * streamed simple upload) and DELETE ("delete"). Errors are XML, as GCS sends them here.
 */
export async function handleSignedObjectRequest(ctx: EmulatorContext, r: RequestInfo, ref: ObjectRef): Promise<void> {
  if (!isSignedUrlQuery(r.query)) {
    throw new GcsXmlError(
      403,
      'AccessDenied',
      'Access denied.',
      `Anonymous caller does not have storage.objects.get access to the Google Cloud Storage object ${ref.bucket}/${ref.name}.`,
    );
  }
  verifySignedUrl({ method: r.req.method ?? 'GET', rawPath: r.rawPath, query: r.query, headers: r.req.headers }, ctx.signingKeys, ctx.now());
  switch (r.req.method) {
    case 'GET':
    case 'HEAD':
      await sendObjectMedia(r.req, r.res, () => ctx.store.object(ref.bucket, ref.name), 'xml');
      return;
    case 'PUT': {
      ctx.store.bucket(ref.bucket);
      const preconditions: Preconditions = {};
      const ifGeneration = header(r.req, 'x-goog-if-generation-match');
      if (ifGeneration !== undefined) preconditions.ifGenerationMatch = ifGeneration;
      const file = await ctx.store.newUploadFile();
      try {
        await appendStream(file, r.req);
        const record = await ctx.store.commit(await file.finish(), {
          bucket: ref.bucket,
          name: ref.name,
          fields: { contentType: header(r.req, 'content-type') ?? 'application/octet-stream', metadata: {} },
          preconditions,
        });
        sendEmpty(r.res, 200, {
          ETag: `"${Buffer.from(record.md5Hash, 'base64').toString('hex')}"`,
          'x-goog-generation': record.generation,
          'x-goog-hash': `crc32c=${record.crc32c},md5=${record.md5Hash}`,
        });
      } catch (error) {
        await file.discard();
        throw error;
      }
      return;
    }
    case 'DELETE':
      ctx.store.deleteObject(ref.bucket, ref.name, {});
      sendEmpty(r.res, 204);
      return;
    default:
      throw new GcsXmlError(405, 'MethodNotAllowed', `Method ${r.req.method} is not allowed on signed URLs.`);
  }
}
