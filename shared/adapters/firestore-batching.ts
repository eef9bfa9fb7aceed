/**
 * Shares Firestore RPCs between requests that arrive together (issue #15). Document reads
 * issued in the same event-loop turn go out as one BatchGetDocuments (`Firestore.getAll`);
 * independent writes as one non-atomic BatchWrite (the RPC behind `BulkWriter`: each write
 * keeps its own precondition and gets its own status, so one ALREADY_EXISTS fails only its
 * own caller). Nothing waits for company: the queue is sent in the check phase of the same
 * loop turn (`setImmediate`), after the I/O callbacks that arrived together have run; an
 * operation alone in its turn goes out as the plain single-document call, as before.
 * Limits and sources: docs/contracts/firestore.md.
 */
import type { DocumentReference, DocumentSnapshot, Firestore, Precondition, SetOptions, WriteResult } from '@google-cloud/firestore';

/**
 * Documents per BatchGetDocuments. Firestore documents no count limit for it, only the
 * 10 MiB request size; 100 names of at most 6 KiB each stay far below it.
 */
export const MAX_READS_PER_BATCH = 100;

export type WriteOp =
  | { kind: 'create'; ref: DocumentReference; data: Record<string, unknown> }
  | { kind: 'set'; ref: DocumentReference; data: Record<string, unknown>; options: SetOptions }
  | { kind: 'update'; ref: DocumentReference; data: Record<string, unknown>; precondition?: Precondition }
  | { kind: 'delete'; ref: DocumentReference; precondition?: Precondition };

export interface BatchingOptions {
  /** Runs the send of a turn's queue; `setImmediate` (the check phase of the same loop turn) by default. */
  schedule?: (send: () => void) => void;
}

interface Pending<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

interface QueuedRead extends Pending<DocumentSnapshot> {
  ref: DocumentReference;
}

interface QueuedWrite extends Pending<WriteResult> {
  op: WriteOp;
}

export interface FirestoreBatcher {
  get(ref: DocumentReference): Promise<DocumentSnapshot>;
  write(op: WriteOp): Promise<WriteResult>;
}

export function createFirestoreBatcher(db: Firestore, options: BatchingOptions = {}): FirestoreBatcher {
  const schedule = options.schedule ?? ((send: () => void) => void setImmediate(send));
  let reads: QueuedRead[] = [];
  let writes: QueuedWrite[] = [];

  const sendReads = () => {
    const queued = reads;
    reads = [];
    // One document asked for twice in a turn is read once.
    const byPath = new Map<string, QueuedRead[]>();
    for (const r of queued) {
      const same = byPath.get(r.ref.path);
      if (same) same.push(r);
      else byPath.set(r.ref.path, [r]);
    }
    const groups = [...byPath.values()];
    for (let i = 0; i < groups.length; i += MAX_READS_PER_BATCH) {
      const chunk = groups.slice(i, i + MAX_READS_PER_BATCH);
      attempt(() => db.getAll(...chunk.map((g) => g[0]!.ref))).then(
        (snaps) => {
          chunk.forEach((g, j) => {
            for (const r of g) r.resolve(snaps[j]!);
          });
        },
        (error: unknown) => {
          for (const r of chunk.flat()) r.reject(error);
        },
      );
    }
  };

  const sendWrites = () => {
    const queued = writes;
    writes = [];
    if (queued.length === 1) {
      const only = queued[0]!;
      settle(only, () => single(only.op));
      return;
    }
    // A BulkWriter per turn: it splits the writes into BatchWrite requests of at most 20
    // (and starts a new request where a document repeats, which BatchWrite refuses), and
    // retries only the codes the client deems retryable for batchWrite, per write.
    let bulk: ReturnType<Firestore['bulkWriter']>;
    try {
      bulk = db.bulkWriter({ throttling: false });
    } catch (error) {
      // e.g. a client already terminated: every caller gets the error, as each would alone.
      for (const w of queued) w.reject(error);
      return;
    }
    for (const w of queued) settle(w, () => enqueue(bulk, w.op));
    void bulk.close();
  };

  return {
    get(ref) {
      return new Promise<DocumentSnapshot>((resolve, reject) => {
        if (reads.length === 0) schedule(sendReads);
        reads.push({ ref, resolve, reject });
      });
    },
    write(op) {
      return new Promise<WriteResult>((resolve, reject) => {
        if (writes.length === 0) schedule(sendWrites);
        writes.push({ op, resolve, reject });
      });
    },
  };
}

/**
 * Settles a caller's promise with `start()`'s, also when `start` throws at once: the client
 * validates data synchronously (an update without fields, a nested array), and such an
 * error belongs to its caller alone, as it did before batching.
 */
function settle<T>(pending: Pending<T>, start: () => Promise<T>): void {
  attempt(start).then(pending.resolve, pending.reject);
}

/** `start()`'s promise, or a rejected one when it throws synchronously (never out of the send). */
function attempt<T>(start: () => Promise<T>): Promise<T> {
  try {
    return start();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The write alone: the same call the adapter made before batching (a Commit of one write). */
function single(op: WriteOp): Promise<WriteResult> {
  switch (op.kind) {
    case 'create':
      return op.ref.create(op.data);
    case 'set':
      return op.ref.set(op.data, op.options);
    case 'update':
      return op.precondition ? op.ref.update(op.data, op.precondition) : op.ref.update(op.data);
    case 'delete':
      return op.ref.delete(op.precondition);
  }
}

function enqueue(bulk: ReturnType<Firestore['bulkWriter']>, op: WriteOp): Promise<WriteResult> {
  switch (op.kind) {
    case 'create':
      return bulk.create(op.ref, op.data);
    case 'set':
      return bulk.set(op.ref, op.data, op.options);
    case 'update':
      return op.precondition ? bulk.update(op.ref, op.data, op.precondition) : bulk.update(op.ref, op.data);
    case 'delete':
      return bulk.delete(op.ref, op.precondition);
  }
}
