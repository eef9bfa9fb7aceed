/**
 * The real Google clients, built from configuration. Against the local stack the standard
 * emulator variables (FIRESTORE_EMULATOR_HOST, PUBSUB_EMULATOR_HOST, STORAGE_EMULATOR_HOST)
 * point the same clients at local servers; nothing else changes.
 */
import { Firestore } from '@google-cloud/firestore';
import { PubSub } from '@google-cloud/pubsub';
import { Storage } from '@google-cloud/storage';
import type { Secret } from './config';

export function createFirestore(projectId: string, databaseId: string): Firestore {
  return new Firestore({ projectId, databaseId, ignoreUndefinedProperties: true });
}

export function createPubSub(projectId: string): PubSub {
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
