/**
 * Be Aware 360's redirect endpoint, usable as CCAI Platform's Display URL
 * (`{CRM_BASE_URL}/ba360/open/{RECORD_ID}`) or as a screen-pop link: it obtains a fresh
 * external-system token server-side and redirects to the integration URL, so the BA360
 * credentials never travel to a browser. Only record ids this function signed, and not yet
 * expired (BA360_LINK_TTL_S), are opened; visits are limited per link and per client address
 * (BA360_OPEN_RATE_PER_MIN) and reuse one upstream token per BA360_TOKEN_TTL_S. Links for
 * other parameters are minted by an authenticated POST /ba360/links.
 */
import * as z from 'zod';
import type { Ba360 } from '../../shared/crm/adapters/ba360';
import { compact } from '../../shared/crm/contract';
import { AppError } from '../../shared/errors';
import type { Route } from '../../shared/http/app';
import { parseBody } from '../../shared/http/body';
import type { Authenticator } from './auth';
import type { VisitLimiter } from './ba360-limits';

const text = (max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().max(max).optional());

const linkRequestSchema = z.object({
  channel: z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(40),
  interactionId: z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(120, { error: 'at most 120 characters' }),
  contact: text(200),
  account: text(200),
  case: text(200),
});

/** The client address as the Google front end reports it (first X-Forwarded-For hop), else the socket's. */
function clientAddress(headers: Record<string, string | string[] | undefined>, socket: string | undefined): string {
  const forwarded = headers['x-forwarded-for'];
  const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim();
  return first || socket || 'unknown';
}

export function ba360Routes(ba360: Ba360, auth: Authenticator, limiter: VisitLimiter): Route[] {
  return [
    {
      method: 'GET',
      path: '/ba360/open/:recordId',
      handle: async (ctx) => {
        const recordId = ctx.params['recordId'] ?? '';
        const wait = limiter.admit([`ip:${clientAddress(ctx.req.headers, ctx.req.socket?.remoteAddress)}`, `link:${recordId.slice(-22)}`]);
        if (wait !== undefined)
          throw new AppError('rate_limited', 429, 'too many visits of Be Aware 360 links; retry later', { retryAfterSeconds: wait, retryable: true });
        const link = ba360.verify(recordId, { fresh: true });
        if (!link) throw new AppError('not_found', 404, 'unknown, tampered or expired Be Aware 360 link');
        const location = await ba360.integrationUrl(link);
        ctx.log.info('ba360 redirect', { channel: link.channel });
        // The target carries a session token: keep it out of caches and referrers.
        return { status: 302, headers: { location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' } };
      },
    },
    {
      method: 'POST',
      path: '/ba360/links',
      handle: async (ctx) => {
        try {
          await auth.authenticate(ctx.req.headers);
        } catch (err) {
          ctx.res.setHeader('www-authenticate', auth.challenge);
          throw err;
        }
        const input = parseBody(ctx, linkRequestSchema);
        const link = ba360.check(compact(input));
        const id = ba360.sign(link);
        return { status: 201, json: { data: compact({ id, url: ba360.redirectUrl(id) }) } };
      },
    },
  ];
}
