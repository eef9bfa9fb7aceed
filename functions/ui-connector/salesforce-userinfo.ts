/**
 * Who holds a Salesforce access token: `GET {domain}/services/oauth2/userinfo` with the token
 * as `Authorization: Bearer` (Salesforce Help, "Query for User Information"; the reference
 * sends it as a query parameter instead, which puts it in access logs). Only orgs configured
 * here are accepted; 15- and 18-character forms of an org id are the same org. Salesforce
 * being slow or down is a 503 within the time budget, never a hang and never a 401.
 * Accepted tokens are remembered briefly under an HMAC of the token (single-flight), so the
 * component's reloads cost one Salesforce call; refusals are not cached.
 */
import { createHmac, randomBytes } from 'node:crypto';
import type { Got } from 'got';
import * as z from 'zod';
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logging';

/** The fields of the userinfo answer this service reads (it has many more). */
const salesforceUserInfoSchema = z.looseObject({
  user_id: z.string().min(1),
  organization_id: z.string().min(1),
  preferred_username: z.string().optional(),
});
export type SalesforceUserInfo = z.infer<typeof salesforceUserInfoSchema>;

export type SalesforceCheck = { verdict: 'valid'; user: SalesforceUserInfo } | { verdict: 'invalid'; reason: string };

/** The port: whose token is this, and is their org allowed? Upstream trouble throws a 503 AppError. */
export interface SalesforceTokenVerifier {
  verify(accessToken: string): Promise<SalesforceCheck>;
}

export async function createSalesforceHttp(options: { domain: string; timeoutMs: number }): Promise<Got> {
  const { default: got } = await import('got');
  return got.extend({
    prefixUrl: options.domain,
    // The whole check, retry included, stays within the component's patience.
    timeout: { request: options.timeoutMs },
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    headers: { 'user-agent': 'ccbridge-ui-connector', accept: 'application/json' },
  });
}

/** Same org? Ids compare on their 15 case-sensitive characters; the 18-character suffix only restates case. */
export function sameSalesforceOrg(a: string, b: string): boolean {
  if (!/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/.test(a) || !/^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$/.test(b)) return false;
  if (a.slice(0, 15) !== b.slice(0, 15)) return false;
  // Two 18-character ids must agree on the suffix too (it is derived from the first 15).
  return a.length !== 18 || b.length !== 18 || a.slice(15).toUpperCase() === b.slice(15).toUpperCase();
}

export function createSalesforceUserInfoVerifier(options: { http: () => Promise<Got>; allowedOrgIds: string[]; log: Logger }): SalesforceTokenVerifier {
  return {
    async verify(accessToken) {
      if (options.allowedOrgIds.length === 0) return { verdict: 'invalid', reason: 'no Salesforce org is configured' };
      const http = await options.http();
      let response: { statusCode: number; body: string };
      try {
        response = await http.get('services/oauth2/userinfo', { headers: { authorization: `Bearer ${accessToken}` }, responseType: 'text' });
      } catch (err) {
        options.log.warn('salesforce userinfo unreachable', { err: { name: (err as Error).name, code: (err as { code?: unknown }).code } });
        throw new AppError('upstream_unavailable', 503, 'Salesforce did not answer in time; try again', { retryable: true, retryAfterSeconds: 1 });
      }
      if (response.statusCode === 429 || response.statusCode >= 500) {
        options.log.warn('salesforce userinfo failed', { status: response.statusCode });
        throw new AppError('upstream_unavailable', 503, `Salesforce answered ${response.statusCode}; try again`, { retryable: true, retryAfterSeconds: 1 });
      }
      // 401/403 (bad or expired token) and any other refusal: not a Salesforce user we know.
      if (response.statusCode !== 200) return { verdict: 'invalid', reason: `userinfo answered ${response.statusCode}` };
      let json: unknown;
      try {
        json = JSON.parse(response.body);
      } catch {
        json = undefined;
      }
      const info = salesforceUserInfoSchema.safeParse(json);
      if (!info.success) throw new AppError('upstream_error', 502, 'Salesforce userinfo answered with an unexpected body');
      if (!options.allowedOrgIds.some((org) => sameSalesforceOrg(org, info.data.organization_id))) {
        return { verdict: 'invalid', reason: 'the token belongs to an org that is not configured' };
      }
      return { verdict: 'valid', user: info.data };
    },
  };
}

/** Positive answers remembered for `cacheSeconds` under a per-instance HMAC of the token; one call per token at a time. */
export function createCachedSalesforceVerifier(options: {
  upstream: SalesforceTokenVerifier;
  cacheSeconds: number;
  maxEntries?: number;
  now?: () => number;
}): SalesforceTokenVerifier {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 1000;
  const hashKey = randomBytes(32);
  const accepted = new Map<string, { user: SalesforceUserInfo; until: number }>();
  const inflight = new Map<string, Promise<SalesforceCheck>>();
  return {
    async verify(accessToken) {
      const key = createHmac('sha256', hashKey).update(accessToken).digest('base64url');
      const hit = accepted.get(key);
      if (hit) {
        if (now() < hit.until) return { verdict: 'valid', user: hit.user };
        accepted.delete(key);
      }
      const running = inflight.get(key);
      if (running) return running;
      const check = options.upstream
        .verify(accessToken)
        .then((result) => {
          if (result.verdict === 'valid' && options.cacheSeconds > 0) {
            if (accepted.size >= maxEntries) accepted.delete(accepted.keys().next().value!);
            accepted.set(key, { user: result.user, until: now() + options.cacheSeconds * 1000 });
          }
          return result;
        })
        .finally(() => inflight.delete(key));
      inflight.set(key, check);
      return check;
    },
  };
}
