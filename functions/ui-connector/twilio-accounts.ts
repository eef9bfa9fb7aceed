/**
 * Checking an accountSid/authToken pair against the Twilio Accounts API
 * (`GET {base}/2010-04-01/Accounts/{Sid}.json`, Basic sid:token), as the reference does —
 * but only for configured account SIDs (never an oracle for anyone's credentials), with a
 * bounded time budget (Studio gives the whole request 10 s), and with verified pairs cached
 * briefly under an HMAC of the pair, never under the token itself.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Got } from 'got';
import * as z from 'zod';
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import { withoutTrailingSlash } from '../../shared/http/url';

const twilioAccountSchema = z.looseObject({
  sid: z.string(),
  status: z.string().optional(),
});

export type AccountCheck = 'valid' | 'invalid';

/** The port: does this pair belong to an allowed, active account? Upstream trouble throws 503. */
export interface AccountVerifier {
  verify(accountSid: string, authToken: string): Promise<AccountCheck>;
}

/** The one got instance for the Twilio REST API, loaded on first use (got is the heaviest import here). */
export async function createTwilioHttp(options: { baseUrl: string; timeoutMs: number }): Promise<Got> {
  const { default: got } = await import('got');
  return got.extend({
    prefixUrl: withoutTrailingSlash(options.baseUrl),
    timeout: { request: options.timeoutMs },
    // One quick retry on Twilio's transient answers keeps the worst case near 2 × timeout.
    retry: { limit: 1, methods: ['GET'], statusCodes: [429, 500, 502, 503, 504], calculateDelay: ({ computedValue }) => (computedValue === 0 ? 0 : 200) },
    throwHttpErrors: false,
    headers: { 'user-agent': 'ccbridge-ui-connector', accept: 'application/json' },
  });
}

export function createTwilioAccountVerifier(options: { http: () => Promise<Got>; log: Logger }): AccountVerifier {
  return {
    async verify(accountSid, authToken) {
      const http = await options.http();
      let response: { statusCode: number; body: string };
      try {
        response = await http.get(`2010-04-01/Accounts/${encodeURIComponent(accountSid)}.json`, {
          username: accountSid,
          password: authToken,
          responseType: 'text',
        });
      } catch (err) {
        options.log.warn('twilio accounts api unreachable', { err: { name: (err as Error).name, code: (err as { code?: unknown }).code } });
        throw new AppError('upstream_unavailable', 503, 'the Twilio Accounts API did not answer in time; try again', { retryable: true, retryAfterSeconds: 1 });
      }
      if (response.statusCode === 401 || response.statusCode === 403 || response.statusCode === 404) return 'invalid';
      if (response.statusCode !== 200) {
        options.log.warn('twilio accounts api failed', { status: response.statusCode });
        throw new AppError('upstream_unavailable', 503, `the Twilio Accounts API answered ${response.statusCode}; try again`, {
          retryable: true,
          retryAfterSeconds: 1,
        });
      }
      let json: unknown;
      try {
        json = JSON.parse(response.body);
      } catch {
        json = undefined;
      }
      const account = twilioAccountSchema.safeParse(json);
      if (!account.success) throw new AppError('upstream_error', 502, 'the Twilio Accounts API answered with an unexpected body');
      // Closed and suspended accounts still authenticate; they must not get tokens.
      const active = account.data.status === undefined || account.data.status === 'active';
      return account.data.sid === accountSid && active ? 'valid' : 'invalid';
    },
  };
}

export interface CachedVerifierOptions {
  upstream: AccountVerifier;
  allowedAccountSids: string[];
  cacheSeconds: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Allow-list first (no upstream call for unknown accounts), then a short positive cache and
 * single-flight: a burst of calls with the same pair costs one Twilio request.
 * Only successes are cached, so a revoked token stops working within `cacheSeconds`.
 */
export function createCachedAccountVerifier(options: CachedVerifierOptions): AccountVerifier {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1000;
  const allowed = new Set(options.allowedAccountSids);
  // A per-instance key: the cache keys mean nothing outside this process.
  const cacheKey = randomBytes(32);
  const verifiedUntil = new Map<string, number>();
  const inflight = new Map<string, Promise<AccountCheck>>();

  const keyOf = (sid: string, token: string) => createHmac('sha256', cacheKey).update(sid).update('\0').update(token).digest('base64url');

  return {
    async verify(accountSid, authToken) {
      if (!allowed.has(accountSid)) return 'invalid';
      const key = keyOf(accountSid, authToken);
      const until = verifiedUntil.get(key);
      if (until !== undefined) {
        if (now() < until) return 'valid';
        verifiedUntil.delete(key);
      }
      const running = inflight.get(key);
      if (running) return running;
      const check = options.upstream
        .verify(accountSid, authToken)
        .then((result) => {
          if (result === 'valid' && options.cacheSeconds > 0) {
            if (verifiedUntil.size >= maxEntries) verifiedUntil.delete(verifiedUntil.keys().next().value!);
            verifiedUntil.set(key, now() + options.cacheSeconds * 1000);
          }
          return result;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, check);
      return check;
    },
  };
}
