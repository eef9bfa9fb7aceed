/**
 * Wraps each contract route with what every request gets: authentication, and in mock mode
 * the scripted faults and the journal — both only for requests that passed authentication
 * (a refused request is counted, and nothing of it is stored), and no fault on a public
 * route (the token endpoint authenticates its caller itself). In mock mode the error is turned into its response
 * here (through `toErrorResponse`, the one mapping) because the journal must record the
 * answer CCAI Platform actually received; in real mode errors go to the HTTP app as usual.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { accountQuerySchema } from '../../shared/crm/contract';
import type { PhoneOptions } from '../../shared/crm/phone';
import { AppError, errorCodeForStatus, toErrorResponse } from '../../shared/errors';
import type { HttpResult, RequestContext, Route } from '../../shared/http/app';
import type { Authenticator } from './auth';
import { describeFault, type Fault, type FaultBook } from './mock/faults';
import type { JournalWriter, RefusedTally } from './mock/journal';
import type { ContractRoute } from './routes';

export interface MockLayer {
  journal: JournalWriter;
  /** Requests that failed authentication: counted here, never journaled (nothing of them is stored). */
  refused: RefusedTally;
  faults: FaultBook;
  phone: PhoneOptions;
}

export interface ServeOptions {
  auth: Authenticator;
  /** Present in mock mode only. */
  mock?: MockLayer;
}

export type ServedRoute = ContractRoute & { public?: boolean };

function faultError(f: Fault): AppError {
  const status = f.status!;
  return new AppError(errorCodeForStatus(status), status, `fault injected by the mock (${f.id})`, {
    ...(f.retryAfterSeconds != null ? { retryAfterSeconds: f.retryAfterSeconds } : {}),
  });
}

/** Applies the body-level faults to a successful answer. */
function corrupt(result: HttpResult, f: Fault | undefined): HttpResult {
  if (!f || result.json === undefined) return result;
  if (f.missingId) {
    const copy = structuredClone(result.json) as { data?: unknown };
    if (copy.data !== null && typeof copy.data === 'object') delete (copy.data as Record<string, unknown>)['id'];
    result = { ...result, json: copy };
  }
  if (f.malformedBody) {
    const text = JSON.stringify(result.json);
    return {
      status: result.status ?? 200,
      headers: { ...(result.headers ?? {}), 'content-type': 'application/json; charset=utf-8' },
      body: text.slice(0, Math.max(1, Math.floor(text.length / 2))),
    };
  }
  return result;
}

export function serveContractRoute(route: ServedRoute, options: ServeOptions): Route {
  const { auth, mock } = options;
  return {
    method: route.method,
    path: route.path,
    handle: async (ctx: RequestContext) => {
      const started = process.hrtime.bigint();
      let authMethod = route.public ? 'public' : 'none';
      let fault: Fault | undefined;
      let result: HttpResult;
      try {
        if (!route.public) authMethod = await auth.authenticate(ctx.req.headers);
        if (mock && !route.public) {
          fault = await mock.faults.take(route.operation);
          if (fault?.latencyMs) await sleep(fault.latencyMs);
          if (fault?.status != null) throw faultError(fault);
        }
        result = corrupt((await route.handle(ctx)) ?? { status: 204 }, fault);
      } catch (err) {
        const unauth = err instanceof AppError && err.status === 401 && !route.public;
        if (!mock) {
          if (unauth) ctx.res.setHeader('www-authenticate', auth.challenge);
          throw err;
        }
        if (unauth) authMethod = 'failed';
        const response = toErrorResponse(err);
        if (fault?.status != null) ctx.log.info('fault injected', { method: ctx.method, path: ctx.path, status: response.status, fault: fault.id });
        else if (response.status >= 500) ctx.log.error('request failed', { err, method: ctx.method, path: ctx.path, status: response.status });
        else
          ctx.log.info('request rejected', {
            method: ctx.method,
            path: ctx.path,
            status: response.status,
            code: response.body.code,
            reason: response.body.message,
          });
        result = { status: response.status, headers: { ...response.headers, ...(unauth ? { 'www-authenticate': auth.challenge } : {}) }, json: response.body };
      }
      // A public route authenticates inside (the token endpoint: client credentials); what it refused is not journaled.
      const authenticated = route.public ? (result.status ?? 200) < 400 : authMethod !== 'failed';
      if (mock && !authenticated) mock.refused.note(route.operation, result.status ?? 200);
      else if (mock) {
        const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
        await mock.journal.write({
          operation: route.operation,
          request: {
            method: ctx.method,
            path: ctx.path,
            query: ctx.query.toString(),
            headers: ctx.req.headers,
            contentType: typeof ctx.req.headers['content-type'] === 'string' ? ctx.req.headers['content-type'] : undefined,
            rawBody: ctx.rawBody,
            body: ctx.req.body,
          },
          params: ctx.params,
          response: {
            status: result.status ?? 200,
            headers: result.headers ?? {},
            ...(result.json !== undefined ? { json: result.json } : {}),
            ...(typeof result.body === 'string' ? { text: result.body } : {}),
          },
          latencyMs,
          auth: authMethod,
          ...(fault ? { fault: describeFault(fault) } : {}),
          keys: lookupKeys(ctx, route, mock.phone),
        });
      }
      return result;
    },
  };
}

/** The normalised phone/email an account lookup asked for, so a miss still joins its session. */
function lookupKeys(ctx: RequestContext, route: ContractRoute, phone: PhoneOptions): string[] {
  if (route.operation !== 'findAccount') return [];
  const source = ctx.method === 'GET' ? Object.fromEntries(ctx.query.entries()) : ctx.req.body;
  const parsed = accountQuerySchema(phone).safeParse(source ?? {});
  if (!parsed.success) return [];
  const keys: string[] = [];
  if (parsed.data.phone) keys.push(`phone:${parsed.data.phone}`);
  if (parsed.data.email) keys.push(`email:${parsed.data.email}`);
  return keys;
}
