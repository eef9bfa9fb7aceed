/**
 * The stand-in's behaviour, one method per RPC, independent of gRPC: databases in memory,
 * reads (with transactions), atomic commits, non-atomic batch writes, queries,
 * aggregations, listings, and a report of every document write as it happens.
 */
import { randomInt } from 'node:crypto';
import { aggregate, compileAggregations } from './aggregation';
import { Database, type StoredDocument } from './database';
import { FirestoreApiError, invalidArgument, notFound, unimplemented } from './errors';
import { parseFieldPath, projectFields } from './field-paths';
import { checkDatabaseName, checkId, comparePaths, compareSegment, documentsRoot, parseDocumentName, parseParentName } from './names';
import { type CompiledQuery, compileQuery, runQuery, selectFields } from './query';
import { Clock, checkTimestamp, toTimestamp } from './time';
import { type Transaction, Transactions } from './transactions';
import { plainFields } from './values';
import type {
  BatchGetDocumentsRequest,
  BatchGetDocumentsResponse,
  BatchWriteRequest,
  BatchWriteResponse,
  BeginTransactionRequest,
  CommitRequest,
  CommitResponse,
  CreateDocumentRequest,
  DeleteDocumentRequest,
  GetDocumentRequest,
  ListCollectionIdsRequest,
  ListDocumentsRequest,
  ListDocumentsResponse,
  OutDocument,
  RollbackRequest,
  RunAggregationQueryRequest,
  RunAggregationQueryResponse,
  RunQueryRequest,
  RunQueryResponse,
  UpdateDocumentRequest,
  WireConsistency,
  WireDocumentMask,
  WireWrite,
} from './wire';
import { type PlannedWrite, planWrite } from './writes';

export interface DocumentWrite {
  kind: 'create' | 'update' | 'delete';
  /** e.g. "projects/p/databases/(default)/documents/conversations/abc" */
  path: string;
  /** Plain values: strings, numbers, booleans, null, arrays, maps; timestamps as ISO strings, bytes as base64. */
  fields: Record<string, unknown>;
}

const DEFAULT_PAGE_SIZE = 300;
const AUTO_ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

interface ReadScope {
  readonly txn: Transaction | undefined;
  /** Set when this read began the transaction (new_transaction): the first response carries it. */
  readonly started: Buffer | undefined;
}

function maskPaths(mask: WireDocumentMask | null): Array<readonly string[]> | undefined {
  return mask === null ? undefined : mask.fieldPaths.map(parseFieldPath);
}

function outDocument(doc: StoredDocument, fields = doc.fields): OutDocument {
  return { name: doc.name, fields, createTime: toTimestamp(doc.createTime), updateTime: toTimestamp(doc.updateTime) };
}

function fingerprint(docs: readonly StoredDocument[]): string {
  let s = '';
  for (const d of docs) s += `${d.path}@${d.updateTime}\n`;
  return s;
}

function autoId(): string {
  let id = '';
  for (let i = 0; i < 20; i++) id += AUTO_ID_CHARS[randomInt(AUTO_ID_CHARS.length)];
  return id;
}

function pageToken(text: string): string {
  return Buffer.from(text).toString('base64url');
}

function fromPageToken(token: string): string {
  return Buffer.from(token, 'base64url').toString();
}

export class FirestoreState {
  private readonly databases = new Map<string, Database>();
  private readonly clock = new Clock();
  private readonly transactions = new Transactions();
  private readonly listeners = new Set<(write: DocumentWrite) => void>();

  constructor(private readonly log: (line: string) => void) {}

  reset(): void {
    for (const db of this.databases.values()) db.clear();
    this.databases.clear();
    this.transactions.clear();
  }

  onWrite(listener: (write: DocumentWrite) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  // ---- reads ----

  getDocument(req: GetDocumentRequest): OutDocument {
    const name = parseDocumentName(req.name);
    const db = this.database(name.database);
    const { txn } = this.readScope(name.database, req);
    const doc = db.get(name.path);
    if (txn !== undefined) this.transactions.recordRead(txn, name.path, doc?.updateTime ?? 0);
    if (doc === undefined) throw notFound(`Document "${req.name}" not found.`);
    const mask = maskPaths(req.mask);
    return outDocument(doc, mask === undefined ? doc.fields : projectFields(doc.fields, mask));
  }

  batchGetDocuments(req: BatchGetDocumentsRequest): BatchGetDocumentsResponse[] {
    const database = checkDatabaseName(req.database);
    const names = req.documents.map((n) => {
      const parsed = parseDocumentName(n);
      if (parsed.database !== database) throw invalidArgument(`Document ${n} is not in the request's database ${database}.`);
      return parsed;
    });
    const mask = maskPaths(req.mask);
    const db = this.database(database);
    const { txn, started } = this.readScope(database, req);
    const readTime = toTimestamp(this.clock.now());
    const responses: BatchGetDocumentsResponse[] = names.map((name, i) => {
      const doc = db.get(name.path);
      if (txn !== undefined) this.transactions.recordRead(txn, name.path, doc?.updateTime ?? 0);
      if (doc === undefined) return { missing: req.documents[i]!, readTime };
      return { found: outDocument(doc, mask === undefined ? doc.fields : projectFields(doc.fields, mask)), readTime };
    });
    if (started !== undefined) {
      if (responses.length === 0) responses.push({ readTime });
      responses[0]!.transaction = started;
    }
    return responses;
  }

  runQuery(req: RunQueryRequest): RunQueryResponse[] {
    const parent = parseParentName(req.parent);
    if (req.structuredQuery === undefined) throw invalidArgument('RunQuery needs a structured_query.');
    if (req.explainOptions !== null) throw unimplemented('Query explain is not implemented by the Firestore stand-in.');
    const q = compileQuery(parent, req.structuredQuery);
    const db = this.database(parent.database);
    const { txn, started } = this.readScope(parent.database, req);
    const result = runQuery(db, q);
    if (txn !== undefined) this.recordQuery(txn, db, q, result.docs);
    const readTime = toTimestamp(this.clock.now());
    const responses: RunQueryResponse[] = result.docs.map((doc) => ({ document: outDocument(doc, selectFields(q, doc.fields)), readTime }));
    if (responses.length === 0) responses.push({ readTime });
    if (started !== undefined) responses[0]!.transaction = started;
    if (result.skipped > 0) responses[0]!.skippedResults = result.skipped;
    return responses;
  }

  runAggregationQuery(req: RunAggregationQueryRequest): RunAggregationQueryResponse[] {
    const parent = parseParentName(req.parent);
    const structured = req.structuredAggregationQuery;
    if (structured?.structuredQuery === undefined) throw invalidArgument('RunAggregationQuery needs a structured_aggregation_query with a structured_query.');
    if (req.explainOptions !== null) throw unimplemented('Query explain is not implemented by the Firestore stand-in.');
    const q = compileQuery(parent, structured.structuredQuery);
    const aggregations = compileAggregations(structured.aggregations);
    const db = this.database(parent.database);
    const { txn, started } = this.readScope(parent.database, req);
    const result = runQuery(db, q);
    if (txn !== undefined) this.recordQuery(txn, db, q, result.docs);
    const response: RunAggregationQueryResponse = {
      result: { aggregateFields: aggregate(aggregations, result.docs) },
      readTime: toTimestamp(this.clock.now()),
    };
    if (started !== undefined) response.transaction = started;
    return [response];
  }

  listDocuments(req: ListDocumentsRequest): ListDocumentsResponse {
    const parent = parseParentName(req.parent);
    if (req.orderBy !== '' && !/^__name__( asc)?$/i.test(req.orderBy.trim())) {
      throw unimplemented(`ListDocuments order_by "${req.orderBy}" is not implemented by the Firestore stand-in (only __name__).`);
    }
    if (req.pageSize < 0) throw invalidArgument(`page_size must be >= 0, got ${req.pageSize}.`);
    const db = this.database(parent.database);
    const { txn } = this.readScope(parent.database, req);
    const prefix = parent.path === '' ? '' : `${parent.path}/`;
    const collectionIds = req.collectionId === '' ? db.childCollectionIds(parent.path) : [req.collectionId];
    // The page token is the path of the last document answered.
    const after = req.pageToken === '' ? undefined : fromPageToken(req.pageToken).split('/');
    // Candidates in name order: collections in id order, ids in order within each.
    const candidates: string[][] = [];
    for (const collectionId of collectionIds) {
      const node = db.collection(`${prefix}${collectionId}`);
      if (node === undefined) continue;
      for (const id of node.ids(req.showMissing)) {
        const segments = [...parent.segments, collectionId, id];
        if (after === undefined || comparePaths(segments, after) > 0) candidates.push(segments);
      }
    }
    const size = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
    const page = candidates.slice(0, size);
    const mask = maskPaths(req.mask);
    const root = documentsRoot(parent.database);
    const documents = page.map((segments): OutDocument => {
      const path = segments.join('/');
      const doc = db.get(path);
      if (txn !== undefined) this.transactions.recordRead(txn, path, doc?.updateTime ?? 0);
      if (doc === undefined) return { name: `${root}/${path}` };
      return outDocument(doc, mask === undefined ? doc.fields : projectFields(doc.fields, mask));
    });
    const last = page[page.length - 1];
    return { documents, nextPageToken: candidates.length > size && last !== undefined ? pageToken(last.join('/')) : '' };
  }

  listCollectionIds(req: ListCollectionIdsRequest): { collectionIds: string[]; nextPageToken: string } {
    const parent = parseParentName(req.parent);
    if (req.readTime !== undefined) checkTimestamp(req.readTime, 'read_time');
    if (req.pageSize < 0) throw invalidArgument(`page_size must be >= 0, got ${req.pageSize}.`);
    let ids = this.database(parent.database).childCollectionIds(parent.path);
    if (req.pageToken !== '') {
      const after = fromPageToken(req.pageToken);
      ids = ids.filter((id) => compareSegment(id, after) > 0);
    }
    const size = req.pageSize === 0 ? DEFAULT_PAGE_SIZE : req.pageSize;
    const page = ids.slice(0, size);
    return { collectionIds: page, nextPageToken: ids.length > size ? pageToken(page[page.length - 1]!) : '' };
  }

  // ---- transactions ----

  beginTransaction(req: BeginTransactionRequest): { transaction: Buffer } {
    const database = checkDatabaseName(req.database);
    const readOnly = req.options?.mode === 'readOnly';
    if (req.options?.readOnly?.readTime !== undefined) checkTimestamp(req.options.readOnly.readTime, 'read_time');
    return { transaction: this.transactions.begin(database, readOnly) };
  }

  rollback(req: RollbackRequest): Record<string, never> {
    const database = checkDatabaseName(req.database);
    if (req.transaction.length === 0) throw invalidArgument('Rollback needs a transaction.');
    this.transactions.rollback(this.transactions.get(database, req.transaction));
    return {};
  }

  // ---- writes ----

  commit(req: CommitRequest): CommitResponse {
    const database = checkDatabaseName(req.database);
    const db = this.database(database);
    if (req.transaction.length > 0) {
      const txn = this.transactions.get(database, req.transaction);
      if (txn.readOnly) {
        this.transactions.rollback(txn);
        throw invalidArgument('Cannot modify entities in a read-only transaction.');
      }
      this.transactions.finish(txn, (path) => db.get(path)?.updateTime ?? 0);
    }
    const commitTime = this.clock.next();
    const planned = this.plan(db, req.writes, commitTime);
    this.apply(db, planned);
    return { writeResults: planned.map((p) => p.result), commitTime: toTimestamp(commitTime) };
  }

  batchWrite(req: BatchWriteRequest): BatchWriteResponse {
    const database = checkDatabaseName(req.database);
    const db = this.database(database);
    const seen = new Set<string>();
    for (const w of req.writes) {
      const name = w.update?.name ?? w.delete ?? w.transform?.document;
      if (name === undefined) continue;
      if (seen.has(name)) throw invalidArgument(`BatchWrite may not contain more than one write to the same document: ${name}`);
      seen.add(name);
    }
    const commitTime = this.clock.next();
    const response: BatchWriteResponse = { writeResults: [], status: [] };
    for (const write of req.writes) {
      let planned: PlannedWrite;
      try {
        planned = planWrite(db, database, write, commitTime);
      } catch (error) {
        if (!(error instanceof FirestoreApiError)) throw error;
        response.writeResults.push({ transformResults: [] });
        response.status.push({ code: error.code, message: error.message });
        continue;
      }
      this.apply(db, [planned]);
      response.writeResults.push(planned.result);
      response.status.push({ code: 0, message: '' });
    }
    return response;
  }

  updateDocument(req: UpdateDocumentRequest): OutDocument {
    if (req.document === null) throw invalidArgument('UpdateDocument needs a document.');
    const write: WireWrite = {
      operation: 'update',
      update: req.document,
      updateMask: req.updateMask,
      updateTransforms: [],
      currentDocument: req.currentDocument,
    };
    return this.writeOne(req.document.name, write, req.mask);
  }

  deleteDocument(req: DeleteDocumentRequest): Record<string, never> {
    const write: WireWrite = { operation: 'delete', delete: req.name, updateMask: null, updateTransforms: [], currentDocument: req.currentDocument };
    const database = parseDocumentName(req.name).database;
    const db = this.database(database);
    this.apply(db, this.plan(db, [write], this.clock.next()));
    return {};
  }

  createDocument(req: CreateDocumentRequest): OutDocument {
    if (req.document === null) throw invalidArgument('CreateDocument needs a document.');
    const parent = parseParentName(req.parent);
    checkId(req.collectionId, req.parent);
    const id = req.documentId === '' ? autoId() : req.documentId;
    const name = `${documentsRoot(parent.database)}/${parent.path === '' ? '' : `${parent.path}/`}${req.collectionId}/${id}`;
    const write: WireWrite = {
      operation: 'update',
      update: { ...req.document, name },
      updateMask: null,
      updateTransforms: [],
      currentDocument: { exists: false, conditionType: 'exists' },
    };
    return this.writeOne(name, write, req.mask);
  }

  // ---- internals ----

  private database(name: string): Database {
    let db = this.databases.get(name);
    if (db === undefined) {
      db = new Database(name);
      this.databases.set(name, db);
    }
    return db;
  }

  private readScope(database: string, c: WireConsistency): ReadScope {
    switch (c.consistencySelector) {
      case 'transaction':
        return { txn: this.transactions.get(database, c.transaction!), started: undefined };
      case 'newTransaction': {
        if (c.newTransaction?.readOnly?.readTime !== undefined) checkTimestamp(c.newTransaction.readOnly.readTime, 'read_time');
        const started = this.transactions.begin(database, c.newTransaction?.mode === 'readOnly');
        return { txn: this.transactions.get(database, started), started };
      }
      case 'readTime':
        // Reads at a past time see the current state (no history is kept).
        checkTimestamp(c.readTime!, 'read_time');
        return { txn: undefined, started: undefined };
      default:
        return { txn: undefined, started: undefined };
    }
  }

  private recordQuery(txn: Transaction, db: Database, q: CompiledQuery, docs: readonly StoredDocument[]): void {
    this.transactions.recordQuery(txn, fingerprint(docs), () => fingerprint(runQuery(db, q).docs));
  }

  /** Plans every write against the state as the earlier writes of the same commit leave it; throws (nothing applied) if one fails. */
  private plan(db: Database, writes: readonly WireWrite[], commitTime: number): PlannedWrite[] {
    const overlay = new Map<string, StoredDocument | undefined>();
    const view = { get: (path: string) => (overlay.has(path) ? overlay.get(path) : db.get(path)) };
    return writes.map((write) => {
      const planned = planWrite(view, db.name, write, commitTime);
      overlay.set(planned.path, planned.after);
      return planned;
    });
  }

  private apply(db: Database, planned: readonly PlannedWrite[]): void {
    for (const p of planned) {
      if (p.after !== undefined) db.put(p.after);
      else db.remove(p.path);
    }
    if (this.listeners.size === 0) return;
    for (const p of planned) {
      if (p.after === undefined && p.before === undefined) continue;
      const write: DocumentWrite =
        p.after === undefined
          ? { kind: 'delete', path: p.name, fields: plainFields(p.before!.fields) }
          : { kind: p.before === undefined ? 'create' : 'update', path: p.name, fields: plainFields(p.after.fields) };
      for (const listener of this.listeners) {
        try {
          listener(write);
        } catch (error) {
          this.log(`firestore: a write listener threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        }
      }
    }
  }

  private writeOne(name: string, write: WireWrite, mask: WireDocumentMask | null): OutDocument {
    const database = parseDocumentName(name).database;
    const db = this.database(database);
    const [planned] = this.plan(db, [write], this.clock.next());
    this.apply(db, [planned!]);
    const doc = planned!.after!;
    const paths = maskPaths(mask);
    return outDocument(doc, paths === undefined ? doc.fields : projectFields(doc.fields, paths));
  }
}
