/**
 * Requests the Functions Framework refuses before a function runs — a JSON body that does
 * not parse, an unsupported charset or Content-Encoding, a path with broken percent-encoding,
 * a CloudEvent request whose body is not an object, the browser asset paths it keeps for
 * itself — answered in the bundle's error shape.
 *
 * Why here and like this: the Framework (v5) builds an Express app whose body parsers and
 * CloudEvent middleware hand such errors to Express's default final handler, which answers
 * an HTML page carrying the stack trace (outside NODE_ENV=production) and writes the whole
 * error object — the request body included, phone numbers and tokens with it — to stderr
 * with console.error. The Framework has no hook for this (functions-framework-nodejs#686 is
 * open), and NODE_ENV=production would only hide the trace: the body would still be logged
 * and the answer would still be an HTML "Bad Request". Express copies `application.handle`
 * into each app it creates, so giving that method a default final callback before the
 * Framework builds its app (entry files import this at load; the local gateway before it
 * mounts anything) routes those errors to `toErrorResponse`, the one place errors become
 * answers. Errors of the functions themselves never get here: `createHttpApp` answers them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { AppError, type ErrorCode, errorCodeForStatus, toErrorResponse } from '../errors';
import { createLogger, type Logger } from '../logging';
import { type BodyLimits, DEFAULT_BODY_LIMITS, guardRequestBody, type Refusal } from './body-guard';
import { notifyRefusal, type RefusalObserver } from './refusal-observer';

type FinalCallback = (err?: unknown) => void;
type Handle = (this: unknown, req: IncomingMessage, res: ServerResponse, callback?: FinalCallback) => unknown;

interface ExpressLike {
  application: { handle: Handle; [INSTALLED]?: true };
}

const INSTALLED = Symbol.for('ccbridge.frameworkErrorResponses');
const GUARD = Symbol.for('ccbridge.frameworkBodyGuard');
/** Browser asset paths the Framework never passes to an HTTP function (its default ignored routes). */
const RESERVED_PATHS = new Set(['/favicon.ico', '/robots.txt']);

/** The Express the Functions Framework itself loads (resolved from its location, not ours). */
function frameworkExpress(): ExpressLike {
  const requireHere = createRequire(import.meta.url);
  const requireFromFramework = createRequire(requireHere.resolve('@google-cloud/functions-framework'));
  return requireFromFramework('express') as ExpressLike;
}

export interface FrameworkGuardOptions {
  /**
   * The body limits of the function this process serves (the entry resolves them from the
   * composed handler); a request the local gateway routed carries its function's own.
   */
  bodyLimits?: (req: IncomingMessage) => BodyLimits | Promise<BodyLimits>;
  /** The refusal observer of the function this process serves (./refusal-observer), told of what is refused here. */
  refusalObserver?: (req: IncomingMessage) => RefusalObserver | undefined | Promise<RefusalObserver | undefined>;
}

const REQUEST_LIMITS = Symbol.for('ccbridge.requestBodyLimits');

/** For a server hosting several functions (the local gateway): the limits of the function this request is for. */
export function setRequestBodyLimits(req: IncomingMessage, limits: BodyLimits): void {
  (req as IncomingMessage & { [REQUEST_LIMITS]?: BodyLimits })[REQUEST_LIMITS] = limits;
}

const REQUEST_OBSERVER = Symbol.for('ccbridge.requestRefusalObserver');

/** For a server hosting several functions (the local gateway): the refusal observer of the function this request is for. */
export function setRequestRefusalObserver(req: IncomingMessage, observer: RefusalObserver | undefined): void {
  (req as IncomingMessage & { [REQUEST_OBSERVER]?: RefusalObserver | undefined })[REQUEST_OBSERVER] = observer;
}

/** Tells the request's function what was refused (never the body: it was not parsed, or could not be). */
async function tellObserver(req: IncomingMessage & { originalUrl?: string }, response: ReturnType<typeof toErrorResponse>, log: Logger): Promise<void> {
  const own = req as IncomingMessage & { [REQUEST_OBSERVER]?: RefusalObserver | undefined };
  let observer: RefusalObserver | undefined;
  try {
    observer =
      REQUEST_OBSERVER in own
        ? own[REQUEST_OBSERVER]
        : await (frameworkExpress().application as { [GUARD]?: FrameworkGuardOptions })[GUARD]?.refusalObserver?.(req);
  } catch {
    observer = undefined;
  }
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0] ?? '/';
  await notifyRefusal(
    observer,
    {
      stage: 'framework',
      method: (req.method ?? 'GET').toUpperCase(),
      path: path.replace(/\/+$/, '') || '/',
      status: response.status,
      code: response.body.code,
      message: response.body.message,
      parsedBody: undefined,
    },
    log,
  );
}

/**
 * Installs once per process; apps the Framework builds afterwards answer in JSON and hold
 * body limits before their parsers run (./body-guard).
 */
export function installFrameworkErrorResponses(
  log: Logger = createLogger({ fields: { component: 'functions-framework' } }),
  options: FrameworkGuardOptions = {},
): void {
  const app = frameworkExpress().application;
  const state = app as ExpressLike['application'] & { [GUARD]?: FrameworkGuardOptions };
  // The latest options win (an entry installs after anything its imports installed).
  if (options.bodyLimits || !state[GUARD]) state[GUARD] = options;
  if (app[INSTALLED]) return;
  const original = app.handle;
  app.handle = function handle(req, res, callback) {
    // A mounted sub-app (callback given) was guarded by the app that received the request.
    if (callback !== undefined) return original.call(this, req, res, callback);
    // The Framework answers these two itself, before any function, with a bodiless 404.
    if (RESERVED_PATHS.has((req.url ?? '').split('?')[0]!)) {
      answerFrameworkError(new AppError('not_found', 404, 'no such endpoint'), req, res, log);
      return undefined;
    }
    const proceed = () => original.call(this, req, res, (err?: unknown) => answerFrameworkError(err, req, res, log));
    const guard = (limits: BodyLimits) => {
      const refused = guardRequestBody(req, limits, (refusal) => refuseBody(refusal, req, res, log));
      if (refused) refuseBody(refused, req, res, log);
      else proceed();
    };
    const own = (req as IncomingMessage & { [REQUEST_LIMITS]?: BodyLimits })[REQUEST_LIMITS];
    const limits = own ?? state[GUARD]?.bodyLimits?.(req) ?? DEFAULT_BODY_LIMITS;
    if (limits instanceof Promise) {
      // The body stays unread (paused) while the function's composition settles.
      limits.then(guard, () => guard(DEFAULT_BODY_LIMITS));
      return undefined;
    }
    guard(limits);
    return undefined;
  };
  app[INSTALLED] = true;
}

/** Responses already answered by the body guard: what reaches the final handler later is their aftermath. */
const REFUSED = new WeakSet<ServerResponse>();

/**
 * A refusal before or during the body: answered at once, without waiting for the body; the
 * connection is closed after the answer when the body is too large to read off (./body-guard).
 */
function refuseBody({ error, close }: Refusal, req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, log: Logger): void {
  if (REFUSED.has(res) || res.headersSent) return;
  REFUSED.add(res);
  const response = toErrorResponse(error);
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0];
  log.info('request refused before its body was read', {
    method: req.method,
    path,
    status: response.status,
    code: response.body.code,
    reason: response.body.message,
  });
  void tellObserver(req, response, log).finally(() => writeErrorResponse(req, res, response, close));
}

/** The error's JSON answer (nothing once an answer has started). */
function writeErrorResponse(req: IncomingMessage, res: ServerResponse, response: ReturnType<typeof toErrorResponse>, close = false): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify(response.body);
  res.statusCode = response.status;
  for (const [k, v] of Object.entries(response.headers)) res.setHeader(k, v);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  if (close) res.setHeader('connection', 'close');
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** body-parser's error types, as the caller should read them. */
const BODY_ERRORS: Record<string, { code: ErrorCode; message: string }> = {
  'entity.parse.failed': { code: 'invalid_body', message: 'request body is not valid JSON' },
  'charset.unsupported': { code: 'unsupported_media_type', message: 'unsupported charset in Content-Type (use utf-8)' },
  'encoding.unsupported': { code: 'unsupported_media_type', message: 'unsupported Content-Encoding (identity, gzip, deflate or br)' },
  'entity.too.large': { code: 'payload_too_large', message: 'request body is too large' },
  'parameters.too.many': { code: 'payload_too_large', message: 'too many form parameters' },
  'request.aborted': { code: 'bad_request', message: 'the request was aborted before its body was complete' },
  'request.size.invalid': { code: 'bad_request', message: 'request body length does not match Content-Length' },
  'entity.verify.failed': { code: 'bad_request', message: 'request body could not be read' },
};

/**
 * The typed error for something the Framework's layer refused. Messages never quote the
 * request (a JSON parser's message does: it can hold personal data or credentials).
 */
export function frameworkErrorToAppError(err: unknown, req: Pick<IncomingMessage, 'method'> & { body?: unknown }): AppError {
  if (err instanceof AppError) return err;
  const method = (req.method ?? 'GET').toUpperCase();
  if (err === undefined || err === null) return new AppError('not_found', 404, `no such endpoint: ${method}`);
  const e = err as { status?: unknown; statusCode?: unknown; type?: unknown; code?: unknown; message?: unknown; name?: unknown };
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : undefined;
  if (typeof e.type === 'string' && BODY_ERRORS[e.type] && status !== undefined && status < 500) {
    const known = BODY_ERRORS[e.type]!;
    const position = typeof e.message === 'string' ? /position (\d+)/.exec(e.message)?.[1] : undefined;
    return new AppError(known.code, status, position ? `${known.message} (at position ${position})` : known.message);
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_') && status !== undefined && status < 500) {
    return new AppError('bad_request', status, 'request body could not be decompressed (Content-Encoding does not match it)');
  }
  if (e.name === 'URIError' || (typeof e.message === 'string' && e.message.startsWith('Failed to decode param'))) {
    return new AppError('bad_request', 400, 'the request path is not valid percent-encoding');
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new AppError(errorCodeForStatus(status), status, `request refused by the function framework (${status})`);
  }
  // The CloudEvent middleware assumes an object body and throws on anything else.
  if (status === undefined && e.name === 'TypeError') {
    if (method !== 'POST') return new AppError('method_not_allowed', 405, `${method} is not allowed: this function takes event deliveries (POST)`);
    const body = req.body;
    if (body === undefined || body === null || typeof body !== 'object' || Buffer.isBuffer(body)) {
      return new AppError('invalid_body', 400, 'request body must be a JSON object (a CloudEvent or a Pub/Sub push)');
    }
  }
  return new AppError('internal', 500, 'internal error');
}

function answerFrameworkError(err: unknown, req: IncomingMessage & { body?: unknown; originalUrl?: string }, res: ServerResponse, log: Logger): void {
  // The body guard answered; this is body-parser giving up on the body it cut.
  if (REFUSED.has(res)) return;
  const error = frameworkErrorToAppError(err, req);
  const response = toErrorResponse(error);
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0];
  const reason =
    err instanceof AppError
      ? 'reserved path'
      : ((err as { type?: unknown; name?: unknown } | undefined)?.type ?? (err as { name?: unknown } | undefined)?.name ?? 'no route');
  if (response.status >= 500)
    log.error('request failed in the function framework', { method: req.method, path, status: response.status, reason: String(reason) });
  else
    log.info('request refused by the function framework', {
      method: req.method,
      path,
      status: response.status,
      code: response.body.code,
      reason: String(reason),
    });
  if (res.headersSent) {
    req.socket?.destroy();
    return;
  }
  const write = () => writeErrorResponse(req, res, response);
  // Answer once the request is read to its end, as Express does, so the client sees the answer
  // rather than a reset; a request that never ends (aborted) gets nothing.
  void tellObserver(req, response, log).finally(() => {
    if (req.complete || req.readableEnded) write();
    else {
      req.once('end', write);
      req.resume();
    }
  });
}
