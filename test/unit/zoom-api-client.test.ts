/**
 * The Zoom client against the Zoom mock: Server-to-Server OAuth (one token for concurrent
 * callers, renewed before expiry, re-fetched when refused), next_page_token paging across
 * every page, retries of 429/5xx, and typed errors for downloads.
 */
import { Secret } from '../../shared/config';
import { createZoomApiClient, createZoomHttp, retryDelay } from '../../shared/zoom/api-client';
import { ZoomApiError, ZoomFileNotReadyError, ZoomUrlNotAllowedError } from '../../shared/zoom/errors';
import { createZoomTokenProvider } from '../../shared/zoom/oauth';
import { startZoomMock, type ZoomMock } from '../../local/mocks/zoom';
import { ZOOM_CREDENTIALS } from '../support/zoom-fixture';

let zoom: ZoomMock;
beforeAll(async () => {
  zoom = await startZoomMock({ port: 0, ...ZOOM_CREDENTIALS, tokenTtlSeconds: 3600 });
  zoom.generateDay({ seed: 'api-client', date: '2026-11-19', engagements: 700, recordingBytes: { min: 1000, max: 2000 } });
});
afterAll(() => zoom.stop());
afterEach(() => zoom.faults.clear());

const http = createZoomHttp();
const retry = { limit: 3, baseDelayMs: 5, maxDelayMs: 50 };
const tokenProvider = (now: () => number = Date.now) =>
  createZoomTokenProvider({
    http,
    now,
    credentials: {
      tokenUrl: `${zoom.baseUrl}/oauth/token`,
      accountId: ZOOM_CREDENTIALS.accountId,
      clientId: ZOOM_CREDENTIALS.clientId,
      clientSecret: new Secret(ZOOM_CREDENTIALS.clientSecret),
    },
  });
const client = (tokens = tokenProvider(), sleep?: (ms: number) => Promise<void>) =>
  createZoomApiClient({ apiBaseUrl: `${zoom.baseUrl}/v2`, tokens, downloadHosts: [new URL(zoom.baseUrl).host], retry, ...(sleep ? { sleep } : {}) }, http);

describe('Zoom Server-to-Server OAuth', () => {
  it('fetches one token for 50 concurrent callers', async () => {
    const tokens = tokenProvider();
    const got = await Promise.all(Array.from({ length: 50 }, () => tokens.getToken()));
    expect(new Set(got).size).toBe(1);
    expect(tokens.fetches).toBe(1);
  });

  it('renews 60 s before expiry, not after', async () => {
    let now = 1_000_000;
    const tokens = tokenProvider(() => now);
    const first = await tokens.getToken();
    now += (3600 - 61) * 1000;
    expect(await tokens.getToken()).toBe(first);
    now += 2000;
    expect(await tokens.getToken()).not.toBe(first);
    expect(tokens.fetches).toBe(2);
  });

  it('refuses wrong credentials with a typed, retryable error', async () => {
    const tokens = createZoomTokenProvider({
      http,
      credentials: {
        tokenUrl: `${zoom.baseUrl}/oauth/token`,
        accountId: ZOOM_CREDENTIALS.accountId,
        clientId: 'wrong',
        clientSecret: new Secret('wrong-secret'),
      },
    });
    await expect(tokens.getToken()).rejects.toMatchObject({ code: 'upstream_error', retryable: true });
  });

  it('fetches a new token when the API refuses the cached one', async () => {
    const tokens = tokenProvider();
    // The first token handed out was revoked on Zoom's side (the mock never issued it).
    let revoked = true;
    const invalidated: string[] = [];
    const provider = {
      getToken: async () => (revoked ? 'revoked-token' : tokens.getToken()),
      invalidate: (t: string) => {
        invalidated.push(t);
        revoked = false;
      },
      fetches: 0,
    };
    const api = createZoomApiClient({ apiBaseUrl: `${zoom.baseUrl}/v2`, tokens: provider, downloadHosts: [] }, http);
    await expect(api.getEngagement('eng-20261119-0001')).resolves.toMatchObject({ engagement_id: 'eng-20261119-0001' });
    expect(invalidated).toEqual(['revoked-token']);
  });

  it('answers undefined for an engagement Zoom does not know (yet)', async () => {
    await expect(client().getEngagement('nope')).resolves.toBeUndefined();
  });
});

describe('Zoom REST client', () => {
  it('walks every page of recordings with next_page_token', async () => {
    const api = client();
    const ids: string[] = [];
    for await (const r of api.listRecordings({ from: '2026-11-19', to: '2026-11-20', pageSize: 100 })) ids.push(r.recording_id);
    const expected = zoom.engagements().flatMap((e) => e.recordings.map((r) => r.recordingId));
    expect(expected.length).toBeGreaterThan(300);
    expect(ids.sort()).toEqual(expected.sort());
    const pages = zoom.requests.filter((r) => r.path === '/v2/contact_center/recordings');
    expect(pages.length).toBe(Math.ceil(expected.length / 100));
    expect(pages.every((p) => p.query.includes('query_date_type=recording_end_time'))).toBe(true);
  });

  it("lists engagements (100 a page, Zoom's maximum; messaging ones with their transcript_url), notes and voicemails", async () => {
    const api = client();
    let engagements = 0;
    let transcripts = 0;
    for await (const e of api.listEngagements({ from: '2026-11-19', to: '2026-11-19' })) {
      engagements++;
      if (e.transcript_url) transcripts++;
    }
    expect(engagements).toBe(700);
    expect(transcripts).toBe(zoom.engagements().filter((e) => e.messagingTranscript).length);
    expect(zoom.requests.filter((r) => r.path === '/v2/contact_center/engagements').every((r) => new URLSearchParams(r.query).get('page_size') === '100')).toBe(
      true,
    );
    const withNotes = zoom.engagements().find((e) => e.notes.length > 0)!;
    const notes = [];
    for await (const n of api.listEngagementNotes(withNotes.engagementId)) notes.push(n.note_id);
    expect(notes).toEqual(withNotes.notes.map((n) => n.noteId));
    let voicemails = 0;
    for await (const v of api.listVoicemails({ from: '2026-11-19', to: '2026-11-19' })) voicemails += v.download_url ? 1 : 0;
    expect(voicemails).toBe(zoom.engagements().reduce((n, e) => n + e.voicemails.length, 0));
  });

  it('retries 429 and 5xx, then gives a typed retryable error', async () => {
    const api = client();
    zoom.faults.failHttp({ pathIncludes: '/engagements/eng-20261119-0002', status: 429, times: 1, retryAfterSeconds: 0 });
    zoom.faults.failHttp({ pathIncludes: '/engagements/eng-20261119-0002', status: 503, times: 1 });
    const taken = () => ({ ...zoom.faults.taken.http });
    const before = taken();
    await expect(api.getEngagement('eng-20261119-0002')).resolves.toMatchObject({ engagement_id: 'eng-20261119-0002' });
    // Both faults were answered (so the call was tried three times) before the engagement came back.
    expect({ s429: (taken()['429'] ?? 0) - (before['429'] ?? 0), s503: (taken()['503'] ?? 0) - (before['503'] ?? 0) }).toEqual({ s429: 1, s503: 1 });
    zoom.faults.failHttp({ pathIncludes: '/engagements/eng-20261119-0003', status: 500, times: 10 });
    const failing = taken()['500'] ?? 0;
    const error = await api.getEngagement('eng-20261119-0003').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZoomApiError);
    expect(error).toMatchObject({ retryable: true });
    // Retried, then given up on before Zoom stopped failing.
    const attempts = (taken()['500'] ?? 0) - failing;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(10);
  });

  it('types download answers: not ready (404/409), refused host', async () => {
    const api = client();
    const file = zoom.filesOf('eng-20261119-0001')[0]!;
    zoom.faults.fileNotReady({ pathIncludes: file.path, times: 1, status: 409 });
    await expect(api.openDownload(`${zoom.baseUrl}${file.path}`)).rejects.toBeInstanceOf(ZoomFileNotReadyError);
    await expect(api.openDownload('https://files.example.com/x')).rejects.toBeInstanceOf(ZoomUrlNotAllowedError);
    const ok = await api.openDownload(`${zoom.baseUrl}${file.path}`);
    expect(ok.contentLength).toBe(file.bytes);
    ok.body.destroy();
  });

  it('backs off exponentially with jitter, or as Retry-After says', () => {
    const policy = { limit: 5, baseDelayMs: 100, maxDelayMs: 1000 };
    expect(retryDelay(policy, 1, undefined, () => 0)).toBe(50);
    expect(retryDelay(policy, 3, undefined, () => 1)).toBe(400);
    expect(retryDelay(policy, 9, undefined, () => 1)).toBe(1000);
    expect(retryDelay(policy, 1, 700)).toBe(700);
  });

  it("waits a 429's Retry-After once, through the injected sleep, before the one retry of an API read", async () => {
    const waits: number[] = [];
    const api = client(tokenProvider(), async (ms) => {
      waits.push(ms);
    });
    zoom.faults.failHttp({ pathIncludes: '/engagements/eng-20261119-0004', status: 429, times: 1, retryAfterSeconds: 7 });
    const before = zoom.requests.filter((r) => r.path === '/v2/contact_center/engagements/eng-20261119-0004').length;
    await expect(api.getEngagement('eng-20261119-0004')).resolves.toMatchObject({ engagement_id: 'eng-20261119-0004' });
    expect(waits).toEqual([7000]);
    expect(zoom.requests.filter((r) => r.path === '/v2/contact_center/engagements/eng-20261119-0004').length - before).toBe(2);
  });

  it("waits a 429's Retry-After once before opening a download again", async () => {
    const waits: number[] = [];
    const api = client(tokenProvider(), async (ms) => {
      waits.push(ms);
    });
    const file = zoom.filesOf('eng-20261119-0005')[0]!;
    zoom.faults.failHttp({ pathIncludes: file.path, status: 429, times: 1, retryAfterSeconds: 4 });
    const ok = await api.openDownload(`${zoom.baseUrl}${file.path}`);
    ok.body.destroy();
    expect(waits).toEqual([4000]);
  });

  it('does not wait out a Retry-After longer than the policy allows inside a call: the error carries it', async () => {
    const waits: number[] = [];
    const api = createZoomApiClient(
      {
        apiBaseUrl: `${zoom.baseUrl}/v2`,
        tokens: tokenProvider(),
        downloadHosts: [],
        retry: { ...retry, maxRetryAfterMs: 20_000 },
        sleep: async (ms) => void waits.push(ms),
      },
      http,
    );
    zoom.faults.failHttp({ pathIncludes: '/engagements/eng-20261119-0006', status: 429, times: 1, retryAfterSeconds: 60 });
    await expect(api.getEngagement('eng-20261119-0006')).rejects.toMatchObject({ upstreamStatus: 429, retryAfterSeconds: 60, retryable: true });
    expect(waits).toEqual([]);
  });
});
