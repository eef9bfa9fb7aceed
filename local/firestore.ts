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
  /**
   * Introspection: calls `listener` for every document write as it happens (a delete carries
   * the fields the document had). For checks that must see every write, even one overwritten
   * or deleted later (the fuzz run's "nothing written for a rejected request").
   */
  onWrite(listener: (write: DocumentWrite) => void): () => void;
  stop(): Promise<void>;
}

export interface DocumentWrite {
  kind: 'create' | 'update' | 'delete';
  /** e.g. "projects/p/databases/(default)/documents/conversations/abc" */
  path: string;
  /** Plain values: strings, numbers, booleans, null, arrays, maps; timestamps as ISO strings, bytes as base64. */
  fields: Record<string, unknown>;
}

interface StateDocumentLike {
  getPath(): string;
  toJSON(): { fields: Record<string, TypedField> };
}
interface TypedField {
  type: string;
  value: unknown;
}
interface StateEmitterLike {
  on(event: string, listener: (e: { document: StateDocumentLike }) => void): void;
  off(event: string, listener: (e: { document: StateDocumentLike }) => void): void;
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
  const emitter = server.state.emitter as unknown as StateEmitterLike;
  // A deleted document has no fields left when its event fires; remember the last ones seen.
  const lastFields = new Map<string, Record<string, unknown>>();
  return {
    host: `${host}:${port}`,
    port,
    reset: () => server.state.clear(),
    onWrite(listener) {
      const handlers = (['create', 'update', 'delete'] as const).map((kind) => {
        const handle = ({ document }: { document: StateDocumentLike }) => {
          const path = document.getPath();
          const fields = kind === 'delete' ? (lastFields.get(path) ?? {}) : plainFields(document.toJSON().fields);
          if (kind === 'delete') lastFields.delete(path);
          else lastFields.set(path, fields);
          listener({ kind, path, fields });
        };
        emitter.on(`${kind}-document`, handle);
        return { event: `${kind}-document`, handle };
      });
      return () => {
        for (const h of handlers) emitter.off(h.event, h.handle);
      };
    },
    stop: async () => grpcServer.forceShutdown(),
  };
}

function timestampText(value: unknown): string {
  if (value instanceof Date) return value.toISOString();
  if (value !== null && typeof value === 'object' && 'seconds' in value) {
    const { seconds, nanos } = value as { seconds: number | string; nanos?: number };
    return new Date(Number(seconds) * 1000 + Math.floor((nanos ?? 0) / 1e6)).toISOString();
  }
  return String(value);
}

function plainFields(fields: Record<string, TypedField>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, plainValue(v)]));
}

function plainValue(field: TypedField): unknown {
  switch (field.type) {
    case 'map_value':
      return plainFields(field.value as Record<string, TypedField>);
    case 'array_value':
      return (field.value as TypedField[]).map(plainValue);
    case 'timestamp_value':
      return timestampText(field.value);
    case 'bytes_value':
      return Buffer.isBuffer(field.value) || field.value instanceof Uint8Array ? Buffer.from(field.value).toString('base64') : String(field.value);
    default:
      return field.value;
  }
}
