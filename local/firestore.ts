/**
 * Firestore stand-in: @firestore-emulator/server, an in-process gRPC server that the real
 * @google-cloud/firestore client reaches through FIRESTORE_EMULATOR_HOST.
 * Its known gaps (../shared/docs/toolchain.md): no transaction isolation, non-atomic
 * batches, set() without merge merges, no collectionGroup. Code is designed around
 * create() preconditions and field merges, which it does implement.
 */
import { createRequire } from 'node:module';
import { FirestoreServer } from '@firestore-emulator/server';

export interface FirestoreEmulator {
  readonly host: string;
  readonly port: number;
  /** Deletes every document. */
  reset(): void;
  stop(): Promise<void>;
}

interface GrpcServerLike {
  bindAsync(address: string, credentials: unknown, cb: (err: Error | null, port: number) => void): void;
  forceShutdown(): void;
}

export async function startFirestoreEmulator(options: { host?: string; port?: number } = {}): Promise<FirestoreEmulator> {
  const host = options.host ?? '127.0.0.1';
  const server = new FirestoreServer();
  // FirestoreServer.start() binds 0.0.0.0 and hides the port; bind its gRPC server on
  // loopback ourselves, with the credentials class of the grpc-js copy it was built with.
  const grpcServer = Reflect.get(server, 'server') as GrpcServerLike;
  const requireHere = createRequire(import.meta.url);
  const requireFromEmulator = createRequire(requireHere.resolve('@firestore-emulator/server'));
  const { ServerCredentials } = requireFromEmulator('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const port = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (err, boundPort) => (err ? reject(err) : resolve(boundPort)));
  });
  return {
    host: `${host}:${port}`,
    port,
    reset: () => server.state.clear(),
    stop: async () => grpcServer.forceShutdown(),
  };
}
