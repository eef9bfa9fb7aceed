// A local Cloud Storage JSON-API server for the real @google-cloud/storage@8 client.
//
// Connecting the client (both work without credentials, because the client skips
// authentication for a non-Google endpoint):
//   new Storage({ apiEndpoint: emulator.baseUrl, projectId })   JSON calls go to /storage/v1/b/…
//   STORAGE_EMULATOR_HOST=emulator.baseUrl                       JSON calls go to /b/… (the
//                                                                client uses the variable as its
//                                                                base URL verbatim); both served
// Uploads go to /upload/storage/v1/b/…/o in both cases. Set METADATA_SERVER_DETECTION=none
// so google-auth-library does not probe for a metadata server.
//
// V4 signed URLs: a client built with `apiEndpoint: emulator.baseUrl` and service-account
// `credentials` signs `http://127.0.0.1:PORT/<bucket>/<object>?X-Goog-…` without any extra
// option (see signed-url.ts); pass the matching public key in `signingPublicKeys` to have
// signatures verified, not just expiry.
//
// Storage: object bytes are files on disk (uploads are streamed and hashed as they arrive,
// never buffered whole); the index of buckets and objects is in memory, so objects do not
// survive a restart. Not emulated: object versioning/history, ACLs and IAM, notifications,
// HMAC keys, customer-supplied encryption, bucket PATCH, XML-API uploads other than a
// signed PUT.

export {
  type StorageEmulator,
  type StorageEmulatorOptions,
  type StoredObjectSummary,
  startStorageEmulator,
} from './emulator';
export type { Fault } from './faults';
export type { UploadInProgress } from './resumable-uploads';
