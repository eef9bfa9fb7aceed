/**
 * The contract's core: one `handle…(deps, input)` per operation, on parsed input and the
 * CRM port. The same handlers serve mock mode (the Firestore-backed mock CRM) and real mode
 * (a CRM adapter); HTTP parsing lives in ./routes and mock-only behaviour in ./mock.
 */
import { compact } from '../../shared/crm/contract';
import { crmNotFound } from '../../shared/crm/errors';
import type { AccountQuery, CrmClient, NewAccount, NewComment, NewRecord, RecordQuery, RecordUpdate } from '../../shared/crm/port';
import { AppError, badRequest, payloadTooLarge } from '../../shared/errors';
import type { BlobStore } from '../../shared/ports/blobstore';

export interface ContractDeps {
  crm: CrmClient;
  /** Buckets attachments may reference, by name. */
  buckets: Map<string, BlobStore>;
  maxAttachmentBytes: number;
}

export interface HandlerResult {
  status: number;
  json: unknown;
}

const found = (data: unknown): HandlerResult => ({ status: 200, json: { found: data !== undefined, data: data ?? null } });
const created = (data: unknown): HandlerResult => ({ status: 201, json: { data } });
const ok = (data: unknown): HandlerResult => ({ status: 200, json: { data } });

export async function handleFindAccount(deps: ContractDeps, query: AccountQuery): Promise<HandlerResult> {
  return found(await deps.crm.findAccount(query));
}

export async function handleCreateAccount(deps: ContractDeps, input: NewAccount): Promise<HandlerResult> {
  return created(await deps.crm.createAccount(input));
}

export async function handleUpdateAccount(deps: ContractDeps, id: string, patch: NewAccount): Promise<HandlerResult> {
  return ok(await deps.crm.updateAccount(id, patch));
}

export async function handleFindRecord(deps: ContractDeps, query: RecordQuery): Promise<HandlerResult> {
  // One criterion is asked of the CRM, the most specific one given.
  const q: RecordQuery = query.id !== undefined ? { id: query.id } : query.sessionId !== undefined ? { sessionId: query.sessionId } : compact({ accountId: query.accountId });
  return found(await deps.crm.findRecord(q));
}

export async function handleCreateRecord(deps: ContractDeps, input: NewRecord): Promise<HandlerResult> {
  return created(await deps.crm.createRecord(input));
}

export async function handleUpdateRecord(deps: ContractDeps, id: string, update: RecordUpdate): Promise<HandlerResult> {
  return ok(await deps.crm.updateRecord(id, update));
}

export async function handleAddComment(deps: ContractDeps, recordId: string, comment: NewComment): Promise<HandlerResult> {
  const result = await deps.crm.addComment(recordId, comment);
  return created({ id: result.id, recordId });
}

export type AttachmentSource = { kind: 'bytes'; content: Buffer } | { kind: 'url'; url: string } | { kind: 'object'; reference: string };

export interface AttachmentInput {
  fileName: string;
  contentType: string | undefined;
  idempotencyKey: string | undefined;
  source: AttachmentSource;
}

export async function handleAddAttachment(deps: ContractDeps, recordId: string, input: AttachmentInput): Promise<HandlerResult> {
  let content: Buffer | undefined;
  let url: string | undefined;
  let contentType = input.contentType;
  if (input.source.kind === 'bytes') content = input.source.content;
  else if (input.source.kind === 'url') url = input.source.url;
  else {
    // Reading an object is costly; make sure the record exists before doing it.
    if (!(await deps.crm.findRecord({ id: recordId }))) throw crmNotFound('record', recordId);
    const object = await readBucketObject(deps, input.source.reference);
    content = object.content;
    contentType ??= object.contentType;
  }
  if (content !== undefined && content.length > deps.maxAttachmentBytes) throw payloadTooLarge(deps.maxAttachmentBytes);
  const attachment = compact({ fileName: input.fileName, contentType: contentType ?? 'application/octet-stream', content, url, idempotencyKey: input.idempotencyKey });
  const result = await deps.crm.addAttachment(recordId, attachment);
  return created(compact({ id: result.id, recordId, fileName: input.fileName, contentType: attachment.contentType, size: content?.length, url }));
}

/** `gs://bucket/path` or `bucket/path` (or a bare path in the only configured bucket). */
export function parseObjectReference(reference: string, allowed: string[]): { bucket: string; path: string } {
  const ref = reference.replace(/^gs:\/\//, '');
  const slash = ref.indexOf('/');
  const bucket = slash > 0 ? ref.slice(0, slash) : undefined;
  if (bucket !== undefined && allowed.includes(bucket)) return { bucket, path: ref.slice(slash + 1) };
  if (!reference.startsWith('gs://') && allowed.length === 1) return { bucket: allowed[0]!, path: ref };
  throw new AppError('invalid_body', 400, `invalid request body: object: must name an object in one of the buckets ${allowed.join(', ') || '(none configured)'}`, {
    details: [{ path: 'object', message: `bucket must be one of ${allowed.join(', ') || '(none configured)'}` }],
  });
}

async function readBucketObject(deps: ContractDeps, reference: string): Promise<{ content: Buffer; contentType: string | undefined }> {
  const { bucket, path } = parseObjectReference(reference, [...deps.buckets.keys()]);
  if (path === '' || path.includes('..')) throw badRequest('object: not a valid object name');
  const store = deps.buckets.get(bucket)!;
  const info = await store.stat(path);
  if (!info) throw crmNotFound('object', `gs://${bucket}/${path}`);
  if (info.size > deps.maxAttachmentBytes) throw payloadTooLarge(deps.maxAttachmentBytes);
  const chunks: Buffer[] = [];
  for await (const chunk of store.read(path)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return { content: Buffer.concat(chunks), contentType: info.contentType };
}
