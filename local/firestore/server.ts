/**
 * The Firestore stand-in: an in-process gRPC server speaking google.firestore.v1 that the
 * real @google-cloud/firestore client reaches through FIRESTORE_EMULATOR_HOST. See
 * README.md in this directory for what it implements.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadFirestoreService } from './proto';
import { createFirestoreService } from './service';
import { type DocumentWrite, FirestoreState } from './state';

export type { DocumentWrite } from './state';

export interface FirestoreServerOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Internal errors and throwing write listeners; stderr by default. */
  log?: (line: string) => void;
}

export interface FirestoreEmulator {
  /** "127.0.0.1:PORT", the value for FIRESTORE_EMULATOR_HOST. */
  readonly host: string;
  readonly port: number;
  /** Deletes every document (and open transaction). */
  reset(): void;
  /**
   * Introspection: calls `listener` for every document write as it happens (a delete carries
   * the fields the document had). For checks that must see every write, even one overwritten
   * or deleted later (the fuzz run's "nothing written for a rejected request").
   */
  onWrite(listener: (write: DocumentWrite) => void): () => void;
  /** Introspection: how many calls of each RPC (`BatchWrite`, `Commit`, ...) the server has received. */
  calls(): Record<string, number>;
  stop(): Promise<void>;
}

// Firestore accepts requests up to 10 MiB; leave room for the envelope.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

export async function startFirestoreServer(options: FirestoreServerOptions = {}): Promise<FirestoreEmulator> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const state = new FirestoreState(log);
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  const counts = new Map<string, number>();
  server.addService(loadFirestoreService(), createFirestoreService(state, log, counts));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:${options.port ?? 0}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  let stopped: Promise<void> | undefined;
  return {
    host: `${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    reset: () => state.reset(),
    onWrite: (listener) => state.onWrite(listener),
    calls: () => Object.fromEntries(counts),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        // A call a client keeps open would hold tryShutdown forever.
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopped;
    },
  };
}
