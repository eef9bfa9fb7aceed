/**
 * Typed errors. Every failure that reaches a caller is an AppError with a stable machine
 * `code`, an HTTP `status` and a message that is safe to show (no secrets, no PII).
 * They are turned into responses in exactly one place: `toErrorResponse`.
 */

export type ErrorCode =
  | 'bad_request'
  | 'invalid_body'
  | 'invalid_query'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'not_implemented'
  | 'upstream_error'
  | 'upstream_unavailable'
  | 'unavailable'
  | 'internal';

/** The code of an error known only by its HTTP status (a refusal by a framework, a scripted fault): the one status → code map. */
const CODE_BY_STATUS: Readonly<Record<number, ErrorCode>> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  501: 'not_implemented',
  503: 'unavailable',
};

export function errorCodeForStatus(status: number): ErrorCode {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? 'upstream_error' : 'bad_request');
}

export interface ErrorOptions {
  /** Structured, non-sensitive details for the caller (e.g. which fields were wrong). */
  details?: unknown;
  /** Whether repeating the same operation later may succeed (drives event-function retries). */
  retryable?: boolean;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, status: number, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = status;
    this.details = options.details;
    this.retryable = options.retryable ?? status >= 500;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export const badRequest = (message: string, details?: unknown) => new AppError('bad_request', 400, message, { details });
export const unauthenticated = (message = 'authentication required') => new AppError('unauthenticated', 401, message);
export const forbidden = (message = 'not allowed') => new AppError('forbidden', 403, message);
export const notFound = (message = 'not found') => new AppError('not_found', 404, message);
export const conflict = (message: string, details?: unknown) => new AppError('conflict', 409, message, { details });
export const payloadTooLarge = (limitBytes: number) => new AppError('payload_too_large', 413, `request body exceeds ${limitBytes} bytes`);
export const notImplemented = (message: string) => new AppError('not_implemented', 501, message, { retryable: false });
export const unavailable = (message: string, options: ErrorOptions = {}) => new AppError('unavailable', 503, message, { retryable: true, ...options });

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

export interface ErrorBody {
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

/** The one place where errors become HTTP responses. Unknown errors never leak their text. */
export function toErrorResponse(err: unknown): ErrorResponse {
  if (isAppError(err)) {
    const headers: Record<string, string> = {};
    if (err.retryAfterSeconds !== undefined) headers['retry-after'] = String(Math.ceil(err.retryAfterSeconds));
    const body: ErrorBody = { code: err.code, message: err.message };
    if (err.details !== undefined) body.details = err.details;
    return { status: err.status, headers, body };
  }
  return { status: 500, headers: {}, body: { code: 'internal', message: 'internal error' } };
}
