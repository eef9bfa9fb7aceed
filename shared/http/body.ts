/**
 * Parsing request input with zod. A failure is a 400 that lists every problem by path,
 * so a caller can fix all of them at once; nothing downstream runs.
 */
import type * as z from 'zod';
import { AppError } from '../errors';
import { exceedsJsonDepth, MAX_JSON_DEPTH } from '../json-depth';
import type { RequestContext } from './app';

export interface Problem {
  path: string;
  message: string;
}

export function describeIssues(error: z.ZodError): Problem[] {
  return error.issues.map((i) => ({ path: i.path.length > 0 ? i.path.join('.') : '(root)', message: i.message }));
}

function invalid(code: 'invalid_body' | 'invalid_query', what: string, error: z.ZodError): AppError {
  const problems = describeIssues(error);
  const summary = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  return new AppError(code, 400, `invalid ${what}: ${summary}`, { details: problems });
}

/** Parses a JSON or form body (Functions Framework has decoded both into `req.body`). */
export function parseBody<S extends z.ZodType>(ctx: RequestContext, schema: S): z.output<S> {
  const body: unknown = ctx.req.body;
  const value = Buffer.isBuffer(body) || typeof body === 'string' ? parseJsonText(ctx.rawBody) : body;
  const result = schema.safeParse(value ?? {});
  if (!result.success) throw invalid('invalid_body', 'request body', result.error);
  return result.data;
}

export function parseQuery<S extends z.ZodType>(ctx: RequestContext, schema: S): z.output<S> {
  const result = schema.safeParse(Object.fromEntries(ctx.query.entries()));
  if (!result.success) throw invalid('invalid_query', 'query', result.error);
  return result.data;
}

/** For bodies that arrived with a non-JSON content type; empty → undefined. */
function parseJsonText(raw: Buffer): unknown {
  if (raw.length === 0) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new AppError('invalid_body', 400, 'request body is not valid JSON');
  }
  assertJsonDepth(value);
  return value;
}

/** Refuses a parsed body nesting deeper than any caller's (see ../json-depth). */
export function assertJsonDepth(value: unknown): void {
  if (exceedsJsonDepth(value)) throw new AppError('invalid_body', 400, `request body nests deeper than ${MAX_JSON_DEPTH} levels`);
}
