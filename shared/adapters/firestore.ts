/** DocStore on Cloud Firestore through the official client (also used against the local stand-in). */
import { type CollectionReference, FieldValue, type Firestore, type Query as FsQuery, Timestamp } from '@google-cloud/firestore';
import {
  DocAlreadyExistsError,
  type DocData,
  DocNotFoundError,
  type DocStore,
  DocVersionMismatchError,
  type FieldOp,
  isFieldOp,
  type Query,
} from '../ports/docstore';
import { type BatchingOptions, createFirestoreBatcher } from './firestore-batching';

// gRPC status codes the client surfaces on precondition failures.
const ALREADY_EXISTS = 6;
const NOT_FOUND = 5;
const FAILED_PRECONDITION = 9;

/** A document's update time as an opaque version string, and back (exact to the nanosecond). */
const versionOf = (t: Timestamp) => `${t.seconds}.${String(t.nanoseconds).padStart(9, '0')}`;
function timestampOf(version: string): Timestamp {
  const m = /^(-?\d+)\.(\d{9})$/.exec(version);
  if (!m) throw new TypeError(`not a document version: ${version}`);
  return new Timestamp(Number(m[1]), Number(m[2]));
}

export function createFirestoreDocStore(db: Firestore, options: BatchingOptions = {}): DocStore {
  // Collection references are parsed once per instance (≈ 3.4 µs of the 4.5 a document
  // reference costs); the bundle's collection names are a few configured constants.
  const collections = new Map<string, CollectionReference>();
  const ref = (collection: string, id: string) => {
    let c = collections.get(collection);
    if (c === undefined) {
      c = db.collection(collection);
      collections.set(collection, c);
    }
    return c.doc(id);
  };
  // Reads and independent writes of requests that arrive together share one RPC.
  const batch = createFirestoreBatcher(db, options);

  const buildQuery = (collection: string, q: Query = {}): FsQuery => {
    let query: FsQuery = db.collection(collection);
    for (const [field, op, value] of q.where ?? []) query = query.where(field, op, value);
    for (const [field, dir] of q.orderBy ?? []) query = query.orderBy(field, dir);
    if (q.limit !== undefined) query = query.limit(q.limit);
    return query;
  };

  return {
    async get(collection, id) {
      const snap = await batch.get(ref(collection, id));
      return snap.exists ? fromFirestore(snap.data() ?? {}) : undefined;
    },
    async getAll(collection, ids) {
      if (ids.length === 0) return [];
      const snaps = await Promise.all(ids.map((id) => batch.get(ref(collection, id))));
      return snaps.map((s) => (s.exists ? fromFirestore(s.data() ?? {}) : undefined));
    },
    async create(collection, id, data) {
      try {
        await batch.write({ kind: 'create', ref: ref(collection, id), data: toFirestore(data) });
      } catch (err) {
        if (grpcCode(err) === ALREADY_EXISTS) throw new DocAlreadyExistsError(`${collection}/${id}`);
        throw err;
      }
    },
    async set(collection, id, data, options) {
      await batch.write({ kind: 'set', ref: ref(collection, id), data: toFirestore(data), options: { merge: options?.merge ?? false } });
    },
    async update(collection, id, data, options) {
      try {
        const precondition = options?.ifVersion !== undefined ? { precondition: { lastUpdateTime: timestampOf(options.ifVersion) } } : {};
        await batch.write({ kind: 'update', ref: ref(collection, id), data: toFirestore(data), ...precondition });
      } catch (err) {
        if (grpcCode(err) === NOT_FOUND) throw new DocNotFoundError(`${collection}/${id}`);
        if (grpcCode(err) === FAILED_PRECONDITION && options?.ifVersion !== undefined) throw new DocVersionMismatchError(`${collection}/${id}`);
        throw err;
      }
    },
    async getVersioned(collection, id) {
      const snap = await batch.get(ref(collection, id));
      if (!snap.exists || !snap.updateTime) return undefined;
      return { data: fromFirestore(snap.data() ?? {}), version: versionOf(snap.updateTime) };
    },
    async delete(collection, id) {
      await batch.write({ kind: 'delete', ref: ref(collection, id) });
    },
    async query(collection, q) {
      const snap = await buildQuery(collection, q).get();
      return snap.docs.map((d) => ({ id: d.id, data: fromFirestore(d.data()) }));
    },
    async count(collection, q) {
      const snap = await buildQuery(collection, q ?? {})
        .count()
        .get();
      return snap.data().count;
    },
  };
}

function grpcCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function toFieldValue(op: FieldOp): FieldValue {
  switch (op.op) {
    case 'serverTime':
      return FieldValue.serverTimestamp();
    case 'increment':
      return FieldValue.increment(op.by);
    case 'arrayUnion':
      return FieldValue.arrayUnion(...op.values);
    case 'delete':
      return FieldValue.delete();
  }
}

function toFirestore(data: DocData): DocData {
  const out: DocData = {};
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined) continue;
    out[k] = isFieldOp(v) ? toFieldValue(v) : isPlainObject(v) ? toFirestore(v) : v;
  }
  return out;
}

/** Timestamps come back as Firestore Timestamps; the bundle works with JS Dates. */
function fromFirestore(data: DocData): DocData {
  const out: DocData = {};
  for (const [k, v] of Object.entries(data)) out[k] = convertOut(v);
  return out;
}

function convertOut(v: unknown): unknown {
  if (v !== null && typeof v === 'object' && 'toDate' in v && typeof (v as { toDate: unknown }).toDate === 'function') {
    return (v as { toDate(): Date }).toDate();
  }
  if (Array.isArray(v)) return v.map(convertOut);
  if (isPlainObject(v)) return fromFirestore(v);
  return v;
}

function isPlainObject(v: unknown): v is DocData {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
