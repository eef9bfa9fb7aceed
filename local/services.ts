/**
 * The Google stand-ins — Firestore, Pub/Sub, Cloud Storage — in a process of their own, so
 * a benchmark can keep their CPU out of the functions' process, as it is in production.
 *
 *   tsx local/services.ts
 *
 * prints one JSON line `{"firestoreHost","pubsubHost","storageUrl"}` on stdout once all three
 * listen on loopback (free ports), and stops them on SIGTERM/SIGINT or when stdin closes
 * (so it never outlives the process that started it). `startStack({ services })` uses them.
 * Pub/Sub push deliveries from here carry no OIDC token (the issuer lives in the stack) and
 * Storage checks only the expiry of V4 signed URLs (it does not know the stack's signer).
 */
import { fstatSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { yieldBackgroundThreads } from '../shared/background-threads';
import { startFirestoreEmulator } from './firestore';
import { startPubSubEmulator } from './pubsub';
import { startStorageEmulator } from './storage';

/** Where already-running stand-ins listen (the values of the *_EMULATOR_HOST variables). */
export interface ExternalServices {
  firestoreHost: string;
  pubsubHost: string;
  storageUrl: string;
}

export interface LocalServices {
  hosts: ExternalServices;
  stop(): Promise<void>;
}

export async function startLocalServices(options: { log?: (line: string) => void } = {}): Promise<LocalServices> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stoppers.reverse()) await s().catch(() => undefined);
    stoppers.length = 0;
  };
  try {
    const firestore = await startFirestoreEmulator();
    stoppers.push(() => firestore.stop());
    const pubsub = await startPubSubEmulator(options.log ? { log: options.log } : {});
    stoppers.push(() => pubsub.stop());
    const storage = await startStorageEmulator(options.log ? { log: options.log } : {});
    stoppers.push(() => storage.stop());
    return { hosts: { firestoreHost: firestore.host, pubsubHost: pubsub.host, storageUrl: storage.baseUrl }, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function main(): Promise<void> {
  // As the functions' entry files do (shared/entry.ts): V8's helper threads yield to the thread
  // that answers. The stand-ins are in the path of every request a benchmark times; Google's
  // services are not on the function's CPU at all.
  yieldBackgroundThreads();
  const log = process.env['STACK_DEBUG'] ? (line: string) => process.stderr.write(`[services] ${line}\n`) : undefined;
  const services = await startLocalServices(log ? { log } : {});
  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 5_000);
    force.unref();
    await services.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  // Started with a pipe on stdin (by a bench or a test): its closing means the parent is gone.
  const stdin = fstatSync(0);
  if (stdin.isFIFO() || stdin.isSocket()) {
    process.stdin.on('end', () => void shutdown());
    process.stdin.on('error', () => void shutdown());
    process.stdin.resume();
  }
  process.stdout.write(`${JSON.stringify(services.hosts)}\n`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
