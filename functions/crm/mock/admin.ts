/**
 * The mock's admin surface, behind CRM_ADMIN_TOKEN: the journal (JSON and pages, with the
 * count of refused requests), the fault script, a dump of the mock's data, and reset. Everything a CCAI Platform admin needs to
 * test one endpoint at a time and see exactly what the platform sent.
 */
import * as z from 'zod';
import type { Secret } from '../../../shared/config';
import { AppError, isAppError } from '../../../shared/errors';
import type { HttpResult, RequestContext, Route } from '../../../shared/http/app';
import { parseBody, parseQuery } from '../../../shared/http/body';
import type { DocStore } from '../../../shared/ports/docstore';
import { checkAdmin } from '../auth';
import { MOCK_COLLECTIONS, resetMockData } from './docstore-crm';
import { type FaultBook, faultInputSchema } from './faults';
import { JOURNAL_COLLECTION, type JournalEntry, listJournal, type RefusedTally, sessionSequence } from './journal';
import { PAGE_HEADERS, renderIndexPage, renderSessionPage } from './pages';

export interface AdminDeps {
  store: DocStore;
  faults: FaultBook;
  refused: RefusedTally;
  adminToken: Secret | undefined;
}

const journalQuerySchema = z.object({
  session: z.string().max(200).optional(),
  record: z.string().max(200).optional(),
  account: z.string().max(200).optional(),
  key: z.string().max(300).optional(),
  limit: z.coerce.number({ error: 'must be a number' }).int().min(1).max(1000).default(100),
});

const resetSchema = z.object({ journal: z.boolean().default(true), faults: z.boolean().default(true) }).strict();

/** One fault, or `{faults: [...]}`; chosen by shape first so errors name the real fields. */
const faultListSchema = z.object({ faults: z.array(faultInputSchema).min(1).max(100) }).strict();

const entryJson = (e: JournalEntry) => ({ ...e, at: e.at.toISOString(), expireAt: e.expireAt.toISOString() });

export function adminRoutes(deps: AdminDeps): Route[] {
  // Reads accept Basic (a browser on the pages); changes need the bearer header, which a
  // browser neither caches nor sends cross-site (a cached Basic login would be replayed by a
  // cross-site form POST to /admin/reset).
  const guard =
    (handle: (ctx: RequestContext) => Promise<HttpResult>, browser = false) =>
    async (ctx: RequestContext): Promise<HttpResult> => {
      try {
        checkAdmin(ctx.req.headers, deps.adminToken, { allowBasic: ctx.method === 'GET' || ctx.method === 'HEAD' });
      } catch (err) {
        // Browsers prompt for Basic credentials on this challenge; the token is the password.
        if (isAppError(err) && err.status === 401 && browser) ctx.res.setHeader('www-authenticate', 'Basic realm="ccbridge-crm-admin"');
        throw err;
      }
      return handle(ctx);
    };
  // Relative links: the pages work whatever prefix the function is served under.
  const fromIndex = (id: string) => `view/sessions/${encodeURIComponent(id)}`;
  const fromRecord = (id: string) => `../sessions/${encodeURIComponent(id)}`;

  return [
    {
      method: 'GET',
      path: '/admin/journal',
      handle: guard(async (ctx) => {
        const q = parseQuery(ctx, journalQuerySchema);
        const key = q.session ? `session:${q.session}` : q.record ? `record:${q.record}` : q.account ? `account:${q.account}` : q.key;
        const entries = await listJournal(deps.store, { ...(key ? { key } : {}), limit: q.limit });
        return { json: { entries: entries.map(entryJson), refused: deps.refused.snapshot() } };
      }),
    },
    {
      method: 'GET',
      path: '/admin/sessions/:sessionId',
      handle: guard(async (ctx) => {
        const sessionId = ctx.params['sessionId']!;
        const entries = await sessionSequence(deps.store, sessionId);
        return { json: { sessionId, entries: entries.map(entryJson) } };
      }),
    },
    {
      method: 'GET',
      path: '/admin/faults',
      handle: guard(async () => ({ json: { faults: await deps.faults.list() } })),
    },
    {
      method: 'POST',
      path: '/admin/faults',
      handle: guard(async (ctx) => {
        const raw: unknown = ctx.req.body;
        const isList = raw !== null && typeof raw === 'object' && 'faults' in raw;
        const inputs = isList ? parseBody(ctx, faultListSchema).faults : [parseBody(ctx, faultInputSchema)];
        const added = [];
        for (const f of inputs) added.push(await deps.faults.add(f));
        return { status: 201, json: { faults: added } };
      }),
    },
    {
      method: 'DELETE',
      path: '/admin/faults',
      handle: guard(async () => ({ json: { deleted: await deps.faults.clear() } })),
    },
    {
      method: 'DELETE',
      path: '/admin/faults/:id',
      handle: guard(async (ctx) => {
        await deps.faults.remove(ctx.params['id']!);
        return { status: 204 };
      }),
    },
    {
      method: 'GET',
      path: '/admin/data',
      handle: guard(async () => {
        const dump = async (c: string) => (await deps.store.query(c, { limit: 1000 })).map((d) => d.data);
        return {
          json: {
            accounts: await dump(MOCK_COLLECTIONS.accounts),
            records: await dump(MOCK_COLLECTIONS.records),
            comments: await dump(MOCK_COLLECTIONS.comments),
            attachments: await dump(MOCK_COLLECTIONS.attachments),
          },
        };
      }),
    },
    {
      method: 'POST',
      path: '/admin/reset',
      handle: guard(async (ctx) => {
        const opts = ctx.rawBody.length > 0 ? parseBody(ctx, resetSchema) : { journal: true, faults: true };
        const collections: string[] = Object.values(MOCK_COLLECTIONS);
        if (opts.journal) collections.push(JOURNAL_COLLECTION);
        const deleted = await resetMockData(deps.store, collections);
        if (opts.faults) deleted['crmMockFaults'] = await deps.faults.clear();
        return { json: { deleted } };
      }),
    },
    {
      method: 'GET',
      path: '/admin/view',
      handle: guard(async () => {
        const entries = await listJournal(deps.store, { limit: 300 });
        return { headers: PAGE_HEADERS, body: renderIndexPage(entries, fromIndex) };
      }, true),
    },
    {
      method: 'GET',
      path: '/admin/view/sessions/:sessionId',
      handle: guard(async (ctx) => {
        const sessionId = ctx.params['sessionId']!;
        return { headers: PAGE_HEADERS, body: renderSessionPage(sessionId, await sessionSequence(deps.store, sessionId)) };
      }, true),
    },
    {
      method: 'GET',
      path: '/admin/view/records/:id',
      handle: guard(async (ctx) => {
        const doc = await deps.store.get(MOCK_COLLECTIONS.records, ctx.params['id']!);
        const sessionId = typeof doc?.['sessionId'] === 'string' ? doc['sessionId'] : undefined;
        if (!sessionId) throw new AppError('not_found', 404, `record ${ctx.params['id']} not found`);
        return { status: 302, headers: { location: fromRecord(sessionId) } };
      }, true),
    },
  ];
}
