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
import { safeSegment } from '../../shared/zoom/artifacts';

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
  const q: RecordQuery =
    query.id !== undefined ? { id: query.id } : query.sessionId !== undefined ? { sessionId: query.sessionId } : compact({ accountId: query.accountId });
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
    const record = await deps.crm.findRecord({ id: recordId });
    if (!record) throw crmNotFound('record', recordId);
    const object = await readOwnArtifact(deps, input.source.reference, { id: recordId, sessionId: record.sessionId });
    content = object.content;
    contentType ??= object.contentType;
  }
  if (content !== undefined && content.length > deps.maxAttachmentBytes) throw payloadTooLarge(deps.maxAttachmentBytes);
  const attachment = compact({
    fileName: input.fileName,
    contentType: contentType ?? 'application/octet-stream',
    content,
    url,
    idempotencyKey: input.idempotencyKey,
  });
  const result = await deps.crm.addAttachment(recordId, attachment);
  return created(compact({ id: result.id, recordId, fileName: input.fileName, contentType: attachment.contentType, size: content?.length, url }));
}

/** `gs://bucket/path` or `bucket/path` (or a bare path in the only configured bucket). */
function parseObjectReference(reference: string, allowed: string[]): { bucket: string; path: string } {
  const ref = reference.replace(/^gs:\/\//, '');
  const slash = ref.indexOf('/');
  const bucket = slash > 0 ? ref.slice(0, slash) : undefined;
  if (bucket !== undefined && allowed.includes(bucket)) return { bucket, path: ref.slice(slash + 1) };
  if (!reference.startsWith('gs://') && allowed.length === 1) return { bucket: allowed[0]!, path: ref };
  throw new AppError(
    'invalid_body',
    400,
    `invalid request body: object: must name an object in one of the buckets ${allowed.join(', ') || '(none configured)'}`,
    {
      details: [{ path: 'object', message: `bucket must be one of ${allowed.join(', ') || '(none configured)'}` }],
    },
  );
}

/**
 * The bytes of an object that is one of the record's own artifacts (see `isOwnArtifact`).
 * A missing object and another record's object get the same 404, so the form cannot be used
 * to learn what the buckets hold.
 */
async function readOwnArtifact(
  deps: ContractDeps,
  reference: string,
  record: { id: string; sessionId: string | undefined },
): Promise<{ content: Buffer; contentType: string | undefined }> {
  const { bucket, path } = parseObjectReference(reference, [...deps.buckets.keys()]);
  if (path === '' || path.includes('..')) throw badRequest('object: not a valid object name');
  const store = deps.buckets.get(bucket)!;
  const info = await store.stat(path);
  if (!info || record.sessionId === undefined || !isOwnArtifact(path, info.metadata, record.sessionId)) {
    throw new AppError('not_found', 404, `object gs://${bucket}/${path} is not among the artifacts of record ${record.id}`);
  }
  if (info.size > deps.maxAttachmentBytes) throw payloadTooLarge(deps.maxAttachmentBytes);
  const chunks: Buffer[] = [];
  for await (const chunk of store.read(path)) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return { content: Buffer.concat(chunks), contentType: info.contentType };
}

/** CCAI Platform's external-storage file names for a session id (docs/contracts/ccai-platform.md). */
const CCAI_FILE = /^(?:call|chat|metadata|email)-(.+?)(?:-(?:photo|video)-\d+)?\.[A-Za-z0-9]+$/;

/**
 * Whether an archived object belongs to the record of session `sessionId`:
 * - an artifact the interaction worker archived: it lays them out as
 *   `<prefix>/yyyy/mm/dd/<engagement>/<key>.<ext>` (shared/zoom/artifacts `artifactPath`) with
 *   object metadata `engagementId`, and the CRM record it links them to has that engagement id
 *   as its `sessionId` — both must name this session;
 * - a file CCAI Platform wrote to its external storage for this session: `call-{id}.mp3`,
 *   `chat-{id}.txt`, `metadata-{id}.json`, `email-{id}.pdf`, `call-{id}-photo-{n}.jpg`, … with
 *   `{id}` the session id.
 */
function isOwnArtifact(path: string, metadata: Record<string, string>, sessionId: string): boolean {
  const segments = path.split('/');
  const folder = segments.at(-2);
  if (metadata['engagementId'] !== undefined) return metadata['engagementId'] === sessionId && folder === safeSegment(sessionId);
  return CCAI_FILE.exec(segments.at(-1) ?? '')?.[1] === sessionId;
}
