/**
 * The Zoom Contact Center REST client: list/detail endpoints (paged with
 * next_page_token) and authenticated file downloads, over one got instance for the Zoom
 * API with the bundle's retry policy (429/5xx with Retry-After or exponential back-off
 * and jitter), the cached Server-to-Server token, and one re-authentication on 401.
 * Every answer is parsed with zod; errors are typed (./errors).
 *
 * Bulk readers (the reconciliation) pass a rate limiter (./rate-limiter): then every API
 * request waits for its category's slot, and 429/5xx are retried here — Retry-After
 * honoured, else exponential back-off with jitter, the category paused meanwhile — instead
 * of by got, whose retries would bypass the limiter.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import got, { type Got, HTTPError, RequestError } from 'got';
import type * as z from 'zod';
import {
  engagementsPageSchema,
  messagingPageSchema,
  messagingTranscriptsPageSchema,
  notesPageSchema,
  recordingsPageSchema,
  voicemailsPageSchema,
  type ZoomEngagement,
  zoomEngagementSchema,
  type ZoomNote,
  type ZoomRecording,
  type ZoomVoicemail,
} from './api-schemas';
import { ZoomApiError, ZoomFileNotReadyError, ZoomNetworkError, ZoomPageTokenExpiredError, ZoomUrlNotAllowedError } from './errors';
import type { ZoomTokenProvider } from './oauth';
import { abortableSleep, type ZoomRateCategory, type ZoomRateLimiter } from './rate-limiter';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  limit: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultZoomRetry: RetryPolicy = { limit: 3, baseDelayMs: 500, maxDelayMs: 20_000 };

export interface ZoomApiClientOptions {
  /** e.g. https://api.zoom.us/v2 */
  apiBaseUrl: string;
  tokens: ZoomTokenProvider;
  /** Hosts a download URL may point at; the bearer token is never sent elsewhere. */
  downloadHosts: string[];
  retry?: RetryPolicy;
  /** Time to the first byte of an answer, and the longest silence inside a download. */
  timeouts?: { responseMs: number; idleMs: number };
  /** Paces API requests per rate category; 429/5xx are then retried by the client (see above). */
  limiter?: ZoomRateLimiter;
  /** For tests: how the paced retries wait. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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

export interface ZoomApiClient {
  /** One page of a range listing; a stale next_page_token → ZoomPageTokenExpiredError. */
  listRecordingsPage(range: PageQuery): Promise<z.output<typeof recordingsPageSchema>>;
  listEngagementsPage(range: PageQuery): Promise<z.output<typeof engagementsPageSchema>>;
  listVoicemailsPage(range: PageQuery): Promise<z.output<typeof voicemailsPageSchema>>;
  listMessagingTranscriptsPage(range: PageQuery): Promise<z.output<typeof messagingTranscriptsPageSchema>>;
  /** Every recording that ended in the range (query_date_type=recording_end_time), all pages. */
  listRecordings(range: DateRange & { pageSize?: number }): AsyncIterable<ZoomRecording>;
  listEngagements(range: DateRange & { pageSize?: number }): AsyncIterable<ZoomEngagement>;
  /** undefined on 404 (engagements may be missing for about a minute after they end). */
  getEngagement(engagementId: string): Promise<ZoomEngagement | undefined>;
  listEngagementNotes(engagementId: string): AsyncIterable<ZoomNote>;
  listEngagementRecordings(engagementId: string): AsyncIterable<ZoomRecording>;
  listVoicemails(range: DateRange & { pageSize?: number }): AsyncIterable<ZoomVoicemail>;
  listMessagingMessages(engagementId: string): AsyncIterable<z.output<typeof messagingPageSchema>['messages'][number]>;
  /**
   * Opens an authenticated download. Resolves once Zoom answered 200 (the body is not
   * read yet); 404/409 → ZoomFileNotReadyError, other statuses → ZoomApiError.
   */
  openDownload(url: string, signal?: AbortSignal): Promise<ZoomDownload>;
}

const RETRY_STATUSES = [429, 500, 502, 503, 504];

/**
 * The rate category of an API path, from the labels in Zoom's reference: reading one
 * engagement is LIGHT; listings (recordings, engagements, inbox messages, messaging) are
 * MEDIUM. Unknown paths count as MEDIUM, the stricter of the two we use.
 */
export function zoomRateCategoryOf(path: string): ZoomRateCategory {
  if (/^\/contact_center\/engagements\/[^/]+$/.test(path)) return 'light';
  return 'medium';
}

/**
 * The wait before a paced retry: exponential back-off with jitter, and never shorter than
 * the server's Retry-After (which may exceed the policy's ceiling, up to 10 minutes).
 */
export function pacedRetryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  const backoff = backoffDelay(policy, attempt, undefined, random);
  if (retryAfterMs === undefined || !Number.isFinite(retryAfterMs)) return backoff;
  return Math.max(backoff, Math.min(Math.max(retryAfterMs, 0), 600_000));
}

/** Exponential back-off with full jitter, or the server's Retry-After when it gave one. */
export function backoffDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number, random: () => number = Math.random): number {
  if (retryAfterMs !== undefined && Number.isFinite(retryAfterMs)) return Math.min(Math.max(retryAfterMs, 0), policy.maxDelayMs);
  const ceiling = Math.min(policy.baseDelayMs * 2 ** Math.max(attempt - 1, 0), policy.maxDelayMs);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** The got instance for the Zoom API host (one per upstream, see ../../docs/style). */
export function createZoomHttp(options: Pick<ZoomApiClientOptions, 'retry' | 'timeouts'> = {}): Got {
  const policy = options.retry ?? defaultZoomRetry;
  return got.extend({
    timeout: { response: options.timeouts?.responseMs ?? 30_000 },
    retry: {
      limit: policy.limit,
      methods: ['GET'],
      statusCodes: RETRY_STATUSES,
      // Zoom's Retry-After is optional; when absent, back off exponentially with jitter.
      // (got reads 0 as "do not retry", so an immediate retry waits 1 ms.)
      calculateDelay: ({ attemptCount, computedValue, retryAfter }) =>
        computedValue === 0 ? 0 : Math.max(1, backoffDelay(policy, attemptCount, retryAfter)),
    },
    headers: { 'user-agent': 'ccbridge' },
  });
}

export function createZoomApiClient(options: ZoomApiClientOptions, http: Got = createZoomHttp(options)): ZoomApiClient {
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  const allowedHosts = new Set(options.downloadHosts.map((h) => h.toLowerCase()));
  const idleMs = options.timeouts?.idleMs ?? 60_000;
  const { limiter } = options;
  const policy = options.retry ?? defaultZoomRetry;
  const sleep = options.sleep ?? abortableSleep;

  // With a limiter the client retries itself (each attempt waits for its slot).
  const authed = (limiter ? http.extend({ retry: { limit: 0 } }) : http).extend({
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
    if (!limiter) return authed.get(`${base}${path}`, { searchParams: params }).json();
    const category = zoomRateCategoryOf(path);
    for (let attempt = 1; ; attempt++) {
      try {
        return await paced.get(`${base}${path}`, { searchParams: params, context: { zoomRateCategory: category } }).json();
      } catch (err) {
        const status = err instanceof HTTPError ? err.response.statusCode : undefined;
        const retryable = (status !== undefined && RETRY_STATUSES.includes(status)) || (status === undefined && err instanceof RequestError);
        if (!retryable) throw err;
        const retryAfter = err instanceof HTTPError ? retryAfterSeconds(err.response.headers['retry-after']) : undefined;
        const delay = pacedRetryDelay(policy, attempt, retryAfter === undefined ? undefined : retryAfter * 1000);
        // Everyone sharing the limiter waits out a 429, not only this request (even if it gives up).
        if (status === 429) limiter.pause(category, delay);
        if (attempt > policy.limit) throw err;
        await sleep(delay);
      }
    }
  };

  const getJson = async <S extends z.ZodType>(path: string, searchParams: Record<string, string | number | undefined>, schema: S, what: string): Promise<z.output<S>> => {
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

  async function* paginate<S extends z.ZodType, T>(
    path: string,
    params: Record<string, string | number | undefined>,
    schema: S,
    items: (page: z.output<S>) => T[],
    token: (page: z.output<S>) => string | undefined,
    what: string,
  ): AsyncGenerator<T> {
    let next: string | undefined;
    do {
      const page = await getJson(path, { ...params, next_page_token: next }, schema, what);
      yield* items(page);
      next = token(page);
    } while (next);
  }

  const pageSizeOf = (n: number | undefined) => Math.min(Math.max(n ?? 300, 1), 300);

  const rangePage = (q: PageQuery) => ({ from: q.from, to: q.to, page_size: pageSizeOf(q.pageSize), next_page_token: q.nextPageToken });

  return {
    listEngagementsPage: (q) => getJson('/contact_center/engagements', rangePage(q), engagementsPageSchema, 'engagements list'),
    listVoicemailsPage: (q) => getJson('/contact_center/inboxes/messages', { message_type: 'voicemail', ...rangePage(q) }, voicemailsPageSchema, 'voicemail list'),
    listMessagingTranscriptsPage: (q) => getJson('/contact_center/messaging/transcripts', rangePage(q), messagingTranscriptsPageSchema, 'messaging transcripts list'),
    listRecordingsPage: (q) =>
      getJson(
        '/contact_center/recordings',
        { from: q.from, to: q.to, query_date_type: 'recording_end_time', page_size: pageSizeOf(q.pageSize), next_page_token: q.nextPageToken },
        recordingsPageSchema,
        'recordings list',
      ),
    listRecordings: (q) =>
      paginate(
        '/contact_center/recordings',
        { from: q.from, to: q.to, query_date_type: 'recording_end_time', page_size: pageSizeOf(q.pageSize) },
        recordingsPageSchema,
        (p) => p.recordings,
        (p) => p.next_page_token,
        'recordings list',
      ),
    listEngagements: (q) =>
      paginate('/contact_center/engagements', { from: q.from, to: q.to, page_size: pageSizeOf(q.pageSize) }, engagementsPageSchema, (p) => p.engagements, (p) => p.next_page_token, 'engagements list'),
    async getEngagement(engagementId) {
      try {
        return await getJson(`/contact_center/engagements/${encodeURIComponent(engagementId)}`, {}, zoomEngagementSchema, 'engagement');
      } catch (err) {
        if (err instanceof ZoomApiError && err.upstreamStatus === 404) return undefined;
        throw err;
      }
    },
    listEngagementNotes: (engagementId) =>
      paginate(`/contact_center/engagements/${encodeURIComponent(engagementId)}/notes`, { page_size: 300 }, notesPageSchema, (p) => p.notes, (p) => p.next_page_token, 'engagement notes'),
    listEngagementRecordings: (engagementId) =>
      paginate(
        `/contact_center/engagements/${encodeURIComponent(engagementId)}/recordings`,
        { page_size: 300 },
        recordingsPageSchema,
        (p) => p.recordings,
        (p) => p.next_page_token,
        'engagement recordings',
      ),
    listVoicemails: (q) =>
      paginate(
        '/contact_center/inboxes/messages',
        { message_type: 'voicemail', from: q.from, to: q.to, page_size: pageSizeOf(q.pageSize) },
        voicemailsPageSchema,
        (p) => p.messages,
        (p) => p.next_page_token,
        'voicemail list',
      ),
    listMessagingMessages: (engagementId) =>
      paginate('/contact_center/messaging/messages', { engagement_id: engagementId, page_size: 300 }, messagingPageSchema, (p) => p.messages, (p) => p.next_page_token, 'messaging messages'),

    async openDownload(url, signal) {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        throw new ZoomUrlNotAllowedError('(invalid URL)');
      }
      if (!allowedHosts.has(target.host.toLowerCase()) && !allowedHosts.has(target.hostname.toLowerCase())) throw new ZoomUrlNotAllowedError(target.host);
      for (let attempt = 0; ; attempt++) {
        const token = await options.tokens.getToken();
        const stream = http.stream(target, {
          headers: { authorization: `Bearer ${token}` },
          throwHttpErrors: false,
          // Streams are retried by the caller (not-ready back-off, Pub/Sub redelivery), never mid-body.
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
            contentType: String(response.headers['content-type'] ?? 'application/octet-stream').split(';')[0]!.trim(),
            contentLength: Number.isFinite(length) && length >= 0 ? length : undefined,
          };
        }
        stream.destroy();
        if (status === 401 && attempt === 0) {
          options.tokens.invalidate(token);
          continue;
        }
        if (status === 404 || status === 409) throw new ZoomFileNotReadyError(status);
        throw new ZoomApiError(status, 'file download', retryAfterSeconds(response.headers['retry-after']));
      }
    },
  };
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

function retryAfterSeconds(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const n = Number(value);
  if (Number.isFinite(n)) return n;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max((at - Date.now()) / 1000, 0);
}

function toZoomError(err: unknown, what: string): Error {
  if (err instanceof HTTPError) return new ZoomApiError(err.response.statusCode, what, retryAfterSeconds(err.response.headers['retry-after']));
  if (err instanceof RequestError) return new ZoomNetworkError(what, err);
  return err instanceof Error ? err : new Error(String(err));
}
