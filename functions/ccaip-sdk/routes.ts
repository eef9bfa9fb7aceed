/**
 * The HTTP surface: `GET|POST /token` (the Web SDK's authenticate callback), `POST /sign`
 * (the mobile SDKs' payload), `GET /demo` when enabled. Order per request: origin check →
 * rate limit → identity → sign. The request body never supplies an identity: /token ignores
 * it, /sign signs only the allowed extra fields and names the keys it left out.
 */
import * as z from 'zod';
import { forbidden } from '../../shared/errors';
import { createHttpApp, type HttpFunction, type HttpResult, type RequestContext, type Route } from '../../shared/http/app';
import { parseBody } from '../../shared/http/body';
import { headerValue } from '../../shared/http/headers';
import { sourceAddress } from '../../shared/http/source-address';
import type { Logger } from '../../shared/logging';
import { IDENTITY_KEYS } from './config';
import { type DemoPageOptions, renderDemoPage } from './demo';
import { cookieValue, GUEST_COOKIE, GUEST_HEADER, type GuestIdentities } from './guest';
import { type Caller, type IssueDeps, type Issued, issueEndUserToken, parseMobilePayload } from './issue';
import type { RateLimiter } from './rate-limit';

export interface CcaipSdkDeps extends Omit<IssueDeps, 'log'> {
  log: Logger;
  projectId?: string;
  /** Browser origins allowed to call (exact `scheme://host[:port]`). */
  corsOrigins: string[];
  rateLimiter: RateLimiter;
  /** X-Forwarded-For entries appended by the platform's proxies after the client's. */
  forwardedHops: number;
  mobileAllowedFields: string[];
  guests: GuestIdentities | undefined;
  demo?: DemoPageOptions | undefined;
}

/** A token request carries headers only; a mobile payload is a handful of short fields. */
const MAX_BODY_BYTES = 8 * 1024;

export function createCcaipSdkApp(deps: CcaipSdkDeps): HttpFunction {
  const issueDeps = (ctx: RequestContext): IssueDeps => ({ ...deps, log: ctx.log });

  const admit = (ctx: RequestContext): Caller => {
    // A browser on a site not configured may not obtain tokens, even ones it could not read.
    const origin = headerValue(ctx.req.headers, 'origin');
    if (origin !== undefined && !deps.corsOrigins.includes(origin)) throw forbidden('this origin may not request CCAI Platform tokens');
    deps.rateLimiter.take(sourceAddress(ctx.req, deps.forwardedHops));
    return {
      authorization: headerValue(ctx.req.headers, 'authorization'),
      guest: headerValue(ctx.req.headers, GUEST_HEADER) ?? cookieValue(headerValue(ctx.req.headers, 'cookie'), GUEST_COOKIE),
    };
  };

  const answer = (issued: Issued): HttpResult => {
    const headers: Record<string, string> = { 'cache-control': 'no-store', pragma: 'no-cache' };
    if (issued.guestSigned !== undefined && deps.guests) headers['set-cookie'] = deps.guests.cookie(issued.guestSigned);
    // {"token"} is what the Web SDK expects; `guest` lets a page without third-party cookies keep its guest identity.
    return { headers, json: { token: issued.token, ...(issued.guestSigned === undefined ? {} : { guest: issued.guestSigned }) } };
  };

  const token = async (ctx: RequestContext) => answer(await issueEndUserToken(issueDeps(ctx), admit(ctx), 'token'));

  const routes: Route[] = [
    { method: 'GET', path: '/token', handle: token },
    { method: 'POST', path: '/token', handle: token },
    {
      method: 'POST',
      path: '/sign',
      handle: async (ctx) => {
        const caller = admit(ctx);
        const payload = parseMobilePayload(parseBody(ctx, z.unknown()), deps.mobileAllowedFields, IDENTITY_KEYS);
        // Key names only: what was left out, so an app developer sees why a field is not in the token.
        if (payload.ignored.length > 0) ctx.log.info('mobile payload keys left out', { ignored: payload.ignored });
        const result = answer(await issueEndUserToken(issueDeps(ctx), caller, 'sign', payload.fields));
        return payload.ignored.length > 0 ? { ...result, json: { ...(result.json as object), ignored: payload.ignored } } : result;
      },
    },
  ];
  if (deps.demo) {
    const page = renderDemoPage(deps.demo);
    routes.push({
      method: 'GET',
      path: '/demo',
      handle: () => ({
        headers: {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
          'x-content-type-options': 'nosniff',
          'referrer-policy': 'no-referrer',
        },
        body: page,
      }),
    });
  }

  return createHttpApp({
    name: 'ccaip-sdk',
    log: deps.log,
    ...(deps.projectId ? { projectId: deps.projectId } : {}),
    routes,
    maxBodyBytes: MAX_BODY_BYTES,
    cors: {
      allowedOrigins: deps.corsOrigins,
      allowedMethods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['authorization', 'content-type', GUEST_HEADER],
      allowCredentials: true,
    },
  });
}
