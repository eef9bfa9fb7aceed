import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleBucket, handleBucketCollection } from './bucket-handlers';
import type { EmulatorContext, RequestInfo } from './context';
import { GcsJsonError, GcsXmlError } from './errors';
import type { FaultInjector } from './faults';
import { sendEmpty, sendJson } from './http-io';
import { handleCompose, handleCopy, handleObject, handleObjectCollection } from './object-handlers';
import { parseRoute, type Route } from './routes';
import { handleSignedObjectRequest } from './signed-url-handlers';
import { handleUpload } from './upload-handlers';

/**
 * The emulator's request listener: fault injection first, then routing, then the one
 * place where errors become responses (JSON for the JSON API, XML for signed URLs).
 */
export function createRequestHandler(
  ctx: EmulatorContext,
  faults: FaultInjector,
  log: (line: string) => void,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const started = Date.now();
    const url = req.url ?? '/';
    res.on('close', () => {
      const outcome = res.writableFinished ? String(res.statusCode) : `${res.statusCode} (connection closed)`;
      log(`storage-emulator ${req.method} ${url} ${outcome} ${Date.now() - started}ms`);
    });
    let style: 'json' | 'xml' = 'json';
    try {
      const queryAt = url.indexOf('?');
      const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
      const query = new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1));
      const route = parseRoute(rawPath);
      if (route.kind === 'xmlObject') style = 'xml';
      const fault = faults.take(req.method ?? 'GET', url);
      if (fault) throw fault;
      await dispatch(ctx, { req, res, rawPath, query }, route);
    } catch (error) {
      sendError(res, error, style, log);
    }
  };
}

async function dispatch(ctx: EmulatorContext, r: RequestInfo, route: Route): Promise<void> {
  switch (route.kind) {
    case 'root':
      sendJson(r.res, 200, { kind: 'ccbridge#storageEmulator', status: 'ok' });
      return;
    case 'buckets':
      return handleBucketCollection(ctx, r);
    case 'bucket':
      return handleBucket(ctx, r, route.bucket);
    case 'objects':
      return route.upload ? handleUpload(ctx, r, route.bucket) : handleObjectCollection(ctx, r, route.bucket);
    case 'object':
      return handleObject(ctx, r, route.ref, route.download);
    case 'rewrite':
    case 'copy':
      return handleCopy(ctx, r, route.source, route.destination, route.kind === 'rewrite');
    case 'compose':
      return handleCompose(ctx, r, route.destination);
    case 'xmlObject':
      return handleSignedObjectRequest(ctx, r, route.ref);
    case 'unknown':
      throw new GcsJsonError(404, 'notFound', `Not Found: ${r.rawPath}`);
  }
}

function sendError(res: ServerResponse, error: unknown, style: 'json' | 'xml', log: (line: string) => void): void {
  if (res.headersSent || res.destroyed) {
    // Mid-stream failure (or the client went away): all that is left is to cut the connection.
    res.destroy();
    return;
  }
  const typed = style === 'xml' && error instanceof GcsJsonError ? toXmlError(error) : error;
  if (typed instanceof GcsJsonError) {
    if (typed.status === 304) sendEmpty(res, 304, typed.extraHeaders);
    else sendJson(res, typed.status, typed.body(), typed.extraHeaders);
    return;
  }
  if (typed instanceof GcsXmlError) {
    const text = typed.body();
    res.writeHead(typed.status, {
      'Content-Type': 'application/xml; charset=UTF-8',
      'Content-Length': String(Buffer.byteLength(text)),
      ...typed.extraHeaders,
    });
    res.end(text);
    return;
  }
  log(`storage-emulator internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  const internal = new GcsJsonError(500, 'backendError', 'Internal error in the storage emulator.');
  sendJson(res, 500, internal.body());
}

/** The XML API names its errors differently; map the JSON ones raised by shared code. */
function toXmlError(error: GcsJsonError): GcsXmlError {
  const code =
    error.status === 404
      ? error.message.startsWith('No such object')
        ? 'NoSuchKey'
        : 'NoSuchBucket'
      : error.status === 412
        ? 'PreconditionFailed'
        : error.status === 400
          ? 'InvalidArgument'
          : error.status === 304
            ? 'NotModified'
            : 'InternalError';
  return new GcsXmlError(error.status, code, error.message, undefined, error.extraHeaders);
}
