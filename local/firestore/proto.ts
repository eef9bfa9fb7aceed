import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

/**
 * The .proto files come from the installed @google-cloud/firestore itself (it bundles
 * google/firestore/v1 with the google/api, google/type, google/rpc and google/protobuf
 * files it imports), so the server speaks exactly the API version the client was
 * generated from.
 */
function findProtoDir(): string {
  const require = createRequire(import.meta.url);
  // build/src/index.js → build/protos
  return join(dirname(require.resolve('@google-cloud/firestore')), '..', 'protos');
}

/**
 * Decoding options, which `wire.ts` describes: camelCase keys, int64 as decimal strings,
 * enums as their names, bytes as Buffer, unset message fields as null, oneof members
 * present only when set, plus a virtual property naming the set member (`valueType`...).
 */
export function loadFirestoreService(): ServiceClientConstructor['service'] {
  const definition = loadSync('google/firestore/v1/firestore.proto', {
    includeDirs: [findProtoDir()],
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const root = loadPackageDefinition(definition);
  const google = root['google'] as GrpcObject;
  const firestore = google['firestore'] as GrpcObject;
  const v1 = firestore['v1'] as GrpcObject;
  return (v1['Firestore'] as ServiceClientConstructor).service;
}
