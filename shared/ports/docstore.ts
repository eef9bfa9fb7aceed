/**
 * The document store port (Firestore in production). Narrow on purpose: the operations
 * the bundle's idempotency rests on — `create` fails if the document exists, `update`
 * fails if it does not, merges are field-wise — plus simple queries.
 */

export type DocData = Record<string, unknown>;

/** Field transforms applied by the store (server time, atomic increment, set union). */
export type FieldOp = { op: 'serverTime' } | { op: 'increment'; by: number } | { op: 'arrayUnion'; values: unknown[] } | { op: 'delete' };

export const fieldOps = {
  serverTime: (): FieldOp => ({ op: 'serverTime' }),
  increment: (by: number): FieldOp => ({ op: 'increment', by }),
  arrayUnion: (...values: unknown[]): FieldOp => ({ op: 'arrayUnion', values }),
  delete: (): FieldOp => ({ op: 'delete' }),
};

export function isFieldOp(v: unknown): v is FieldOp {
  return typeof v === 'object' && v !== null && 'op' in v && Object.keys(v).every((k) => k === 'op' || k === 'by' || k === 'values');
}

export type WhereOp = '==' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'array-contains';

export interface Query {
  where?: Array<[field: string, op: WhereOp, value: unknown]>;
  orderBy?: Array<[field: string, direction: 'asc' | 'desc']>;
  /** Page with a range filter on the order field (`where: [['rank', '>', last]]`). */
  limit?: number;
}

export interface StoredDoc {
  id: string;
  data: DocData;
}

export class DocAlreadyExistsError extends Error {
  constructor(readonly path: string) {
    super(`document already exists: ${path}`);
    this.name = 'DocAlreadyExistsError';
  }
}

export class DocNotFoundError extends Error {
  constructor(readonly path: string) {
    super(`document not found: ${path}`);
    this.name = 'DocNotFoundError';
  }
}

/** An update whose precondition (the version read) no longer holds: someone wrote the document since. */
export class DocVersionMismatchError extends Error {
  constructor(readonly path: string) {
    super(`document changed since it was read: ${path}`);
    this.name = 'DocVersionMismatchError';
  }
}

/** A document with its version: Firestore's update time, opaque to callers, compared for equality only. */
export interface VersionedDoc {
  data: DocData;
  version: string;
}

export interface UpdateOptions {
  /** Apply only if the document is still at this version (from getVersioned); else DocVersionMismatchError. */
  ifVersion?: string;
}

export interface DocStore {
  get(collection: string, id: string): Promise<DocData | undefined>;
  getAll(collection: string, ids: string[]): Promise<Array<DocData | undefined>>;
  /** Creates the document; throws DocAlreadyExistsError if it exists (the idempotency primitive). */
  create(collection: string, id: string, data: DocData): Promise<void>;
  /** Writes fields; with merge=false the document is replaced. */
  set(collection: string, id: string, data: DocData, options?: { merge?: boolean }): Promise<void>;
  /** Updates fields of an existing document; throws DocNotFoundError if absent. Dotted keys address nested fields. */
  update(collection: string, id: string, data: DocData, options?: UpdateOptions): Promise<void>;
  /** The document and its version, for a later conditional update (read-check-write without a transaction). */
  getVersioned(collection: string, id: string): Promise<VersionedDoc | undefined>;
  delete(collection: string, id: string): Promise<void>;
  query(collection: string, query?: Query): Promise<StoredDoc[]>;
  count(collection: string, query?: Pick<Query, 'where'>): Promise<number>;
}
