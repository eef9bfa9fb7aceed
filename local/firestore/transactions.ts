/**
 * Transactions with optimistic isolation: a read-write transaction remembers the version
 * (update time, 0 = absent) of every document it read and the result of every query it
 * ran; its commit is ABORTED if any of them changed since, and the client retries the
 * transaction function. Read-only transactions read the current state.
 */
import { randomBytes } from 'node:crypto';
import { aborted, invalidArgument } from './errors';

// Firestore expires transactions after 270 s.
const LIFETIME_MS = 270_000;

export interface Transaction {
  readonly id: string;
  readonly database: string;
  readonly readOnly: boolean;
  readonly startedAt: number;
  /** Document path → version first seen. */
  readonly reads: Map<string, number>;
  /** Each query's results as first seen, and how to see them now. */
  readonly queries: Array<{ readonly seen: string; readonly now: () => string }>;
}

export class Transactions {
  private readonly open = new Map<string, Transaction>();

  constructor(private readonly clock: () => number = Date.now) {}

  begin(database: string, readOnly: boolean): Buffer {
    this.expire();
    const bytes = randomBytes(16);
    const id = bytes.toString('base64');
    this.open.set(id, { id, database, readOnly, startedAt: this.clock(), reads: new Map(), queries: [] });
    return bytes;
  }

  /** The open transaction with this id, in this database. */
  get(database: string, id: Buffer): Transaction {
    const txn = this.open.get(id.toString('base64'));
    if (txn === undefined || txn.database !== database) {
      throw invalidArgument('The referenced transaction has expired or is no longer valid.');
    }
    if (this.clock() - txn.startedAt > LIFETIME_MS) {
      this.open.delete(txn.id);
      throw invalidArgument('The referenced transaction has expired or is no longer valid.');
    }
    return txn;
  }

  recordRead(txn: Transaction, path: string, version: number): void {
    if (!txn.readOnly && !txn.reads.has(path)) txn.reads.set(path, version);
  }

  recordQuery(txn: Transaction, seen: string, now: () => string): void {
    if (!txn.readOnly) txn.queries.push({ seen, now });
  }

  /** Ends the transaction; throws ABORTED if anything it read has changed. */
  finish(txn: Transaction, versionOf: (path: string) => number): void {
    this.open.delete(txn.id);
    for (const [path, version] of txn.reads) {
      if (versionOf(path) !== version) {
        throw aborted(`Transaction aborted: document ${path} changed after the transaction read it (contention with another write).`);
      }
    }
    for (const q of txn.queries) {
      if (q.now() !== q.seen) throw aborted('Transaction aborted: the results of a query it ran changed before it committed (contention with another write).');
    }
  }

  rollback(txn: Transaction): void {
    this.open.delete(txn.id);
  }

  clear(): void {
    this.open.clear();
  }

  private expire(): void {
    const now = this.clock();
    for (const [id, txn] of this.open) {
      if (now - txn.startedAt <= LIFETIME_MS) break; // Map order = start order
      this.open.delete(id);
    }
  }
}
