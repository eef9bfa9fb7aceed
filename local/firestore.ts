/**
 * Firestore stand-in: our own in-process gRPC server (local/firestore/), which the real
 * @google-cloud/firestore client reaches through FIRESTORE_EMULATOR_HOST. What it
 * implements — atomic commits, transactions that abort on conflicts, queries, aggregations,
 * listings — and what it leaves out: local/firestore/README.md.
 */
import { type FirestoreEmulator, startFirestoreServer } from './firestore/server';

export type { DocumentWrite, FirestoreEmulator } from './firestore/server';

export function startFirestoreEmulator(options: { host?: string; port?: number } = {}): Promise<FirestoreEmulator> {
  return startFirestoreServer(options);
}
