/**
 * Zoom stand-in: Server-to-Server OAuth, the Contact Center REST endpoints the bundle reads
 * (list/detail with next_page_token paging), authenticated file downloads of generated,
 * deterministic content of any size (streamed), signed webhooks sent to the receiver on
 * request, and fault injection (./faults, ./webhooks). Data comes from ./model.
 *
 * It enforces the rules of docs/contracts/zoom.md, so it refuses what Zoom refuses: only the
 * documented paths (downloads included, shaped like Zoom's), each listing's `page_size`
 * maximum (400, code 300), Zoom's 404 codes for unknown engagements (2901, 2805),
 * next_page_token expiring after 15 minutes (on an injectable clock), the per-account rate
 * limits per category (429, optionally with Retry-After); fields Zoom marks optional are
 * really absent on a share of the listed items; webhooks are retried only when Zoom would
 * (≥ 500, timeouts). It counts API calls by endpoint and serves large days generated lazily
 * (`addGeneratedDay`: 50 000 engagements cost nothing until a request touches them).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { type MockRequest, type MockServer, sendJson, startMockServer } from '../http-mock';
import { contentSha256, contentStream } from './content';
import { ZoomFaults } from './faults';
import {
  buildLazyIndex,
  type GenerateOptions,
  generateDay,
  LAZY_HAS,
  LAZY_MAX_SPAN_MS,
  type LazyDay,
  type LazyDayIndex,
  lazyDay,
  lazyEngagement,
  lazyIndexOf,
  lazyIndexRange,
  type MockEngagement,
} from './model';
import { type DeliveryOptions, type DeliveryReport, deliverEvents, postSigned, type WebhookTarget, type ZoomEnvelope } from './webhooks';

export type { MockEngagement } from './model';
export type { DeliveryOptions, DeliveryReport, ZoomEnvelope } from './webhooks';

export interface ZoomMockOptions {
  accountId: string;
  clientId: string;
  clientSecret: string;
  port?: number;
  tokenTtlSeconds?: number;
  /** Where webhooks go and the Secret Token they are signed with (settable later). */
  webhook?: WebhookTarget;
  /** Engagements answer 404 on the detail endpoint for this long after they end. */
  engagementVisibleAfterMs?: number;
  /** Requests per second allowed per rate category (absent = unlimited), as Zoom's per-account limits. */
  rateLimits?: RateLimits;
  /** Retry-After (seconds) sent with a 429 of the rate limiter; absent = no header (Zoom's is optional). */
  rateLimitRetryAfterSeconds?: number;
  /** Lifetime of a next_page_token (Zoom: 15 minutes). */
  pageTokenTtlMs?: number;
  /** The stand-in's clock for page tokens (tests move it instead of waiting). */
  now?: () => number;
  /** Share of listed items whose optional fields (queue, agent, names) are left out; default 0.1. */
  optionalFieldsAbsentShare?: number;
}

/** The `page_size` each listing accepts: [default, maximum] (docs/contracts/zoom.md#endpoints-used). */
export const ZOOM_PAGE_SIZES = {
  '/v2/contact_center/engagements': [10, 100],
  '/v2/contact_center/recordings': [30, 300],
  '/v2/contact_center/inboxes/messages': [30, 300],
  '/v2/contact_center/engagements/{id}/notes': [30, 300],
  '/v2/contact_center/engagements/{id}/recordings': [30, 300],
} as const;

/** Zoom's Contact Center rate limits per plan, requests per second (docs/contracts/zoom.md#rate-limits). */
export const ZOOM_RATE_LIMITS = {
  pro: { light: 20, medium: 10, heavy: 5 },
  businessPlus: { light: 40, medium: 20, heavy: 10 },
} as const satisfies Record<string, RateLimits>;

/** Zoom's rate-limit labels ("Rate Limit Label" in its API reference). */
export type RateCategory = 'light' | 'medium' | 'heavy';
export type RateLimits = Partial<Record<RateCategory, number>>;

/** A file Zoom serves: its bytes are a function of `seed` and `bytes` (see ./content). */
export interface MockFile {
  kind: ZoomFileKind;
  path: string;
  seed: string;
  bytes: number;
  contentType: string;
  engagementId: string;
}

export interface MockStats {
  downloads: number;
  downloadBytes: number;
  apiCalls: number;
  webhookRequests: number;
  /** API calls by endpoint, e.g. "GET /v2/contact_center/recordings" (429s included). */
  callsByEndpoint: Record<string, number>;
  /** Requests the rate limiter refused with 429. */
  rateLimited: number;
  /** Arrival times (ms) of API calls by rate category, for peak-rate measurements. */
  callTimes: Record<RateCategory, number[]>;
}

export interface ZoomMock extends MockServer {
  /** Access tokens issued so far (for tests of token caching). */
  readonly tokensIssued: number;
  readonly faults: ZoomFaults;
  readonly stats: MockStats;
  addEngagement(engagement: MockEngagement): void;
  /** Generates and adds a day of engagements (deterministic for a seed). */
  generateDay(options: GenerateOptions): MockEngagement[];
  /**
   * Adds a day generated on demand (see ./model `lazyDay`): nothing is materialised; ids are
   * `engz-<yyyymmdd>-<n>`. `engagementAt(date, n)` gives engagement n of such a day.
   */
  addGeneratedDay(options: GenerateOptions): { engagements: number; idPrefix: string };
  engagementAt(date: string, n: number): MockEngagement;
  engagement(id: string): MockEngagement | undefined;
  /** Engagements added one by one or by generateDay (lazy days are not listed). */
  engagements(): MockEngagement[];
  setRateLimits(limits: RateLimits, retryAfterSeconds?: number): void;
  setPageTokenTtlMs(ms: number): void;
  /** Zeroes the counters in `stats`. */
  resetStats(): void;
  /** The most API calls of a category that arrived within any `windowMs` (from `stats.callTimes`). */
  peakCalls(category: RateCategory, windowMs?: number): number;
  /** The files of an engagement, by artifact (recording, transcript, voicemail...). */
  filesOf(engagementId: string): MockFile[];
  file(path: string): MockFile | undefined;
  /** sha256 (hex) and size of a file's content, recomputed. */
  fileDigest(path: string): { sha256: string; bytes: number };
  /**
   * The webhook events an engagement produces, in the order Zoom would send them, with
   * fresh download tokens. Marks its files as announced (for `faults.notReadyForMs`).
   */
  eventsFor(engagementId: string): ZoomEnvelope[];
  setWebhookTarget(target: WebhookTarget): void;
  /** One signed POST of `event` to the receiver (no retries). */
  sendWebhook(event: ZoomEnvelope | string, options?: { timestamp?: number; signature?: string }): Promise<{ status: number; text: string }>;
  /** Sends events as Zoom does, with retries and the requested delivery faults. */
  deliver(events: ZoomEnvelope[], options?: DeliveryOptions): Promise<DeliveryReport>;
}

const FILE_KINDS = ['recordings', 'recording-transcripts', 'voicemails', 'voicemail-transcripts', 'messaging-transcripts'] as const;
export type ZoomFileKind = (typeof FILE_KINDS)[number];

/** Where Zoom serves each kind of file (the download URLs of docs/contracts/zoom.md#download-urls), by its id. */
const FILE_ROUTES: Record<ZoomFileKind, { path: string; query: string }> = {
  recordings: { path: '/v2/contact_center/recording/download/', query: '?type=voice' },
  'recording-transcripts': { path: '/v2/contact_center/recording/transcripts/download/', query: '?type=voice' },
  voicemails: { path: '/v2/contact_center/inbox/message/download/', query: '?type=voicemail' },
  'voicemail-transcripts': { path: '/v2/contact_center/inbox/message/transcripts/download/', query: '' },
  'messaging-transcripts': { path: '/v2/contact_center/engagements/transcripts/download/', query: '' },
};

/** The path of a file as Zoom's download URLs shape it (the id of a messaging transcript is its engagement's). */
export function zoomFilePath(kind: ZoomFileKind, id: string): string {
  return `${FILE_ROUTES[kind].path}${encodeURIComponent(id)}`;
}

function emptyStats(): MockStats {
  return {
    downloads: 0,
    downloadBytes: 0,
    apiCalls: 0,
    webhookRequests: 0,
    callsByEndpoint: {},
    rateLimited: 0,
    callTimes: { light: [], medium: [], heavy: [] },
  };
}

export async function startZoomMock(options: ZoomMockOptions): Promise<ZoomMock> {
  const tokens = new Map<string, number>();
  const engagements = new Map<string, MockEngagement>();
  const files = new Map<string, MockFile>();
  const announcedAt = new Map<string, number>();
  const faults = new ZoomFaults();
  const lazyDays: Array<LazyDay & { index: LazyDayIndex }> = [];
  const stats: MockStats = emptyStats();
  let rateLimits: RateLimits = { ...(options.rateLimits ?? {}) };
  let rateLimitRetryAfter = options.rateLimitRetryAfterSeconds;
  let pageTokenTtlMs = options.pageTokenTtlMs ?? 15 * 60_000;
  const now = options.now ?? Date.now;
  const absentShare = options.optionalFieldsAbsentShare ?? 0.1;
  const buckets = new Map<RateCategory, { tokens: number; at: number }>();
  /** Recently built listings, so paging through a large range does not rebuild it per page. */
  const listCache = new Map<string, Listing>();
  let issued = 0;
  let webhook = options.webhook;
  let baseUrl = '';

  const authorized = (req: MockRequest, res: ServerResponse): boolean => {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const expires = token ? tokens.get(token) : undefined;
    if (expires === undefined || expires < Date.now()) {
      sendJson(res, 401, { code: 124, message: 'Invalid access token.' });
      return false;
    }
    return true;
  };

  /** Common gate of every authenticated route: token, then injected HTTP faults. */
  const gate = (req: MockRequest, res: ServerResponse): boolean => {
    if (!authorized(req, res)) return false;
    // Faults match the path and the query (e.g. only requests carrying a next_page_token).
    const query = req.query.toString();
    const fault = faults.takeHttp(query ? `${req.path}?${query}` : req.path);
    if (fault) {
      sendJson(
        res,
        fault.status,
        { code: fault.status, message: 'Injected fault' },
        fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : {},
      );
      return false;
    }
    return true;
  };

  const addEngagement = (e: MockEngagement) => {
    engagements.set(e.engagementId, e);
    for (const f of filesOfEngagement(e)) files.set(f.path, f);
    listCache.clear();
  };

  const findEngagement = (id: string): MockEngagement | undefined => {
    const eager = engagements.get(id);
    if (eager) return eager;
    for (const day of lazyDays) {
      const n = lazyIndexOf(day, id);
      if (n !== undefined) return lazyEngagement(day, n);
    }
    return undefined;
  };

  /** A file of an eager engagement, or of a lazy one (its id is inside the file id). */
  const resolveFile = (path: string): MockFile | undefined => {
    const known = files.get(path);
    if (known) return known;
    const id = /engz-\d{8}-\d{6}/.exec(decodeURIComponent(path))?.[0];
    const e = id ? findEngagement(id) : undefined;
    return e ? filesOfEngagement(e).find((f) => f.path === path) : undefined;
  };

  /**
   * A listing over the eager engagements (items built) and the lazy days (indexes of the
   * engagements that match, found from the day's index; items built only for the page asked).
   */
  const listing = <T>(
    from: string | null,
    to: string | null,
    eager: (e: MockEngagement) => T[],
    lazy: { has: number; time: 'starts' | 'ends'; item: (e: MockEngagement) => T },
  ): Listing => {
    const built = [...engagements.values()].flatMap(eager);
    const parts: Array<{ day: LazyDay; ns: number[] }> = [];
    for (const day of lazyDays) {
      const range =
        from && to ? lazyIndexRange(day, Date.parse(from), endOf(to), lazy.time === 'ends' ? LAZY_MAX_SPAN_MS : 0) : { first: 0, last: day.engagements - 1 };
      const ns: number[] = [];
      for (let n = range.first; n <= range.last; n++) {
        if (lazy.has !== 0 && (day.index.has[n]! & lazy.has) === 0) continue;
        if (inRangeMs(day.index[lazy.time][n]!, from, to)) ns.push(n);
      }
      parts.push({ day, ns });
    }
    return {
      total: built.length + parts.reduce((n, p) => n + p.ns.length, 0),
      slice(start, end) {
        const out: unknown[] = built.slice(start, end);
        let offset = built.length;
        for (const { day, ns } of parts) {
          for (let i = Math.max(start - offset, 0); i < ns.length && offset + i < end; i++) out.push(lazy.item(lazyEngagement(day, ns[i]!)));
          offset += ns.length;
        }
        return out;
      },
    };
  };

  const cachedList = (key: string, build: () => Listing): Listing => {
    const hit = listCache.get(key);
    if (hit) return hit;
    const built = build();
    if (listCache.size >= 64) listCache.delete(listCache.keys().next().value!);
    listCache.set(key, built);
    return built;
  };

  /** Token bucket per category holding one second of requests: Zoom's per-second limits. */
  const admit = (category: RateCategory): boolean => {
    const rate = rateLimits[category];
    if (rate === undefined || rate <= 0) return true;
    const now = Date.now();
    const bucket = buckets.get(category) ?? { tokens: rate, at: now };
    bucket.tokens = Math.min(rate, bucket.tokens + ((now - bucket.at) * rate) / 1000);
    bucket.at = now;
    buckets.set(category, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  };

  const fileUrl = (kind: ZoomFileKind, id: string) => `${baseUrl}${zoomFilePath(kind, id)}${FILE_ROUTES[kind].query}`;
  /** Whether an item (by its id) is one of the share listed without its optional fields. */
  const sparse = (itemId: string) => absentShare > 0 && (hashOf(itemId) % 1000) / 1000 < absentShare;

  const eventsFor = (engagementId: string): ZoomEnvelope[] => {
    const e = findEngagement(engagementId);
    if (!e) throw new Error(`zoom mock: no engagement ${engagementId}`);
    const envelope = (event: string, at: number, object: Record<string, unknown>): ZoomEnvelope => ({
      event,
      event_ts: at,
      payload: { account_id: options.accountId, object },
    });
    const end = Date.parse(e.endTime);
    const out: ZoomEnvelope[] = [];
    for (const n of e.notes) {
      out.push(
        envelope('contact_center.engagement_note_added', Date.parse(n.createdTime), {
          engagement_id: e.engagementId,
          note_id: n.noteId,
          note: n.note,
          user_id: n.userId,
          user_name: n.userName,
        }),
      );
    }
    for (const d of e.dispositions) {
      out.push(
        envelope('contact_center.engagement_disposition_added', Date.parse(d.at), {
          engagement_id: e.engagementId,
          disposition_id: d.dispositionId,
          disposition_name: d.dispositionName,
          queue_id: e.queueId,
          user_id: d.userId,
        }),
      );
    }
    for (const r of e.recordings) {
      const common = {
        recording_id: r.recordingId,
        engagement_id: e.engagementId,
        queue_id: e.queueId,
        queue_name: e.queueName,
        user_id: e.agentId,
        recording_start_time: r.startTime,
        recording_end_time: r.endTime,
      };
      out.push(
        envelope('contact_center.recording_completed', end + 30_000, {
          ...common,
          recording_duration: r.durationSeconds,
          channel_type: 'voice',
          direction: e.direction,
          download_url: fileUrl('recordings', r.recordingId),
        }),
      );
      if (r.transcript)
        out.push(
          envelope('contact_center.recording_transcript_completed', end + 120_000, {
            ...common,
            transcript_url: fileUrl('recording-transcripts', r.recordingId),
          }),
        );
    }
    for (const v of e.voicemails) {
      // Every voicemail arrives in the inbox; a transcribed one is announced again once its transcript is done.
      const message = {
        engagement_id: e.engagementId,
        message_id: v.messageId,
        message_type: 'voicemail',
        queue_id: e.queueId,
        created_at: v.at,
        download_url: fileUrl('voicemails', v.messageId),
      };
      out.push(envelope('contact_center.inbox_message_received', end + 10_000, message));
      if (v.transcript)
        out.push(
          envelope('contact_center.voicemail_transcript_completed', end + 90_000, {
            ...message,
            transcript_url: fileUrl('voicemail-transcripts', v.messageId),
          }),
        );
    }
    if (e.messagingTranscript) {
      out.push(
        envelope('contact_center.engagement_messaging_transcript_completed', end + 60_000, {
          engagement_id: e.engagementId,
          queue_id: e.queueId,
          user_id: e.agentId,
          channel_type: 'messaging',
          start_time: e.startTime,
          transcript_url: fileUrl('messaging-transcripts', e.engagementId),
        }),
      );
    }
    const now = Date.now();
    for (const f of filesOfEngagement(e)) if (!announcedAt.has(f.path)) announcedAt.set(f.path, now);
    return out.sort((a, b) => a.event_ts - b.event_ts);
  };

  /** A duplicate delivery: the same event (Zoom's download URLs carry no per-delivery token). */
  const refreshTokens = (e: ZoomEnvelope): ZoomEnvelope => e;

  const serveFile = async (req: MockRequest, res: ServerResponse) => {
    if (!gate(req, res)) return;
    const file = resolveFile(req.path);
    if (!file) return sendJson(res, 404, { code: 3001, message: 'File does not exist.' });
    // The query Zoom puts in its URLs (`type`) must match the file's kind.
    const expectedType = new URLSearchParams(FILE_ROUTES[file.kind].query).get('type');
    if (expectedType !== null && req.query.get('type') !== null && req.query.get('type') !== expectedType)
      return sendJson(res, 404, { code: 3001, message: 'File does not exist.' });
    const notReady = faults.takeNotReady(req.path);
    const announced = announcedAt.get(req.path);
    if (notReady || (faults.notReadyForMs > 0 && announced !== undefined && Date.now() - announced < faults.notReadyForMs)) {
      const status = notReady?.status ?? 404;
      return sendJson(res, status, { code: status === 404 ? 3001 : 3000, message: 'File is being processed.' });
    }
    stats.downloads++;
    const truncate = faults.takeTruncate(req.path);
    let hold = faults.takeHold(req.path);
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.bytes) });
    const body = contentStream(file.seed, file.bytes);
    let sent = 0;
    const write = async (piece: Buffer) => {
      if (piece.length === 0) return;
      sent += piece.length;
      stats.downloadBytes += piece.length;
      if (!res.write(piece)) await new Promise<void>((resolve) => res.once('drain', resolve));
    };
    for await (const chunk of body as AsyncIterable<Buffer>) {
      let piece = chunk;
      if (truncate && sent + piece.length > truncate.afterBytes) piece = piece.subarray(0, truncate.afterBytes - sent);
      if (hold && sent + piece.length > hold.afterBytes) {
        // What comes before the hold goes out; the rest waits until the test is done.
        const { onHold, afterBytes } = hold;
        hold = undefined;
        const cut = Math.max(afterBytes - sent, 0);
        await write(piece.subarray(0, cut));
        piece = piece.subarray(cut);
        if (!res.destroyed) await onHold({ path: req.path, sent, bytes: file.bytes }).catch(() => undefined);
        if (res.destroyed) {
          body.destroy();
          return;
        }
      }
      await write(piece);
      if (truncate && sent >= truncate.afterBytes) {
        // A connection lost mid-body: the client sees fewer bytes than Content-Length.
        body.destroy();
        res.destroy();
        return;
      }
      if (res.destroyed) {
        body.destroy();
        return;
      }
    }
    res.end();
  };

  // Zoom compares times at whole seconds: `to` = 12:59:59 includes 12:59:59.5.
  const inRangeMs = (ms: number, from: string | null, to: string | null) => {
    const t = Math.floor(ms / 1000) * 1000;
    return (!from || t >= Date.parse(from)) && (!to || t <= endOf(to));
  };
  const inRange = (iso: string, from: string | null, to: string | null) => inRangeMs(Date.parse(iso), from, to);

  /** One page of a listing, with the listing's page-size rule and Zoom's 15-minute page tokens. */
  const paged = (req: MockRequest, res: ServerResponse, endpoint: keyof typeof ZOOM_PAGE_SIZES, key: string, list: Listing | unknown[], totals = true) => {
    const all: Listing = Array.isArray(list) ? { total: list.length, slice: (a, b) => list.slice(a, b) } : list;
    const [defaultSize, maxSize] = ZOOM_PAGE_SIZES[endpoint];
    const asked = req.query.get('page_size');
    const size = asked === null ? defaultSize : Number(asked);
    // An invalid parameter is Zoom's "Validation Failed" (HTTP 400, code 300), never clamped.
    if (!/^\d+$/.test(asked ?? String(defaultSize)) || size < 1 || size > maxSize)
      return sendJson(res, 400, validationFailed('page_size', `must be between 1 and ${maxSize}`));
    let offset = 0;
    const token = req.query.get('next_page_token');
    if (token) {
      const decoded = decodePageToken(token);
      // Zoom's next_page_token expires after 15 minutes.
      if (!decoded || decoded.endpoint !== endpoint || now() - decoded.at > pageTokenTtlMs)
        return sendJson(res, 400, { code: 300, message: 'Invalid next_page_token.' });
      offset = decoded.offset;
    }
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.total ? encodePageToken(endpoint, offset + size, now()) : '';
    sendJson(res, 200, { next_page_token: next, page_size: size, ...(totals ? { total_records: all.total } : {}), [key]: page });
  };

  const recordingJson = (e: MockEngagement, r: MockEngagement['recordings'][number]) => ({
    recording_id: r.recordingId,
    engagement_id: e.engagementId,
    ...(sparse(r.recordingId)
      ? {}
      : { queue_id: e.queueId, cc_queue_id: e.queueId, queue_name: e.queueName, user_id: e.agentId, display_name: e.agentName, direction: e.direction }),
    recording_start_time: r.startTime,
    recording_end_time: r.endTime,
    recording_duration: r.durationSeconds,
    recording_type: 'automatic',
    channel: 'voice',
    channel_type: 'voice',
    owner_type: 'queue',
    download_url: fileUrl('recordings', r.recordingId),
    playback_url: `${baseUrl}/v2/contact_center/recording/playback/${encodeURIComponent(r.recordingId)}?type=voice`,
    ...(r.transcript ? { transcript_url: fileUrl('recording-transcripts', r.recordingId) } : {}),
  });

  /** An engagement as the listing (`cc_queue_id` only) or the details (`queue_id` too) show it. */
  const engagementJson = (e: MockEngagement, view: 'list' | 'details' = 'list') => {
    const bare = sparse(e.engagementId);
    return {
      engagement_id: e.engagementId,
      start_time: e.startTime,
      end_time: e.endTime,
      duration: Math.round((Date.parse(e.endTime) - Date.parse(e.startTime)) / 1000),
      direction: e.direction,
      channels: [{ channel: e.channel, channel_source: e.channel === 'messaging' ? 'web_chat' : undefined }],
      consumers: [{ consumer_number: e.consumerNumber }],
      ...(bare
        ? {}
        : {
            queues: [
              view === 'list' ? { cc_queue_id: e.queueId, queue_name: e.queueName } : { queue_id: e.queueId, cc_queue_id: e.queueId, queue_name: e.queueName },
            ],
            agents: [{ user_id: e.agentId, display_name: e.agentName }],
          }),
      notes: e.notes.map((n) => ({ note_id: n.noteId, note: n.note, ...(sparse(n.noteId) ? {} : { user_id: n.userId }), last_modified_time: n.createdTime })),
      // Only these two fields: no user, no time.
      dispositions: e.dispositions.map((d) => ({ disposition_id: d.dispositionId, disposition_name: d.dispositionName })),
      ...(e.messagingTranscript ? { transcript_url: fileUrl('messaging-transcripts', e.engagementId) } : {}),
    };
  };

  /** Every REST route: counted by endpoint and category, then authenticated, faults, rate limit. */
  const api =
    (endpoint: string, category: RateCategory, handle: (req: MockRequest, res: ServerResponse) => void) => (req: MockRequest, res: ServerResponse) => {
      stats.apiCalls++;
      stats.callsByEndpoint[endpoint] = (stats.callsByEndpoint[endpoint] ?? 0) + 1;
      const times = stats.callTimes[category];
      if (times.length < 1_000_000) times.push(Date.now());
      if (!gate(req, res)) return;
      if (!admit(category)) {
        stats.rateLimited++;
        const headers: Record<string, string> = rateLimitRetryAfter !== undefined ? { 'retry-after': String(rateLimitRetryAfter) } : {};
        return sendJson(res, 429, { code: 429, message: 'You have reached the maximum per-second rate limit for this API. Try again later.' }, headers);
      }
      handle(req, res);
    };

  const server = await startMockServer(
    'zoom',
    [
      {
        method: 'POST',
        path: '/oauth/token',
        handle: (req, res) => {
          const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
          const given = req.headers.authorization ?? '';
          if (!safeEqual(given, expected)) return sendJson(res, 401, { reason: 'Invalid client_id or client_secret', error: 'invalid_client' });
          if (req.query.get('grant_type') !== 'account_credentials')
            return sendJson(res, 400, { reason: 'Unsupported grant type', error: 'unsupported_grant_type' });
          if (req.query.get('account_id') !== options.accountId) return sendJson(res, 400, { reason: 'Invalid account_id', error: 'invalid_request' });
          const fault = faults.takeHttp(req.path);
          if (fault) return sendJson(res, fault.status, { reason: 'Injected fault', error: 'server_error' });
          const ttl = options.tokenTtlSeconds ?? 3600;
          const token = randomBytes(24).toString('base64url');
          tokens.set(token, Date.now() + ttl * 1000);
          issued++;
          return sendJson(res, 200, {
            access_token: token,
            token_type: 'bearer',
            expires_in: ttl,
            scope: 'contact_center:read:admin',
            api_url: 'https://api.zoom.us',
          });
        },
      },
      {
        method: 'GET',
        path: '/v2/contact_center/recordings',
        handle: api('GET /v2/contact_center/recordings', 'medium', (req, res) => {
          const from = req.query.get('from');
          const to = req.query.get('to');
          // query_date_type=recording_end_time (the reconciliation's) or recording_start_time.
          const byEnd = req.query.get('query_date_type') !== 'recording_start_time';
          const all = cachedList(`recordings|${from}|${to}|${byEnd}`, () =>
            listing(from, to, (e) => e.recordings.filter((r) => inRange(byEnd ? r.endTime : r.startTime, from, to)).map((r) => recordingJson(e, r)), {
              has: LAZY_HAS.recording,
              // A generated recording spans its whole engagement.
              time: byEnd ? 'ends' : 'starts',
              item: (e) => recordingJson(e, e.recordings[0]!),
            }),
          );
          // The recordings listing has no total_records.
          paged(req, res, '/v2/contact_center/recordings', 'recordings', all, false);
        }),
      },
      {
        method: 'GET',
        path: '/v2/contact_center/engagements',
        handle: api('GET /v2/contact_center/engagements', 'medium', (req, res) => {
          const from = req.query.get('from');
          const to = req.query.get('to');
          const all = cachedList(`engagements|${from}|${to}`, () =>
            listing(from, to, (e) => (inRange(e.startTime, from, to) ? [engagementJson(e)] : []), { has: 0, time: 'starts', item: (e) => engagementJson(e) }),
          );
          paged(req, res, '/v2/contact_center/engagements', 'engagements', all);
        }),
      },
      {
        method: 'GET',
        path: '/v2/contact_center/engagements/:id',
        handle: api('GET /v2/contact_center/engagements/{id}', 'light', (req, res) => {
          const e = findEngagement(req.params['id']!);
          // Engagements are available once completed: a just-ended one is not found yet.
          if (!e || Date.now() - Date.parse(e.endTime) < (options.engagementVisibleAfterMs ?? 0))
            return sendJson(res, 404, engagementNotFound(req.params['id']!));
          sendJson(res, 200, engagementJson(e, 'details'));
        }),
      },
      {
        method: 'GET',
        path: '/v2/contact_center/engagements/:id/notes',
        handle: api('GET /v2/contact_center/engagements/{id}/notes', 'medium', (req, res) => {
          const e = findEngagement(req.params['id']!);
          // Undocumented for this endpoint: answered like the details (2901).
          if (!e) return sendJson(res, 404, engagementNotFound(req.params['id']!));
          const notes = e.notes.map((n) => ({
            note_id: n.noteId,
            engagement_id: e.engagementId,
            channel: e.channel === 'messaging' ? 'chat' : 'voice',
            note: n.note,
            last_modified_time: n.createdTime,
            user_id: n.userId,
          }));
          paged(req, res, '/v2/contact_center/engagements/{id}/notes', 'notes', notes);
        }),
      },
      {
        method: 'GET',
        path: '/v2/contact_center/engagements/:id/recordings',
        handle: api('GET /v2/contact_center/engagements/{id}/recordings', 'medium', (req, res) => {
          const e = findEngagement(req.params['id']!);
          if (!e)
            return sendJson(res, 404, {
              code: 2805,
              message: `Engagement recordings does not exist or you do not have the corresponding operation authority: ${req.params['id']}`,
            });
          paged(
            req,
            res,
            '/v2/contact_center/engagements/{id}/recordings',
            'recordings',
            e.recordings.map((r) => recordingJson(e, r)),
            false,
          );
        }),
      },
      {
        method: 'GET',
        path: '/v2/contact_center/inboxes/messages',
        handle: api('GET /v2/contact_center/inboxes/messages', 'medium', (req, res) => {
          const type = req.query.get('message_type');
          if (type !== null && type !== 'voicemail') return sendJson(res, 400, validationFailed('message_type', 'must be voicemail'));
          const from = req.query.get('from');
          const to = req.query.get('to');
          const voicemailJson = (e: MockEngagement, v: MockEngagement['voicemails'][number]) => ({
            message_id: v.messageId,
            engagement_id: e.engagementId,
            created_at: v.at,
            message_type: 'voicemail',
            ...(sparse(v.messageId) ? {} : { queue_id: e.queueId, cci_queue_id: e.queueId, queue_name: e.queueName, consumer_number: e.consumerNumber }),
            status: 'normal',
            download_url: fileUrl('voicemails', v.messageId),
            playback_url: `${baseUrl}/v2/contact_center/inbox/message/playback/${encodeURIComponent(v.messageId)}?type=voicemail`,
            // Not transcribed: no transcript_url.
            ...(v.transcript ? { transcript_url: fileUrl('voicemail-transcripts', v.messageId) } : {}),
          });
          const all = cachedList(`voicemails|${from}|${to}`, () =>
            // A generated voicemail is left when its engagement ends.
            listing(from, to, (e) => e.voicemails.filter((v) => inRange(v.at, from, to)).map((v) => voicemailJson(e, v)), {
              has: LAZY_HAS.voicemail,
              time: 'ends',
              item: (e) => voicemailJson(e, e.voicemails[0]!),
            }),
          );
          paged(req, res, '/v2/contact_center/inboxes/messages', 'messages', all);
        }),
      },
      ...FILE_KINDS.map((kind) => ({ method: 'GET', path: `${FILE_ROUTES[kind].path}:id`, handle: serveFile })),
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  baseUrl = server.baseUrl;

  const requireTarget = (): WebhookTarget => {
    if (!webhook) throw new Error('zoom mock: no webhook target set (setWebhookTarget)');
    return webhook;
  };

  return {
    ...server,
    get baseUrl() {
      return server.baseUrl;
    },
    get tokensIssued() {
      return issued;
    },
    faults,
    stats,
    addEngagement,
    generateDay(generate) {
      const day = generateDay(generate);
      for (const e of day) addEngagement(e);
      return day;
    },
    addGeneratedDay(generate) {
      if (lazyDays.some((d) => d.date === generate.date)) throw new Error(`zoom mock: a generated day ${generate.date} exists already`);
      const day = lazyDay(generate);
      lazyDays.push({ ...day, index: buildLazyIndex(day) });
      listCache.clear();
      return { engagements: day.engagements, idPrefix: day.idPrefix };
    },
    engagementAt(date, n) {
      const day = lazyDays.find((d) => d.date === date);
      if (!day || n < 0 || n >= day.engagements) throw new Error(`zoom mock: no generated engagement ${n} on ${date}`);
      return lazyEngagement(day, n);
    },
    engagement: (id) => findEngagement(id),
    engagements: () => [...engagements.values()],
    setRateLimits(limits, retryAfterSeconds) {
      rateLimits = { ...limits };
      rateLimitRetryAfter = retryAfterSeconds;
      buckets.clear();
    },
    setPageTokenTtlMs(ms) {
      pageTokenTtlMs = ms;
    },
    resetStats() {
      Object.assign(stats, emptyStats());
    },
    peakCalls(category, windowMs = 1000) {
      const times = stats.callTimes[category];
      let peak = 0;
      for (let i = 0, j = 0; i < times.length; i++) {
        while (times[i]! - times[j]! >= windowMs) j++;
        peak = Math.max(peak, i - j + 1);
      }
      return peak;
    },
    filesOf: (engagementId) => {
      const e = findEngagement(engagementId);
      return e ? filesOfEngagement(e) : [];
    },
    file: (path) => resolveFile(new URL(path, 'http://x').pathname),
    fileDigest(path) {
      const f = resolveFile(new URL(path, 'http://x').pathname);
      if (!f) throw new Error(`zoom mock: no file ${path}`);
      return { sha256: contentSha256(f.seed, f.bytes), bytes: f.bytes };
    },
    eventsFor,
    setWebhookTarget(target) {
      webhook = target;
    },
    async sendWebhook(event, sendOptions = {}) {
      stats.webhookRequests++;
      return postSigned(requireTarget(), typeof event === 'string' ? event : JSON.stringify(event), sendOptions);
    },
    async deliver(events, deliveryOptions = {}) {
      const report = await deliverEvents(requireTarget(), events, deliveryOptions, refreshTokens);
      stats.webhookRequests += report.requests;
      return report;
    },
  };
}

/** Zoom's answer to an invalid parameter. */
function validationFailed(field: string, message: string) {
  return { code: 300, message: 'Validation Failed.', errors: [{ field, message }] };
}

/** Zoom's answer for an engagement it does not know (or not yet). */
function engagementNotFound(id: string) {
  return { code: 2901, message: `Engagement does not exist: ${id}` };
}

function hashOf(value: string): number {
  let h = 2166136261;
  for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A list result whose items are built for the page asked only. */
interface Listing {
  total: number;
  slice(start: number, end: number): unknown[];
}

/** The files Zoom serves for an engagement (recordings, transcripts, voicemails). */
function filesOfEngagement(e: MockEngagement): MockFile[] {
  const out: MockFile[] = [];
  const add = (kind: ZoomFileKind, id: string, bytes: number, contentType: string) => {
    out.push({ kind, path: zoomFilePath(kind, id), seed: `${kind}:${id}`, bytes, contentType, engagementId: e.engagementId });
  };
  for (const r of e.recordings) {
    add('recordings', r.recordingId, r.bytes, r.contentType);
    if (r.transcript) add('recording-transcripts', r.recordingId, transcriptBytes(r.recordingId), 'text/vtt');
  }
  for (const v of e.voicemails) {
    add('voicemails', v.messageId, v.bytes, 'audio/mpeg');
    if (v.transcript) add('voicemail-transcripts', v.messageId, transcriptBytes(v.messageId), 'text/vtt');
  }
  if (e.messagingTranscript) add('messaging-transcripts', e.engagementId, transcriptBytes(e.engagementId), 'application/json');
  return out;
}

/** `to` as Zoom reads it: a bare date means the end of that day. */
function endOf(to: string): number {
  return Date.parse(to.length === 10 ? `${to}T23:59:59.999Z` : to);
}

/** Transcripts are small; their size is a stable function of their id. */
function transcriptBytes(id: string): number {
  let h = 0;
  for (const c of id) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return 2048 + (h % 8192);
}

function encodePageToken(endpoint: string, offset: number, at: number): string {
  return Buffer.from(JSON.stringify({ endpoint, offset, at })).toString('base64url');
}

function decodePageToken(token: string): { endpoint: string; offset: number; at: number } | undefined {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { endpoint?: unknown; offset?: unknown; at?: unknown };
    return typeof v.endpoint === 'string' && typeof v.offset === 'number' && typeof v.at === 'number'
      ? { endpoint: v.endpoint, offset: v.offset, at: v.at }
      : undefined;
  } catch {
    return undefined;
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
