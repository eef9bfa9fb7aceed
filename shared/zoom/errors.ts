/** Errors of the Zoom API, classified the way the worker and reconciliation act on them. */
import { AppError } from '../errors';

/** A download answered 404/409: Zoom has announced the file but is not serving it yet. */
export class ZoomFileNotReadyError extends AppError {
  constructor(readonly upstreamStatus: number) {
    super('not_found', 404, `Zoom file not ready yet (HTTP ${upstreamStatus})`, { retryable: true });
    this.name = 'ZoomFileNotReadyError';
  }
}

/** Any other non-2xx answer: 429 and 5xx are retryable, the rest (e.g. 400, 403) are not. */
export class ZoomApiError extends AppError {
  constructor(
    readonly upstreamStatus: number,
    what: string,
    retryAfterSeconds?: number,
  ) {
    const retryable = upstreamStatus === 429 || upstreamStatus >= 500 || upstreamStatus === 401;
    super(
      upstreamStatus === 429 ? 'rate_limited' : retryable ? 'upstream_unavailable' : 'upstream_error',
      retryable ? 503 : 502,
      `Zoom ${what} answered HTTP ${upstreamStatus}`,
      {
        retryable,
        ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}),
      },
    );
    this.name = 'ZoomApiError';
  }
}

/** The connection failed or the body ended early. */
export class ZoomNetworkError extends AppError {
  constructor(what: string, cause: unknown) {
    super('upstream_unavailable', 503, `Zoom ${what} failed: ${(cause as Error)?.message ?? 'network error'}`, { retryable: true, cause });
    this.name = 'ZoomNetworkError';
  }
}

/** A download URL outside the configured Zoom hosts: the token is never sent there. */
export class ZoomUrlNotAllowedError extends AppError {
  constructor(host: string) {
    super('bad_request', 400, `download host ${host} is not a Zoom host this bundle trusts`, { retryable: false });
    this.name = 'ZoomUrlNotAllowedError';
  }
}

/** A next_page_token Zoom no longer accepts (they expire after 15 minutes): restart the listing. */
export class ZoomPageTokenExpiredError extends AppError {
  constructor(what: string) {
    super('upstream_error', 502, `Zoom ${what}: next_page_token expired or invalid`, { retryable: true });
    this.name = 'ZoomPageTokenExpiredError';
  }
}
