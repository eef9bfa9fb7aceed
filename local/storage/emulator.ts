import { createPublicKey } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EmulatorContext } from './context';
import { type Fault, FaultInjector } from './faults';
import { ObjectStore } from './object-store';
import { ResumableUploads, type UploadInProgress } from './resumable-uploads';
import { createRequestHandler } from './server';

export interface StorageEmulatorOptions {
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /** Port to bind; default 0 (any free port). */
  port?: number;
  /**
   * Where object bytes live. Default: a new directory under os.tmpdir(), removed by stop().
   * A given directory is left in place by stop() (its owner decides), only in-progress
   * upload files are removed.
   */
  dir?: string;
  /** PEM public key(s) to verify V4 signed URLs; if absent only expiry is checked. */
  signingPublicKeys?: string[];
  log?: (line: string) => void;
  /** Decides probabilistic faults (default Math.random). */
  faultRandom?: () => number;
  /** The clock signed URLs expire by (default the process's). */
  now?: () => Date;
}

export interface StoredObjectSummary {
  bucket: string;
  name: string;
  size: number;
  generation: string;
  md5Hash: string;
  crc32c: string;
  contentType?: string;
  metadata: Record<string, string>;
}

export interface StorageEmulator {
  /** "http://127.0.0.1:PORT": the value for STORAGE_EMULATOR_HOST and for the client's apiEndpoint. */
  readonly baseUrl: string;
  readonly port: number;
  /** Directory holding object bytes (`objects/`) and uploads in progress (`uploads/`). */
  readonly dir: string;
  /** Fault injection for chaos tests: the next (or a share of the) matching requests answer `status` (e.g. 503). */
  injectFault(fault: Fault): void;
  /** Removes every injected fault not used up yet. */
  clearFaults(): void;
  /** Injected faults answered so far, by status. */
  faultCounts(): Record<number, number>;
  /** Resumable upload sessions not completed: open ones, and those a client abandoned mid-way. */
  uploadsInProgress(): UploadInProgress[];
  /** Introspection: every live object. */
  listAll(): StoredObjectSummary[];
  /** Closes the server (keep-alive and in-flight connections included) and removes the temp dir it created. */
  stop(): Promise<void>;
}

/**
 * Starts a Cloud Storage JSON-API server for the real @google-cloud/storage client:
 * `new Storage({ apiEndpoint: emulator.baseUrl, projectId })` (the client skips
 * authentication for a custom endpoint), or STORAGE_EMULATOR_HOST=emulator.baseUrl.
 */
export async function startStorageEmulator(opts: StorageEmulatorOptions = {}): Promise<StorageEmulator> {
  const log = opts.log ?? (() => undefined);
  const ownsDir = opts.dir === undefined;
  const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'ccbridge-storage-')));
  const store = await ObjectStore.open(dir);
  const uploads = new ResumableUploads(store);
  const faults = new FaultInjector(opts.faultRandom);
  const host = opts.host ?? '127.0.0.1';
  let baseUrl = '';
  const ctx: EmulatorContext = {
    store,
    uploads,
    signingKeys: (opts.signingPublicKeys ?? []).map((pem) => createPublicKey(pem)),
    baseUrl: () => baseUrl,
    now: opts.now ?? (() => new Date()),
  };

  const inFlight = new Set<Promise<void>>();
  const handle = createRequestHandler(ctx, faults, log);
  // No request timeout: a 1 GiB upload from a throttled client may legitimately take long.
  // Idle keep-alive connections outlive the clients' own idle timeouts (undici: 4 s), so the
  // client is always the one to close one: with Node's 5 s default, a loaded machine lets the
  // server's close cross a request the client just sent on it (ECONNRESET on an idempotent GET,
  // seen in the chaos checks' thousands of reads at load 10).
  const server = createServer({ requestTimeout: 0, keepAliveTimeout: 65_000 }, (req, res) => {
    const done = handle(req, res).finally(() => inFlight.delete(done));
    inFlight.add(done);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `http://${urlHost(host)}:${port}`;
  log(`storage-emulator listening on ${baseUrl}, data in ${dir}`);

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
    // Handlers whose sockets were just destroyed settle promptly; wait so no write lands after cleanup.
    await Promise.allSettled([...inFlight]);
    await uploads.closeAll();
    if (ownsDir) await rm(dir, { recursive: true, force: true });
    log('storage-emulator stopped');
  };

  return {
    baseUrl,
    port,
    dir,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    faultCounts: () => faults.counts(),
    uploadsInProgress: () => uploads.inProgress(),
    listAll: () =>
      store.all().map((o) => {
        const summary: StoredObjectSummary = {
          bucket: o.bucket,
          name: o.name,
          size: o.size,
          generation: o.generation,
          md5Hash: o.md5Hash,
          crc32c: o.crc32c,
          metadata: { ...o.metadata },
        };
        if (o.contentType !== undefined) summary.contentType = o.contentType;
        return summary;
      }),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** A host usable in a URL: wildcard binds are reached via loopback, IPv6 gets brackets. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
