/**
 * Size and encoding limits that hold before the Functions Framework reads a body.
 *
 * Why here: the Framework (v5, `build/src/server.js`) mounts body-parser's json, text,
 * urlencoded and raw parsers with a 1024 MB limit and inflation on, ahead of any function
 * code, so a 52 KB gzip body inflating to 50 MB of `[{},{},…]` is buffered and parsed before
 * `createHttpApp` could check its size. The guard runs from the Express `application.handle`
 * hook (./framework-errors), i.e. before the Framework's first middleware, and:
 * - refuses any `Content-Encoding` but identity (415): no caller of ours documents compressed
 *   request bodies, and refusing them means nothing is ever inflated;
 * - refuses a declared `Content-Length` over the function's limit (413) without reading it;
 * - counts the bytes of a chunked body as they arrive and cuts it at the limit (413).
 * Bodies the Framework turns into objects (JSON, forms) have their own, smaller limit: a
 * JSON array of empty objects costs ~20 times its size in heap.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { AppError } from '../errors';

export interface BodyLimits {
  /** Any request body, in bytes as received. */
  maxBytes: number;
  /** Bodies the Framework parses into objects or strings (JSON, forms, text), in bytes. */
  maxParsedBytes: number;
}

/** What a function gets unless it says otherwise (`createHttpApp`'s `maxBodyBytes`). */
export const DEFAULT_BODY_LIMITS: Readonly<BodyLimits> = { maxBytes: 10 * 1024 * 1024, maxParsedBytes: 1024 * 1024 };

const LIMITS = Symbol.for('ccbridge.bodyLimits');

/** A function's limits, or (a function serving several apps) the limits of the app a request is for. */
export type BodyLimitsRule = BodyLimits | ((req: IncomingMessage) => BodyLimits);

/** Attaches a function's body limits to its handler, where the entry and the local gateway read them. */
export function withBodyLimits<F extends object>(handler: F, rule: BodyLimitsRule): F & { [LIMITS]: BodyLimitsRule } {
  return Object.assign(handler, { [LIMITS]: rule });
}

/** The limits a handler holds `req` to (the defaults for a handler that names none). */
export function bodyLimitsOf(handler: unknown, req: IncomingMessage): BodyLimits {
  const rule = (handler as { [LIMITS]?: BodyLimitsRule } | null | undefined)?.[LIMITS];
  if (rule === undefined) return DEFAULT_BODY_LIMITS;
  return typeof rule === 'function' ? rule(req) : rule;
}

/** The content types the Framework's body-parser turns into values (its json, text and urlencoded parsers). */
const PARSED_TYPES = ['application/json', 'application/cloudevents+json', 'text/plain', 'application/x-www-form-urlencoded'];

type TypeIs = { is: (mediaType: string, types: string[]) => string | false };
let typeIs: TypeIs | undefined;
/** The same media-type matcher body-parser uses (resolved from the Framework's location). */
function frameworkTypeIs(): TypeIs {
  if (!typeIs) {
    const requireHere = createRequire(import.meta.url);
    const requireFromParser = createRequire(createRequire(requireHere.resolve('@google-cloud/functions-framework')).resolve('body-parser'));
    typeIs = requireFromParser('type-is') as TypeIs;
  }
  return typeIs;
}

/** The byte limit that applies to this request's body, by its media type. */
export function bodyLimitFor(contentType: string | undefined, limits: BodyLimits): number {
  if (!contentType) return limits.maxBytes;
  let parsed: string | false;
  try {
    parsed = frameworkTypeIs().is(contentType, PARSED_TYPES);
  } catch {
    parsed = false;
  }
  return parsed ? Math.min(limits.maxParsedBytes, limits.maxBytes) : limits.maxBytes;
}

function hasBody(req: IncomingMessage): boolean {
  return req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0');
}

/** The codings named in Content-Encoding other than identity, lower-cased. */
function codingsOf(header: string | undefined): string[] {
  if (header === undefined) return [];
  return header
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

export interface Refusal {
  error: AppError;
  /**
   * Close the connection after the answer: the body is too large to read off (declared more
   * than LINGER_BYTES over the limit, or of unknown length). Otherwise the server reads the
   * rest off and discards it (never buffered), so a client still sending is not reset before it
   * reads the answer.
   */
  close: boolean;
}

export type Refuse = (refusal: Refusal) => void;

/** Bytes past the limit still read off and discarded after the answer, so the client reads the 413 before the connection closes. */
const LINGER_BYTES = 16 * 1024 * 1024;

/**
 * Checks a request before anything reads its body. Returns the refusal (and answers nothing)
 * if its headers already break the limits; otherwise arranges that a body growing past the
 * limit is cut: `onOverflow` is called once and no further byte reaches any reader.
 */
export function guardRequestBody(req: IncomingMessage, limits: BodyLimits, onOverflow: Refuse): Refusal | undefined {
  if (!hasBody(req)) return undefined;
  const limit = bodyLimitFor(req.headers['content-type'], limits);
  const declared = req.headers['transfer-encoding'] === undefined ? Number(req.headers['content-length']) : Number.NaN;
  // Node reads off (and drops) the unread body of an answered request before the next one.
  const readOff = Number.isFinite(declared) && declared <= limit + LINGER_BYTES;
  const codings = codingsOf(req.headers['content-encoding']);
  if (codings.length > 0) {
    const shown = codings
      .join(', ')
      .slice(0, 40)
      .replace(/[^\w ,.+-]/g, '?');
    return {
      error: new AppError('unsupported_media_type', 415, `Content-Encoding "${shown}" is not accepted: send the body uncompressed (identity)`),
      close: !readOff,
    };
  }
  if (Number.isFinite(declared) && declared > limit) return { error: tooLarge(limit), close: !readOff };
  countAsItArrives(req, limit, onOverflow);
  return undefined;
}

function tooLarge(limit: number): AppError {
  return new AppError('payload_too_large', 413, `request body exceeds this endpoint's limit of ${limit} bytes`);
}

/**
 * Every reader (body-parser's raw-body, or a pipe) gets the body through `emit('data')`; the
 * wrapper counts bytes there and, past the limit, stops passing them on and reports once.
 * The rest of the body is then read off and dropped — never reaching a reader, and its end
 * never signalled, so nothing parses a truncated body — and the connection is closed once the
 * client has sent it all (or LINGER_BYTES more): closing while the client still sends would
 * reset the connection and could lose the 413 before the client reads it.
 */
function countAsItArrives(req: IncomingMessage, limit: number, onOverflow: Refuse): void {
  let received = 0;
  let overflowed = false;
  const emit = req.emit;
  const close = () => req.socket?.destroySoon?.();
  req.emit = function emitCounted(this: IncomingMessage, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'data') {
      const chunk = args[0];
      received += Buffer.isBuffer(chunk) || typeof chunk === 'string' ? Buffer.byteLength(chunk) : 0;
      if (overflowed) {
        if (received > limit + LINGER_BYTES) close();
        return false;
      }
      if (received > limit) {
        overflowed = true;
        onOverflow({ error: tooLarge(limit), close: false });
        return false;
      }
    } else if (event === 'end' && overflowed) {
      close();
      return false;
    }
    return emit.call(this, event, ...args);
  } as typeof req.emit;
}
