/**
 * Be Aware 360's redirect endpoint, usable as CCAI Platform's Display URL
 * (`{CRM_BASE_URL}/ba360/open/{RECORD_ID}`) or as a screen-pop link: it obtains a fresh
 * external-system token server-side and redirects to the integration URL, so the BA360
 * credentials never travel to a browser. Only record ids this function signed are opened;
 * links for other parameters are minted by an authenticated POST /ba360/links.
 */
import * as z from 'zod';
import type { Ba360 } from '../../shared/crm/adapters/ba360';
import { compact } from '../../shared/crm/contract';
import { AppError } from '../../shared/errors';
import type { Route } from '../../shared/http/app';
import { parseBody } from '../../shared/http/body';
import type { Authenticator } from './auth';

const text = (max: number) => z.preprocess((v) => (typeof v === 'string' && v.trim() === '' ? undefined : v), z.string().trim().max(max).optional());

const linkRequestSchema = z.object({
  channel: z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(40),
  interactionId: z.string({ error: 'required' }).trim().min(1, { error: 'required' }).max(120, { error: 'at most 120 characters' }),
  contact: text(200),
  account: text(200),
  case: text(200),
});

export function ba360Routes(ba360: Ba360, auth: Authenticator): Route[] {
  return [
    {
      method: 'GET',
      path: '/ba360/open/:recordId',
      handle: async (ctx) => {
        const link = ba360.verify(ctx.params['recordId'] ?? '');
        if (!link) throw new AppError('not_found', 404, 'unknown or tampered Be Aware 360 link');
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
