/**
 * Server-to-Server OAuth for the Zoom API: `POST <tokenUrl>?grant_type=account_credentials&account_id=…`
 * with Basic base64(clientId:clientSecret). A token lives an hour and has no refresh token,
 * so the provider caches it, renews it before it expires, and lets only one renewal run at
 * a time however many requests want a token at once.
 */
import type { Got } from 'got';
import * as z from 'zod';
import type { Secret } from '../config';
import { AppError } from '../errors';

export interface ZoomCredentials {
  tokenUrl: string;
  accountId: string;
  clientId: string;
  clientSecret: Secret;
}

export interface ZoomTokenProvider {
  /** A valid access token: the cached one, or a fresh one (one request in flight at most). */
  getToken(): Promise<string>;
  /** Forgets `token` (the API refused it) so the next getToken fetches a new one. */
  invalidate(token: string): void;
  /** How many tokens were fetched so far. */
  readonly fetches: number;
}

const tokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.coerce.number().int().positive(),
});

export interface TokenProviderOptions {
  credentials: ZoomCredentials;
  /** The got instance for the OAuth endpoint (its own upstream: zoom.us, not api.zoom.us). */
  http: Got;
  /** Renew this long before expiry; the contract asks for ≥ 60 s. */
  renewBeforeSeconds?: number;
  now?: () => number;
}

export function createZoomTokenProvider(options: TokenProviderOptions): ZoomTokenProvider {
  const now = options.now ?? Date.now;
  const renewBeforeMs = (options.renewBeforeSeconds ?? 60) * 1000;
  const { credentials } = options;
  let cached: { token: string; renewAt: number } | undefined;
  let inflight: Promise<string> | undefined;
  let fetches = 0;

  const fetchToken = async (): Promise<string> => {
    fetches++;
    const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret.reveal()}`).toString('base64');
    let body: unknown;
    try {
      body = await options.http
        .post(credentials.tokenUrl, {
          searchParams: { grant_type: 'account_credentials', account_id: credentials.accountId },
          headers: { authorization: `Basic ${basic}` },
        })
        .json();
    } catch (err) {
      throw tokenError(err);
    }
    const parsed = tokenResponseSchema.safeParse(body);
    if (!parsed.success) throw new AppError('upstream_error', 502, 'Zoom OAuth answered without a usable access token', { retryable: true });
    const issuedAt = now();
    const lifetimeMs = parsed.data.expires_in * 1000;
    // Short-lived tokens (tests) still get half their life before renewal.
    cached = { token: parsed.data.access_token, renewAt: issuedAt + Math.max(lifetimeMs - renewBeforeMs, lifetimeMs / 2) };
    return parsed.data.access_token;
  };

  return {
    async getToken() {
      if (cached && now() < cached.renewAt) return cached.token;
      if (!inflight) {
        inflight = fetchToken().finally(() => {
          inflight = undefined;
        });
      }
      return inflight;
    },
    invalidate(token) {
      if (cached?.token === token) cached = undefined;
    },
    get fetches() {
      return fetches;
    },
  };
}

function tokenError(err: unknown): AppError {
  const status = (err as { response?: { statusCode?: number } }).response?.statusCode;
  // Wrong credentials are an operator's fix away: keep the events (retry, then dead-letter).
  if (status === 400 || status === 401 || status === 403) {
    return new AppError('upstream_error', 502, `Zoom OAuth refused the credentials (HTTP ${status})`, { retryable: true, cause: err });
  }
  return new AppError('upstream_unavailable', 503, `Zoom OAuth is unavailable${status ? ` (HTTP ${status})` : ''}`, { retryable: true, cause: err });
}
