import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type GrpcObject, loadPackageDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';

export interface PubSubServices {
  readonly publisher: ServiceClientConstructor['service'];
  readonly subscriber: ServiceClientConstructor['service'];
}

/**
 * The .proto files come from the installed client itself, so the server speaks exactly
 * the API version the client was generated from. google/api and google/protobuf imports
 * live in the client's own google-gax.
 */
function findProtoDirs(): string[] {
  const require = createRequire(import.meta.url);
  const pubsubMain = require.resolve('@google-cloud/pubsub');
  const pubsubProtos = join(dirname(pubsubMain), '..', 'protos');
  const gaxMain = createRequire(pubsubMain).resolve('google-gax');
  const gaxProtos = join(dirname(gaxMain), '..', 'protos');
  return [pubsubProtos, gaxProtos];
}

function pickService(root: GrpcObject, name: 'Publisher' | 'Subscriber'): ServiceClientConstructor['service'] {
  const google = root['google'] as GrpcObject;
  const pubsub = google['pubsub'] as GrpcObject;
  const v1 = pubsub['v1'] as GrpcObject;
  return (v1[name] as ServiceClientConstructor).service;
}

export function loadPubSubServices(): PubSubServices {
  const definition = loadSync('google/pubsub/v1/pubsub.proto', {
    includeDirs: findProtoDirs(),
    keepCase: false,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const root = loadPackageDefinition(definition);
  return { publisher: pickService(root, 'Publisher'), subscriber: pickService(root, 'Subscriber') };
}
