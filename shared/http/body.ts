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

/** Parses request input already read (body fields or query values) with `schema`; a failure is a 400 listing every problem. */
export function parseInput<S extends z.ZodType>(code: 'invalid_body' | 'invalid_query', value: unknown, schema: S): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = describeIssues(result.error);
  const summary = problems.map((p) => `${p.path}: ${p.message}`).join('; ');
  throw new AppError(code, 400, `invalid ${code === 'invalid_body' ? 'request body' : 'query'}: ${summary}`, { details: problems });
}

/** Parses a JSON or form body (Functions Framework has decoded both into `req.body`). */
export function parseBody<S extends z.ZodType>(ctx: RequestContext, schema: S): z.output<S> {
  const body: unknown = ctx.req.body;
  const value = Buffer.isBuffer(body) || typeof body === 'string' ? (ctx.rawBody.length === 0 ? undefined : parseJson(ctx.rawBody)) : body;
  return parseInput('invalid_body', value ?? {}, schema);
}

export function parseQuery<S extends z.ZodType>(ctx: RequestContext, schema: S): z.output<S> {
  return parseInput('invalid_query', Object.fromEntries(ctx.query.entries()), schema);
}

/** A raw body as JSON (an empty one is not JSON either), no deeper than any caller walks. */
export function parseJson(raw: Buffer): unknown {
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
