/**
 * The real Google clients, built from configuration. Against the local stack the standard
 * emulator variables (FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST, STORAGE_EMULATOR_HOST)
 * point the same clients at local servers; nothing else changes.
 */
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import type { Secret } from './config';
import { prepareGrpcClients } from './young-generation';

/**
 * The Firestore client wraps every operation in OpenTelemetry spans unless the environment
 * variable FIRESTORE_ENABLE_TRACING is OFF when it is constructed (docs/contracts/firestore.md).
 * The bundle registers no tracer provider, so those spans go nowhere, yet each costs promises
 * and span objects: ≈ 20 % of the client's CPU per batched write (`npm run bench --
 * firestore-client`). Unless the variable is set, the client is built with tracing off; an
 * operator who registers an exporter sets FIRESTORE_ENABLE_TRACING=ON. The variable is
 * restored afterwards, so nothing else in the process sees it changed.
 */
export function createFirestore(projectId: string, databaseId: string): Firestore {
  // Each call's objects stay young and are freed by the next minor GC (./young-generation).
  prepareGrpcClients('@google-cloud/firestore');
  const tracing = process.env['FIRESTORE_ENABLE_TRACING'];
  if (tracing !== undefined) return new Firestore({ projectId, databaseId, ignoreUndefinedProperties: true });
  process.env['FIRESTORE_ENABLE_TRACING'] = 'OFF';
  try {
    return new Firestore({ projectId, databaseId, ignoreUndefinedProperties: true });
  } finally {
    delete process.env['FIRESTORE_ENABLE_TRACING'];
  }
}

export function createPubSub(projectId: string): PubSub {
  prepareGrpcClients('@google-cloud/pubsub');
  return new PubSub({ projectId });
}

/**
 * In production signed URLs are signed by the function's own service account through the
 * IAM Credentials API (no key file). Locally a generated key stands in for it.
 */
export function createStorage(projectId: string, signer?: { clientEmail: string; privateKey: Secret }): Storage {
  if (signer) {
    return new Storage({ projectId, credentials: { client_email: signer.clientEmail, private_key: signer.privateKey.reveal() } });
  }
  return new Storage({ projectId });
}
