/**
 * The errors every CrmClient implementation speaks, whatever CRM is behind it. Adapters map
 * their CRM's failures onto these (and nothing else), so the contract answers the same way
 * for ServiceNow, Salesforce, Zendesk, Be Aware 360, the mock and the contract client:
 * 404 unknown id, 409 conflict or ambiguous match, 429 with Retry-After, 502/503 upstream.
 */
import { AppError } from '../errors';
import { parseRetryAfter } from '../http/retry-after';

export interface AmbiguousCandidate {
  id: string;
  type?: string;
  name?: string;
}

export const crmNotFound = (what: string, id: string) => new AppError('not_found', 404, `${what} ${id} not found`, { details: { what, id } });

export const crmConflict = (message: string, details?: unknown) => new AppError('conflict', 409, message, { details, retryable: false });

/** Several CRM objects match a lookup and no configured rule picks one: the caller must choose. */
export const ambiguousMatch = (candidates: AmbiguousCandidate[]) =>
  new AppError('conflict', 409, `${candidates.length} CRM objects match; none could be chosen automatically`, {
    details: { reason: 'ambiguous', candidates },
    retryable: false,
  });

export const crmRateLimited = (retryAfterSeconds: number | undefined, crm: string) =>
  new AppError('rate_limited', 429, `${crm} is rate limiting requests`, {
    retryable: true,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
  });

export const crmUnavailable = (crm: string, status: number | undefined, cause?: unknown) =>
  new AppError('upstream_unavailable', 503, `${crm} is unavailable${status === undefined ? '' : ` (HTTP ${status})`}`, {
    retryable: true,
    details: status === undefined ? undefined : { upstreamStatus: status },
    cause,
  });

/**
 * The CRM's daily request allocation is used up (Salesforce REQUEST_LIMIT_EXCEEDED, HTTP 403):
 * repeating in seconds cannot succeed, so it is a 503 that asks for an hour, never a 429.
 */
export const crmDailyLimitReached = (crm: string) =>
  new AppError('upstream_unavailable', 503, `${crm}: the organisation's daily API request limit is used up`, {
    retryable: true,
    retryAfterSeconds: 3600,
    details: { reason: 'daily_api_limit' },
  });

/** The CRM answered something that breaks its documented contract (e.g. a create without an id). */
export const crmContractViolation = (crm: string, what: string, cause?: unknown) =>
  new AppError('upstream_error', 502, `${crm} answered an unexpected response: ${what}`, { retryable: false, cause });

/** The CRM refused our credentials or permissions: a configuration problem, never retried. */
export const crmAuthFailed = (crm: string, status: number) =>
  new AppError('upstream_error', 502, `${crm} refused the configured credentials (HTTP ${status})`, {
    retryable: false,
    details: { upstreamStatus: status },
  });

/** The CRM rejected the input as invalid: the caller's data, passed on as a 400. */
export const crmRejected = (crm: string, message: string, details?: unknown) =>
  new AppError('bad_request', 400, `${crm} rejected the request: ${message}`, { details, retryable: false });

export interface UpstreamFailure {
  crm: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** A short, safe description taken from the CRM's error body (never the raw body). */
  message?: string;
  /** What a 404 refers to, when the call addressed one object. */
  notFound?: { what: string; id: string };
}

/** The default mapping of an upstream HTTP status onto the contract's errors. */
export function mapUpstreamStatus(f: UpstreamFailure): AppError {
  const detail = f.message ? `: ${f.message}` : '';
  if (f.status === 404) return f.notFound ? crmNotFound(f.notFound.what, f.notFound.id) : new AppError('not_found', 404, `${f.crm}: not found${detail}`);
  if (f.status === 409) return crmConflict(`${f.crm} reported a conflict${detail}`);
  if (f.status === 429) return crmRateLimited(parseRetryAfter(f.headers['retry-after']), f.crm);
  if (f.status === 401 || f.status === 403) return crmAuthFailed(f.crm, f.status);
  if (f.status >= 500) return crmUnavailable(f.crm, f.status);
  return crmRejected(f.crm, f.message ?? `HTTP ${f.status}`);
}
