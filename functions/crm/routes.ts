/**
 * The contract's HTTP surface: paths and methods CCAI Platform is configured with, each
 * parsed with zod into the core handlers' input. Lookups are offered as GET with a query
 * and as POST …/search with a body, updates as PATCH, PUT and POST, because admins pick the
 * method per operation in the Generic API form.
 */
import {
  accountPatchSchema,
  accountQuerySchema,
  attachmentJsonSchema,
  compact,
  contentTypeSchema,
  fileNameSchema,
  newAccountSchema,
  newCommentSchema,
  newRecordSchema,
  recordQuerySchema,
  recordUpdateSchema,
} from '../../shared/crm/contract';
import type { PhoneOptions } from '../../shared/crm/phone';
import { type RecordFieldTarget, recordFieldProblems } from '../../shared/crm/record-fields';
import { AppError, payloadTooLarge } from '../../shared/errors';
import type { HttpResult, Method, RequestContext, Route } from '../../shared/http/app';
import { parseBody, parseQuery } from '../../shared/http/body';
import { headerValue } from '../../shared/http/headers';
import {
  type AttachmentInput,
  type ContractDeps,
  handleAddAttachment,
  handleAddComment,
  handleCreateAccount,
  handleCreateRecord,
  handleFindAccount,
  handleFindRecord,
  handleUpdateAccount,
  handleUpdateRecord,
} from './handlers';
import type { Operation } from './mock/faults';
import { fileNameFromDisposition, parseMultipart } from './multipart';

export interface ContractRoute extends Route {
  operation: Operation;
}

export interface RouteOptions {
  phone: PhoneOptions;
  maxJsonBytes: number;
  /** The CRM behind this contract, whose field-name rule a record update's `fields` must meet (undefined: not checked here). */
  fieldTarget?: RecordFieldTarget;
}

const MAX_ID = 200;

// No CRM this contract serves (ServiceNow sys_ids, Salesforce, Zendesk and mock ids) uses '/',
// control characters, '.'/'..' or Firestore's reserved __name__ form in an id; a path segment
// that does (e.g. a decoded `..%2F..%2Fx`) is hostile, and in mock mode would not even name a
// document.
const UNUSABLE_ID = /\/|^\.\.?$|^__.*__$/;
const hasControlCharacter = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

function idParam(ctx: RequestContext, name = 'id'): string {
  const id = ctx.params[name] ?? '';
  if (id.length === 0 || id.length > MAX_ID) throw new AppError('bad_request', 400, `${name} in the path must be 1-${MAX_ID} characters`);
  if (UNUSABLE_ID.test(id) || hasControlCharacter(id))
    throw new AppError('bad_request', 400, `${name} in the path must not contain '/' or control characters, be '.' or '..', or have the form __name__`);
  return id;
}

/** Idempotency-Key header, or the body's idempotencyKey; both given must agree. */
function idempotencyKey(ctx: RequestContext, fromBody: string | undefined): string | undefined {
  const header = headerValue(ctx.req.headers, 'idempotency-key')?.trim();
  if (header !== undefined && header.length > MAX_ID) throw new AppError('bad_request', 400, `Idempotency-Key must be at most ${MAX_ID} characters`);
  if (header && fromBody && header !== fromBody) throw new AppError('bad_request', 400, 'Idempotency-Key header and body idempotencyKey differ');
  return header || fromBody;
}

function limitJson(ctx: RequestContext, max: number): void {
  if (ctx.rawBody.length > max) throw payloadTooLarge(max);
}

export function contractRoutes(deps: ContractDeps, options: RouteOptions): ContractRoute[] {
  const json = (ctx: RequestContext) => limitJson(ctx, options.maxJsonBytes);
  const route = (method: Method, path: string, operation: Operation, handle: (ctx: RequestContext) => Promise<HttpResult>): ContractRoute => ({
    method,
    path,
    operation,
    handle,
  });
  const accountQuery = accountQuerySchema(options.phone);
  const newAccount = newAccountSchema(options.phone);
  const accountPatch = accountPatchSchema(options.phone);

  const updateAccount = async (ctx: RequestContext) => {
    json(ctx);
    return handleUpdateAccount(deps, idParam(ctx), compact(parseBody(ctx, accountPatch)));
  };
  const updateRecord = async (ctx: RequestContext) => {
    json(ctx);
    const update = compact(parseBody(ctx, recordUpdateSchema));
    const problems = options.fieldTarget === undefined ? [] : recordFieldProblems(options.fieldTarget, Object.keys(update.fields ?? {}), 'fields');
    if (problems.length > 0) throw new AppError('invalid_body', 400, `invalid record update: ${problems.join('; ')}`);
    return handleUpdateRecord(deps, idParam(ctx), update);
  };

  // CCAI Platform substitutes a missing id with "": ".../records//comments" reaches these.
  const missingId = (what: 'record' | 'account') => async (): Promise<HttpResult> => {
    throw new AppError(
      'bad_request',
      400,
      `the ${what} id is missing from the path (…/${what}s/{${what.toUpperCase()}_ID}…): the step that should have produced it failed or answered no id`,
    );
  };

  return [
    route('POST', '/records/comments', 'addComment', missingId('record')),
    route('POST', '/records/attachments', 'addAttachment', missingId('record')),
    route('PATCH', '/records', 'updateRecord', missingId('record')),
    route('PUT', '/records', 'updateRecord', missingId('record')),
    route('PATCH', '/accounts', 'updateAccount', missingId('account')),
    route('PUT', '/accounts', 'updateAccount', missingId('account')),
    route('GET', '/accounts', 'findAccount', async (ctx) => handleFindAccount(deps, compact(parseQuery(ctx, accountQuery)))),
    route('POST', '/accounts/search', 'findAccount', async (ctx) => {
      json(ctx);
      return handleFindAccount(deps, compact(parseBody(ctx, accountQuery)));
    }),
    route('POST', '/accounts', 'createAccount', async (ctx) => {
      json(ctx);
      return handleCreateAccount(deps, compact(parseBody(ctx, newAccount)));
    }),
    route('PATCH', '/accounts/:id', 'updateAccount', updateAccount),
    route('PUT', '/accounts/:id', 'updateAccount', updateAccount),
    route('POST', '/accounts/:id', 'updateAccount', updateAccount),

    route('GET', '/records', 'findRecord', async (ctx) => handleFindRecord(deps, compact(parseQuery(ctx, recordQuerySchema)))),
    route('POST', '/records/search', 'findRecord', async (ctx) => {
      json(ctx);
      return handleFindRecord(deps, compact(parseBody(ctx, recordQuerySchema)));
    }),
    route('GET', '/records/:id', 'findRecord', async (ctx) => handleFindRecord(deps, { id: idParam(ctx) })),
    route('POST', '/records', 'createRecord', async (ctx) => {
      json(ctx);
      const input = parseBody(ctx, newRecordSchema);
      return handleCreateRecord(deps, compact({ ...input, idempotencyKey: idempotencyKey(ctx, input.idempotencyKey) }));
    }),
    route('PATCH', '/records/:id', 'updateRecord', updateRecord),
    route('PUT', '/records/:id', 'updateRecord', updateRecord),
    route('POST', '/records/:id', 'updateRecord', updateRecord),
    route('POST', '/records/:id/comments', 'addComment', async (ctx) => {
      json(ctx);
      const recordId = idParam(ctx);
      const input = parseBody(ctx, newCommentSchema);
      return handleAddComment(deps, recordId, compact({ ...input, idempotencyKey: idempotencyKey(ctx, input.idempotencyKey) }));
    }),
    route('POST', '/records/:id/attachments', 'addAttachment', async (ctx) => {
      const recordId = idParam(ctx);
      return handleAddAttachment(deps, recordId, parseAttachment(ctx, options));
    }),
  ];
}

const problem = (path: string, message: string) =>
  new AppError('invalid_body', 400, `invalid request body: ${path}: ${message}`, { details: [{ path, message }] });

/** JSON (url / object / base64), multipart/form-data (a `file` part) or the raw bytes. */
function parseAttachment(ctx: RequestContext, options: RouteOptions): AttachmentInput {
  const type = (headerValue(ctx.req.headers, 'content-type') ?? '').toLowerCase();
  if (type.startsWith('application/json')) {
    limitJson(ctx, options.maxJsonBytes);
    const a = parseBody(ctx, attachmentJsonSchema);
    const source: AttachmentInput['source'] =
      a.url !== undefined
        ? { kind: 'url', url: a.url }
        : a.object !== undefined
          ? { kind: 'object', reference: a.object }
          : { kind: 'bytes', content: Buffer.from(a.contentBase64 ?? '', 'base64') };
    return { fileName: a.fileName, contentType: a.contentType, idempotencyKey: idempotencyKey(ctx, a.idempotencyKey), source };
  }
  if (type.startsWith('multipart/form-data')) {
    const parts = parseMultipart(ctx.rawBody, headerValue(ctx.req.headers, 'content-type') ?? '');
    const file = parts.find((p) => p.name === 'file') ?? parts.find((p) => p.fileName !== undefined);
    if (!file) throw problem('file', 'a multipart upload needs a part named "file"');
    const field = (name: string) => {
      const v = parts
        .find((p) => p.name === name && p.fileName === undefined)
        ?.data.toString('utf8')
        .trim();
      return v === '' ? undefined : v;
    };
    const fileName = checked('fileName', fileNameSchema, field('fileName') ?? file.fileName);
    const contentType = file.contentType ?? field('contentType');
    if (file.data.length === 0) throw problem('file', 'the uploaded file is empty');
    return {
      fileName,
      contentType: contentType === undefined ? undefined : checked('contentType', contentTypeSchema, contentType),
      idempotencyKey: idempotencyKey(ctx, field('idempotencyKey')),
      source: { kind: 'bytes', content: Buffer.from(file.data) },
    };
  }
  // Anything else is the file itself: name from ?fileName= or Content-Disposition.
  const fileName = checked(
    'fileName',
    fileNameSchema,
    ctx.query.get('fileName') ?? fileNameFromDisposition(headerValue(ctx.req.headers, 'content-disposition')),
  );
  if (ctx.rawBody.length === 0) throw problem('(body)', 'the request body (the file) is empty');
  const contentType = type.split(';')[0]?.trim();
  return {
    fileName,
    contentType: contentType ? checked('content-type', contentTypeSchema, contentType) : undefined,
    idempotencyKey: idempotencyKey(ctx, ctx.query.get('idempotencyKey') ?? undefined),
    source: { kind: 'bytes', content: ctx.rawBody },
  };
}

function checked(path: string, schema: typeof fileNameSchema, value: string | undefined): string {
  const result = schema.safeParse(value);
  if (!result.success) throw problem(path, result.error.issues[0]?.message ?? 'invalid');
  return result.data;
}
