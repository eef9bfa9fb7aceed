/**
 * The operator function's routes: GET / (the page), GET /api/trace?id=…, GET /api/day?day=…
 * (the JSON the page and `npm run trace -- --json` share). Read-only; the caller is checked by
 * Cloud Run's invoker IAM before a request gets here (access "iam" in functions.json).
 */
import * as z from 'zod';
import { badRequest } from '../../shared/errors';
import { createHttpApp, type HttpFunction, type RequestContext } from '../../shared/http/app';
import type { Logger } from '../../shared/logging';
import { type DayDeps, dayView } from '../../shared/trace/day';
import { type TraceDeps, traceInteraction } from '../../shared/trace/trace';
import { renderPage } from './page';

const idSchema = z.string().trim().min(1, { error: 'id: required' }).max(200, { error: 'id: at most 200 characters' });
const daySchema = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'day: must be YYYY-MM-DD' }).refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)), { error: 'day: not a date' });

export interface OperatorAppDeps {
  trace: TraceDeps;
  day: DayDeps;
  now: () => Date;
  log: Logger;
  projectId: string;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

function param<T>(ctx: RequestContext, name: string, schema: z.ZodType<T>): T | undefined {
  const raw = ctx.query.get(name);
  if (raw === null || raw === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw badRequest(parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}

export function createOperatorApp(deps: OperatorAppDeps): HttpFunction {
  const today = () => deps.now().toISOString().slice(0, 10);
  return createHttpApp({
    name: 'operator',
    log: deps.log,
    projectId: deps.projectId,
    routes: [
      {
        method: 'GET',
        path: '/',
        handle: async (ctx) => {
          const id = param(ctx, 'id', idSchema);
          const day = param(ctx, 'day', daySchema) ?? today();
          const [trace, view] = await Promise.all([id === undefined ? undefined : traceInteraction(deps.trace, id), dayView(deps.day, day)]);
          return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' }, body: renderPage({ id, trace, day: view }) };
        },
      },
      {
        method: 'GET',
        path: '/api/trace',
        handle: async (ctx) => {
          const id = param(ctx, 'id', idSchema);
          if (id === undefined) throw badRequest('id: required');
          return { status: 200, headers: SECURITY_HEADERS, json: await traceInteraction(deps.trace, id) };
        },
      },
      {
        method: 'GET',
        path: '/api/day',
        handle: async (ctx) => ({ status: 200, headers: SECURITY_HEADERS, json: await dayView(deps.day, param(ctx, 'day', daySchema) ?? today()) }),
      },
    ],
  });
}
