/**
 * The Zoom Contact Center REST client: list/detail endpoints (paged with
 * next_page_token) and authenticated file downloads, over one got instance for the Zoom
 * API, the cached Server-to-Server token, and one re-authentication on 401.
 * Every answer is parsed with zod; errors are typed (./errors).
 *
 * This client is the one layer that retries a Zoom call on 429/5xx or a failed connection
 * (README.md in this folder: who retries what): one loop for API requests and download
 * openings, the `RetryPolicy` it is given, Retry-After honoured (`retryDelay`), waits through
 * the injected `sleep`. got itself never retries (its waits could not be paced nor faked).
 * Bulk readers (the reconciliation) pass a rate limiter (./rate-limiter): then every API
 * request, retries included, waits for its category's slot, and a 429 pauses the category.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import got, { type Got, HTTPError, ParseError, RequestError } from 'got';
import type * as z from 'zod';
import { parseRetryAfter } from '../http/retry-after';
import {
  engagementsPageSchema,
  notesPageSchema,
  recordingsPageSchema,
  voicemailsPageSchema,
  type ZoomEngagement,
  zoomEngagementSchema,
  type ZoomNote,
  type ZoomPage,
  type ZoomRecording,
  type ZoomVoicemail,
} from './api-schemas';
import { ZoomApiError, ZoomFileNotReadyError, ZoomNetworkError, ZoomPageTokenExpiredError, ZoomUrlNotAllowedError } from './errors';
import type { ZoomTokenProvider } from './oauth';
import type { ZoomRateCategory, ZoomRateLimiter } from './rate-limiter';
import { withoutTrailingSlash } from '../http/url';
import { sleep as defaultSleep, type Sleep } from '../sleep';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  limit: number;
  baseDelayMs: number;
  /** The ceiling of the exponential back-off. */
  maxDelayMs: number;
  /**
   * The longest Retry-After waited inside the call (default 10 minutes). A longer one ends the
   * call with the ZoomApiError (which carries it): the caller's next layer comes back later.
   */
  maxRetryAfterMs?: number;
}

const defaultZoomRetry: RetryPolicy = { limit: 3, baseDelayMs: 500, maxDelayMs: 20_000 };
const DEFAULT_MAX_RETRY_AFTER_MS = 600_000;

export interface ZoomApiClientOptions {
  /** e.g. https://api.zoom.us/v2 */
  apiBaseUrl: string;
  tokens: ZoomTokenProvider;
  /**
   * Hosts a download URL (or a redirect of one) may point at; the bearer token is never sent
   * elsewhere, and only over https (plain http only to a loopback host: the local stand-in).
   */
  downloadHosts: string[];
  retry?: RetryPolicy;
  /** Time to the first byte of an answer, and the longest silence inside a download. */
  timeouts?: { responseMs: number; idleMs: number };
  /** Paces API requests per rate category (see above). */
  limiter?: ZoomRateLimiter;
  /** How retries wait (the composition root passes the sleep it injects everywhere). */
  sleep?: Sleep;
  /** The jitter of the back-off (Math.random by default). */
  random?: () => number;
}

export interface DateRange {
  /** ISO date or date-time, as the Zoom API takes it. */
  from: string;
  to: string;
}

export interface ZoomDownload {
  body: Readable;
  contentType: string;
  /** From Content-Length; undefined when the file is sent chunked. */
  contentLength: number | undefined;
}

export type PageQuery = DateRange & { pageSize?: number; nextPageToken?: string };

/**
 * The largest `page_size` each listing accepts (docs/contracts/zoom.md#endpoints-used); more
 * is answered 400 (code 300). The client never asks for more than these.
 */
export const ZOOM_PAGE_SIZE_MAX = {
  engagements: 100,
  recordings: 300,
  inboxMessages: 300,
  engagementNotes: 300,
  engagementRecordings: 300,
} as const;
export type ZoomListing = keyof typeof ZOOM_PAGE_SIZE_MAX;

/** Redirects a download may take (each to an allowed https host) before it is refused. */
const MAX_DOWNLOAD_REDIRECTS = 3;

export interface ZoomApiClient {
  /** One page of a range listing; a stale next_page_token → ZoomPageTokenExpiredError. */
  listRecordingsPage(range: PageQuery): Promise<ZoomPage<ZoomRecording>>;
  /** Engagements with their notes, dispositions and (messaging) transcript_url. */
  listEngagementsPage(range: PageQuery): Promise<ZoomPage<ZoomEngagement>>;
  listVoicemailsPage(range: PageQuery): Promise<ZoomPage<ZoomVoicemail>>;
  /** Every recording that ended in the range (query_date_type=recording_end_time), all pages. */
  listRecordings(range: DateRange & { pageSize?: number }): AsyncIterable<ZoomRecording>;
  listEngagements(range: DateRange & { pageSize?: number }): AsyncIterable<ZoomEngagement>;
  /** undefined on 404 (engagements may be missing for about a minute after they end). */
  getEngagement(engagementId: string): Promise<ZoomEngagement | undefined>;
  listEngagementNotes(engagementId: string): AsyncIterable<ZoomNote>;
  listEngagementRecordings(engagementId: string): AsyncIterable<ZoomRecording>;
  listVoicemails(range: DateRange & { pageSize?: number }): AsyncIterable<ZoomVoicemail>;
  /**
   * Opens an authenticated download. Resolves once Zoom answered 200 (the body is not
   * read yet); 404/409 → ZoomFileNotReadyError, other statuses → ZoomApiError.
   */
  openDownload(url: string, signal?: AbortSignal): Promise<ZoomDownload>;
}

const RETRY_STATUSES = [429, 500, 502, 503, 504];

/**
 * The rate category of an API path (docs/contracts/zoom.md#endpoints-used): reading one
 * engagement is LIGHT; the listings (recordings, engagements, inbox messages, an engagement's
 * notes and recordings) are MEDIUM. Unknown paths count as MEDIUM, the stricter of the two we use.
 */
function zoomRateCategoryOf(path: string): ZoomRateCategory {
  if (/^\/contact_center\/engagements\/[^/]+$/.test(path)) return 'light';
  return 'medium';
}

/**
 * The wait before retry number `attempt` (1 = the first retry): exponential back-off with
 * full jitter, never shorter than the server's Retry-After. undefined: the server asked for a
 * longer wait than the policy waits inside a call (`maxRetryAfterMs`) — do not retry now.
 */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number | undefined {
  const ceiling = Math.min(policy.baseDelayMs * 2 ** Math.max(attempt - 1, 0), policy.maxDelayMs);
  const backoff = Math.round(ceiling / 2 + (random() * ceiling) / 2);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return backoff;
  if (retryAfterMs > (policy.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS)) return undefined;
  return Math.max(backoff, retryAfterMs);
}

/** The got instance for the Zoom API host (one per upstream, see docs/style): no retries of its own (see above). */
export function createZoomHttp(options: Pick<ZoomApiClientOptions, 'timeouts'> = {}): Got {
  return got.extend({
    timeout: { response: options.timeouts?.responseMs ?? 30_000 },
    retry: { limit: 0 },
    headers: { 'user-agent': 'ccbridge' },
  });
}

export function createZoomApiClient(options: ZoomApiClientOptions, http: Got = createZoomHttp(options)): ZoomApiClient {
  const base = withoutTrailingSlash(options.apiBaseUrl);
  const allowedHosts = new Set(options.downloadHosts.map((h) => h.toLowerCase()));
  const idleMs = options.timeouts?.idleMs ?? 60_000;
  const { limiter } = options;
  const policy = options.retry ?? defaultZoomRetry;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  /**
   * The one retry loop of a Zoom call: when `run` throws a retryable failure (429/5xx, a failed
   * connection; not an answer that does not parse) it is tried again after `retryDelay`, up to `policy.limit` times; `onRateLimited`
   * hears the wait a 429 asked for (the limiter pauses the category for everyone).
   */
  const withRetries = async <T>(run: () => Promise<T>, signal?: AbortSignal, onRateLimited?: (waitMs: number) => void): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await run();
      } catch (err) {
        const status = err instanceof HTTPError ? err.response.statusCode : err instanceof ZoomApiError ? err.upstreamStatus : undefined;
        const retryable =
          status === undefined
            ? (err instanceof RequestError && !(err instanceof ParseError)) || err instanceof ZoomNetworkError
            : RETRY_STATUSES.includes(status);
        if (!retryable || signal?.aborted) throw err;
        const retryAfterS =
          err instanceof HTTPError ? parseRetryAfter(err.response.headers['retry-after']) : err instanceof ZoomApiError ? err.retryAfterSeconds : undefined;
        const retryAfterMs = retryAfterS === undefined ? undefined : retryAfterS * 1000;
        const delay = retryDelay(policy, attempt, retryAfterMs, random);
        if (status === 429) onRateLimited?.(delay ?? Math.min(retryAfterMs ?? 0, DEFAULT_MAX_RETRY_AFTER_MS));
        if (attempt > policy.limit || delay === undefined) throw err;
        await sleep(delay, signal);
      }
    }
  };

  const authed = http.extend({
    hooks: {
      beforeRequest: [
        async (o) => {
          o.headers['authorization'] = `Bearer ${await options.tokens.getToken()}`;
        },
      ],
      afterResponse: [
        (response, retryWithMergedOptions) => {
          // A token revoked or expired early: fetch a new one and try once more.
          if (response.statusCode === 401 && response.request.options.context['reauthenticated'] !== true) {
            const sent = String(response.request.options.headers['authorization'] ?? '').replace(/^Bearer /, '');
            options.tokens.invalidate(sent);
            return retryWithMergedOptions({ context: { reauthenticated: true } });
          }
          return response;
        },
      ],
    },
  });

  // The slot is taken in the last hook before the request is written (after the token is
  // at hand), so what the limiter admits is what leaves, when it leaves.
  const paced = limiter
    ? authed.extend({
        hooks: {
          beforeRequest: [
            async (o) => {
              const category = o.context['zoomRateCategory'];
              if (category === 'light' || category === 'medium' || category === 'heavy') await limiter.acquire(category);
            },
          ],
        },
      })
    : authed;

  const request = async (path: string, params: Record<string, string | number>): Promise<unknown> => {
    if (!limiter) return withRetries(() => authed.get(`${base}${path}`, { searchParams: params }).json());
    const category = zoomRateCategoryOf(path);
    // Everyone sharing the limiter waits out a 429, not only this request (even if it gives up).
    return withRetries(
      () => paced.get(`${base}${path}`, { searchParams: params, context: { zoomRateCategory: category } }).json(),
      undefined,
      (waitMs) => limiter.pause(category, waitMs),
    );
  };

  const getJson = async <S extends z.ZodType>(
    path: string,
    searchParams: Record<string, string | number | undefined>,
    schema: S,
    what: string,
  ): Promise<z.output<S>> => {
    const params = Object.fromEntries(Object.entries(searchParams).filter((e): e is [string, string | number] => e[1] !== undefined));
    let body: unknown;
    try {
      body = await request(path, params);
    } catch (err) {
      // Zoom's tokens expire after 15 minutes; the answer to a stale one is a 400
      // (code 300 "Invalid next_page_token" — the exact code is unconfirmed, so any 400 of a
      // request that carried a token is read as expiry; callers restart the listing, a bounded number of times).
      if (params['next_page_token'] !== undefined && err instanceof HTTPError && err.response.statusCode === 400) throw new ZoomPageTokenExpiredError(what);
      throw toZoomError(err, what);
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new ZoomApiError(502, `${what} (unexpected response shape)`);
    return parsed.data;
  };

  // Items a page had to skip (they lack what they need) are left out here; the page
  // readers (listXxxPage) hand them to the caller to report.
  async function* paginate<T>(
    path: string,
    params: Record<string, string | number | undefined>,
    schema: z.ZodType<ZoomPage<T>>,
    what: string,
  ): AsyncGenerator<T> {
    let next: string | undefined;
    do {
      const page = await getJson(path, { ...params, next_page_token: next }, schema, what);
      yield* page.items;
      next = page.next_page_token;
    } while (next);
  }

  /** The page size asked of a listing: what the caller wants, within 1..the listing's maximum. */
  const pageSizeOf = (listing: ZoomListing, n: number | undefined) =>
    Math.min(Math.max(Math.floor(n ?? ZOOM_PAGE_SIZE_MAX[listing]), 1), ZOOM_PAGE_SIZE_MAX[listing]);

  const rangePage = (listing: ZoomListing, q: PageQuery) => ({
    from: q.from,
    to: q.to,
    page_size: pageSizeOf(listing, q.pageSize),
    next_page_token: q.nextPageToken,
  });
  const recordingsParams = (q: PageQuery) => ({
    from: q.from,
    to: q.to,
    query_date_type: 'recording_end_time',
    page_size: pageSizeOf('recordings', q.pageSize),
    next_page_token: q.nextPageToken,
  });
  const engagementPath = (engagementId: string) => `/contact_center/engagements/${encodeURIComponent(engagementId)}`;

  return {
    listEngagementsPage: (q) => getJson('/contact_center/engagements', rangePage('engagements', q), engagementsPageSchema, 'engagements list'),
    listVoicemailsPage: (q) =>
      getJson('/contact_center/inboxes/messages', { message_type: 'voicemail', ...rangePage('inboxMessages', q) }, voicemailsPageSchema, 'voicemail list'),
    listRecordingsPage: (q) => getJson('/contact_center/recordings', recordingsParams(q), recordingsPageSchema, 'recordings list'),
    listRecordings: (q) => paginate('/contact_center/recordings', recordingsParams(q), recordingsPageSchema, 'recordings list'),
    listEngagements: (q) => paginate('/contact_center/engagements', rangePage('engagements', q), engagementsPageSchema, 'engagements list'),
    async getEngagement(engagementId) {
      try {
        return await getJson(engagementPath(engagementId), {}, zoomEngagementSchema, 'engagement');
      } catch (err) {
        // 404 (Zoom code 2901): unknown, or not yet available (engagements appear once completed).
        if (err instanceof ZoomApiError && err.upstreamStatus === 404) return undefined;
        throw err;
      }
    },
    listEngagementNotes: (engagementId) =>
      paginate(`${engagementPath(engagementId)}/notes`, { page_size: ZOOM_PAGE_SIZE_MAX.engagementNotes }, notesPageSchema, 'engagement notes'),
    listEngagementRecordings: (engagementId) =>
      paginate(
        `${engagementPath(engagementId)}/recordings`,
        { page_size: ZOOM_PAGE_SIZE_MAX.engagementRecordings },
        recordingsPageSchema,
        'engagement recordings',
      ),
    listVoicemails: (q) =>
      paginate('/contact_center/inboxes/messages', { message_type: 'voicemail', ...rangePage('inboxMessages', q) }, voicemailsPageSchema, 'voicemail list'),

    openDownload: (url, signal) => withRetries(() => openDownloadOnce(url, signal), signal),
  };

  /** One opening of a download (redirects and one re-authentication included); retried by withRetries. */
  async function openDownloadOnce(url: string, signal: AbortSignal | undefined): Promise<ZoomDownload> {
    let target = allowedDownloadUrl(url, allowedHosts);
    let redirects = 0;
    for (let attempt = 0; ; attempt++) {
      const token = await options.tokens.getToken();
      const stream = http.stream(target, {
        headers: { authorization: `Bearer ${token}` },
        throwHttpErrors: false,
        // Redirects are followed here, one by one, each checked like the first URL: got's
        // own following would carry the request to wherever a Location points.
        followRedirect: false,
        // An opening is retried by withRetries (before any byte of the body), never mid-body.
        retry: { limit: 0 },
        timeout: { response: options.timeouts?.responseMs ?? 30_000, socket: idleMs },
        decompress: false,
        ...(signal ? { signal } : {}),
      });
      let response: IncomingMessage;
      try {
        response = await responseOf(stream);
      } catch (err) {
        stream.destroy();
        throw new ZoomNetworkError('file download', err);
      }
      const status = response.statusCode ?? 0;
      if (status >= 200 && status < 300) {
        const length = Number(response.headers['content-length']);
        return {
          body: stream,
          contentType: String(response.headers['content-type'] ?? 'application/octet-stream')
            .split(';')[0]!
            .trim(),
          contentLength: Number.isFinite(length) && length >= 0 ? length : undefined,
        };
      }
      stream.destroy();
      if (status >= 300 && status < 400 && response.headers.location !== undefined) {
        if (++redirects > MAX_DOWNLOAD_REDIRECTS) throw new ZoomApiError(status, `file download (more than ${MAX_DOWNLOAD_REDIRECTS} redirects)`);
        let next: string;
        try {
          next = new URL(response.headers.location, target).href;
        } catch {
          throw new ZoomUrlNotAllowedError('(invalid redirect)');
        }
        target = allowedDownloadUrl(next, allowedHosts);
        attempt = -1;
        continue;
      }
      if (status === 401 && attempt === 0) {
        options.tokens.invalidate(token);
        continue;
      }
      if (status === 404 || status === 409) throw new ZoomFileNotReadyError(status);
      throw new ZoomApiError(status, 'file download', parseRetryAfter(response.headers['retry-after']));
    }
  }
}

const LOOPBACK_HOSTNAMES = new Set(['localhost', '[::1]', '::1']);

/**
 * A URL the bearer token may be sent to: https on an allow-listed host (plain http only to a
 * loopback host, where the local stand-in runs); anything else is refused before any request.
 */
function allowedDownloadUrl(url: string, allowedHosts: ReadonlySet<string>): URL {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new ZoomUrlNotAllowedError('(invalid URL)');
  }
  const hostname = target.hostname.toLowerCase();
  const loopback = LOOPBACK_HOSTNAMES.has(hostname) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
  if (target.protocol !== 'https:' && !(target.protocol === 'http:' && loopback))
    throw new ZoomUrlNotAllowedError(`${target.protocol}//${target.host} (https only)`);
  if (target.username || target.password) throw new ZoomUrlNotAllowedError(target.host);
  if (!allowedHosts.has(target.host.toLowerCase()) && !allowedHosts.has(hostname)) throw new ZoomUrlNotAllowedError(target.host);
  return target;
}

function responseOf(stream: Readable): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage) => {
      stream.off('error', onError);
      resolve(res);
    };
    const onError = (err: Error) => {
      stream.off('response', onResponse);
      reject(err);
    };
    stream.once('response', onResponse);
    stream.once('error', onError);
  });
}

function toZoomError(err: unknown, what: string): Error {
  if (err instanceof HTTPError) return new ZoomApiError(err.response.statusCode, what, parseRetryAfter(err.response.headers['retry-after']));
  if (err instanceof RequestError) return new ZoomNetworkError(what, err);
  return err instanceof Error ? err : new Error(String(err));
}
