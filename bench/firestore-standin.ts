/**
 * `npm run bench -- firestore-standin [--sizes 1000,10000,50000] [--ops 1000] [--queries 200] [--old-max 10000]`
 *
 * The Firestore stand-in (local/firestore/) by collection size, through the real
 * @google-cloud/firestore client (our DocStore adapter, 50 operations at a time) against the
 * stand-in in a process of its own (pinned to one CPU where taskset works):
 *  - creates of new documents, reads of existing ones, and a query that scans the collection
 *    (an equality filter matching 1% of it, limit 10): operations per second, and CPU per
 *    operation of the stand-in's process (from /proc) and of this client process.
 * If the earlier stand-in (@firestore-emulator/server) is still installed, it is measured
 * the same way beside it, at sizes up to --old-max (filling it is O(n²): it copies a
 * collection's document map with immer for every new document).
 *
 * The same file, run directly with `--serve new|old`, is that stand-in process: it prints
 * {"host"} and stops when stdin closes.
 */
import { createRequire } from 'node:module';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startFirestoreServer } from '../local/firestore/server';
import { createFirestoreDocStore } from '../shared/adapters/firestore';
import { createFirestore } from '../shared/google';
import { fmt, formatTable } from './_http-bench';
import { canPin, startTsProcess, stopOnSignalOrParentExit } from './_processes';

const OLD_PACKAGE = '@firestore-emulator/server';
const CONCURRENCY = 50;

type Kind = 'new' | 'old';

interface Rate {
  perSecond: number;
  serverUs: number;
  clientUs: number;
}

function oldInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(OLD_PACKAGE);
    return true;
  } catch {
    return false;
  }
}

export default async function bench(args: string[]): Promise<void> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const { values } = parseArgs({
    args,
    options: { sizes: { type: 'string' }, ops: { type: 'string' }, queries: { type: 'string' }, 'old-max': { type: 'string' } },
    strict: true,
  });
  const sizes = (values.sizes ?? '1000,10000,50000')
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);
  const ops = Number(values.ops ?? 1000);
  const queries = Number(values.queries ?? 200);
  const oldMax = Number(values['old-max'] ?? 10000);
  const kinds: Kind[] = oldInstalled() ? ['new', 'old'] : ['new'];
  const pin = canPin();

  const rows: string[][] = [];
  for (const kind of kinds) {
    const kindSizes = kind === 'old' ? sizes.filter((s) => s <= oldMax) : sizes;
    if (kindSizes.length === 0) continue;
    const results = await measure(kind, kindSizes, ops, queries, pin);
    for (const [size, r] of results) {
      rows.push([
        kind === 'new' ? 'local/firestore' : OLD_PACKAGE,
        String(size),
        fmt(r.creates.perSecond, 0),
        fmt(r.creates.serverUs, 0),
        fmt(r.creates.clientUs, 0),
        fmt(r.reads.perSecond, 0),
        fmt(r.reads.serverUs, 0),
        fmt(r.reads.clientUs, 0),
        fmt(r.queries.perSecond, 0),
        fmt(r.queries.serverUs, 0),
      ]);
    }
  }
  const header = [
    'stand-in',
    'docs',
    'creates/s',
    'server µs/create',
    'client µs/create',
    'reads/s',
    'server µs/read',
    'client µs/read',
    'queries/s',
    'server µs/query',
  ];
  const notes = [
    `Firestore stand-in by collection size; Node ${process.version}`,
    `through @google-cloud/firestore (DocStore adapter) in this process, ${CONCURRENCY} operations at a time, ` +
      `against the stand-in in its own process${pin ? ' (CPU 1)' : ''}; CPU per operation from /proc (server) and ` +
      `process.cpuUsage (client)`,
    `per size: ${ops} creates of new documents, ${ops} reads of existing ones, ${queries} queries (bucket == k: 1% ` +
      `of the collection, limit 10; a scan of the collection)`,
    kinds.includes('old')
      ? `${OLD_PACKAGE} measured up to ${oldMax} documents (its creates are O(n): filling it further takes too long)`
      : `${OLD_PACKAGE} is not installed: only local/firestore is measured`,
  ];
  process.stdout.write(`${notes.join('\n')}\n\n${formatTable(header, rows)}\n`);
}

async function measure(
  kind: Kind,
  sizes: number[],
  ops: number,
  queries: number,
  pin: boolean,
): Promise<Map<number, { creates: Rate; reads: Rate; queries: Rate }>> {
  const standIn = await startTsProcess<{ host: string }>('./firestore-standin.ts', { args: ['--serve', kind], cpus: pin ? '1' : undefined });
  const out = new Map<number, { creates: Rate; reads: Rate; queries: Rate }>();
  try {
    process.env['FIRESTORE_EMULATOR_HOST'] = standIn.ready.host;
    const db = createFirestore(`bench-${kind}`, '(default)');
    const docs = createFirestoreDocStore(db);
    const data = (i: number) => ({
      key: `k${i}`,
      bucket: i % 100,
      event: 'contact_center.recording_completed',
      body: 'x'.repeat(400),
      published: false,
      signatures: ['a'.repeat(64)],
      receivedAt: new Date(),
    });
    const concurrently = async (n: number, op: (i: number) => Promise<unknown>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: Math.min(CONCURRENCY, n) }, async () => {
          while (next < n) await op(next++);
        }),
      );
    };
    const timed = async (n: number, op: (i: number) => Promise<unknown>): Promise<Rate> => {
      const server0 = standIn.cpuMs();
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      await concurrently(n, op);
      const seconds = (performance.now() - t0) / 1000;
      const client = process.cpuUsage(client0);
      return { perSecond: n / seconds, serverUs: ((standIn.cpuMs() - server0) * 1000) / n, clientUs: (client.user + client.system) / n };
    };
    let count = 0;
    for (const size of sizes) {
      const from = count;
      await concurrently(Math.max(0, size - count), (i) => docs.create('standin', `doc-${from + i}`, data(from + i)));
      count = Math.max(count, size);
      const base = count;
      const creates = await timed(ops, (i) => docs.create('standin', `doc-${base + i}`, data(base + i)));
      count += ops;
      const reads = await timed(ops, (i) => docs.get('standin', `doc-${(i * 7919) % count}`));
      const scans = await timed(queries, (i) => docs.query('standin', { where: [['bucket', '==', i % 100]], limit: 10 }));
      out.set(size, { creates, reads, queries: scans });
    }
    await db.terminate();
  } finally {
    await standIn.stop();
  }
  return out;
}

interface OldServerLike {
  bindAsync(address: string, credentials: unknown, cb: (err: Error | null, port: number) => void): void;
  forceShutdown(): void;
}

/** The stand-in process: the new one, or the old package bound on loopback (as local/firestore.ts used to). */
async function serve(kind: Kind): Promise<void> {
  if (kind === 'new') {
    const server = await startFirestoreServer();
    stopOnSignalOrParentExit(() => server.stop());
    process.stdout.write(`${JSON.stringify({ host: server.host })}\n`);
    return;
  }
  const requireHere = createRequire(import.meta.url);
  const packageName: string = OLD_PACKAGE; // not a literal import: the package may be uninstalled
  const { FirestoreServer } = (await import(packageName)) as { FirestoreServer: new () => object };
  const grpcServer = Reflect.get(new FirestoreServer(), 'server') as OldServerLike;
  const requireFromOld = createRequire(requireHere.resolve(packageName));
  const { ServerCredentials } = requireFromOld('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
  const port = await new Promise<number>((resolve, reject) => {
    grpcServer.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
  stopOnSignalOrParentExit(async () => grpcServer.forceShutdown());
  process.stdout.write(`${JSON.stringify({ host: `127.0.0.1:${port}` })}\n`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--serve');
  const kind = process.argv[at + 1];
  if (at === -1 || (kind !== 'new' && kind !== 'old')) {
    process.stderr.write('usage: tsx bench/firestore-standin.ts --serve new|old (or npm run bench -- firestore-standin)\n');
    process.exit(2);
  }
  await serve(kind);
}
