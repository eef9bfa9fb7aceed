/**
 * The operator function's routes: GET /page (the page; GET / stays the bundle's health answer), GET /api/trace?id=…, GET /api/day?day=…
 * (the JSON the page and `npm run trace -- --json` share). Read-only; the caller is checked by
 * Cloud Run's invoker IAM before a request gets here (access "iam" in functions.json).
 */
import * as z from 'zod';
import { badRequest } from '../../shared/errors';
import { createHttpApp, type HttpFunction, type RequestContext } from '../../shared/http/app';
import { headerValue } from '../../shared/http/headers';
import { IAP_ASSERTION_HEADER, type IapVerifier } from '../../shared/http/iap-assertion';
import { parseBody, parseQuery } from '../../shared/http/body';
import type { Logger } from '../../shared/logging';
import { type DayDeps, dayView, isUtcDay } from '../../shared/trace/day';
import { looksLikePhone } from '../../shared/phone';
import { type TraceDeps, traceInteraction } from '../../shared/trace/trace';
import { renderPage } from './page';

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const idSchema = z.string().trim().min(1, { error: 'required' }).max(200, { error: 'at most 200 characters' });
const daySchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be YYYY-MM-DD' })
  .refine(isUtcDay, { error: 'not a calendar day' });
const pageInputSchema = z.looseObject({ id: z.preprocess(blankToUndefined, idSchema.optional()), day: z.preprocess(blankToUndefined, daySchema.optional()) });
/** Phone numbers travel in POST bodies only: a URL ends up in request logs and browser history. */
const queryInputSchema = pageInputSchema.refine((v) => v.id === undefined || !looksLikePhone(v.id), {
  error: 'a phone number must be sent in a POST body, never in the URL',
  path: ['id'],
});

export interface OperatorAppDeps {
  trace: TraceDeps;
  day: DayDeps;
  now: () => Date;
  log: Logger;
  projectId: string;
  /** When the page is behind IAP: every page and JSON request must carry a valid IAP assertion. */
  requireIap?: IapVerifier;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
};

export function createOperatorApp(deps: OperatorAppDeps): HttpFunction {
  const today = () => deps.now().toISOString().slice(0, 10);
  const page = async (input: z.output<typeof pageInputSchema>) => {
    const [trace, view] = await Promise.all([
      input.id === undefined ? undefined : traceInteraction(deps.trace, input.id),
      dayView(deps.day, input.day ?? today()),
    ]);
    return { status: 200, headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' }, body: renderPage({ id: input.id, trace, day: view }) };
  };
  const traceJson = async (id: string | undefined) => {
    if (id === undefined) throw badRequest('invalid query: id: required');
    return { status: 200, headers: SECURITY_HEADERS, json: await traceInteraction(deps.trace, id) };
  };
  // Only the signed assertion is read (never the forgeable x-goog-authenticated-user-* headers).
  const guarded =
    (handle: (ctx: RequestContext) => Promise<{ status: number; headers: Record<string, string>; body?: string; json?: unknown }>) =>
    async (ctx: RequestContext) => {
      if (deps.requireIap) await deps.requireIap.verify(headerValue(ctx.req.headers, IAP_ASSERTION_HEADER));
      return handle(ctx);
    };
  return createHttpApp({
    name: 'operator',
    log: deps.log,
    projectId: deps.projectId,
    routes: [
      { method: 'GET', path: '/page', handle: guarded(async (ctx) => page(parseQuery(ctx, queryInputSchema))) },
      // The page's form posts, so a number typed in never lands in a URL.
      { method: 'POST', path: '/page', handle: guarded(async (ctx) => page(parseBody(ctx, pageInputSchema))) },
      { method: 'GET', path: '/api/trace', handle: guarded(async (ctx) => traceJson(parseQuery(ctx, queryInputSchema).id)) },
      { method: 'POST', path: '/api/trace', handle: guarded(async (ctx) => traceJson(parseBody(ctx, pageInputSchema).id)) },
      {
        method: 'GET',
        path: '/api/day',
        handle: guarded(async (ctx) => ({
          status: 200,
          headers: SECURITY_HEADERS,
          json: await dayView(deps.day, parseQuery(ctx, pageInputSchema).day ?? today()),
        })),
      },
    ],
  });
}
