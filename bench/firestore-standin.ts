/**
 * `npm run bench -- firestore-standin [--sizes 1000,2000,4000,6000] [--ops 400]`
 *
 * Why the Firestore stand-in (@firestore-emulator/server) slows as a collection grows, in
 * numbers, at each collection size:
 *  - its state alone (this process, no gRPC): a create of a new document, a read of an
 *    existing one, and a read of a missing one. FirestoreStateCollection.getDocument() runs
 *    immer's produce() over the collection's whole documents map on every lookup, and a
 *    lookup of a document that does not exist inserts an empty placeholder — so every new
 *    document (and every read of an absent one) copies and re-freezes the whole map: O(n);
 *  - through the real @google-cloud/firestore client against the stand-in in a process of
 *    its own (local/services.ts), `--ops` concurrent (50) creates, then reads: operations
 *    per second and CPU per operation of the stand-in's process and of this (client) one.
 * Nothing here is our code: it is what a local run of the Firestore-backed functions pays.
 */
import { parseArgs } from 'node:util';
import { FirestoreServer } from '@firestore-emulator/server';
import type { ExternalServices } from '../local/services';
import { createFirestoreDocStore } from '../shared/adapters/firestore';
import { createFirestore } from '../shared/google';
import { fmt, formatTable } from './_http-bench';
import { canPin, startTsProcess } from './_processes';

const PREFIX = 'projects/p/databases/(default)/documents/standin';

export default async function bench(args: string[]): Promise<void> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const { values } = parseArgs({ args, options: { sizes: { type: 'string' }, ops: { type: 'string' } }, strict: true });
  const sizes = (values.sizes ?? '1000,2000,4000,6000').split(',').map(Number).sort((a, b) => a - b);
  const ops = Number(values.ops ?? 400);

  const state = stateCosts(sizes, ops);

  const pin = canPin();
  const services = await startTsProcess<ExternalServices>('../local/services.ts', { cpus: pin ? '1' : undefined });
  try {
    process.env['FIRESTORE_EMULATOR_HOST'] = services.ready.firestoreHost;
    const db = createFirestore('ccbridge-bench', '(default)');
    const docs = createFirestoreDocStore(db);
    const data = () => ({ key: 'k', event: 'contact_center.recording_completed', body: 'x'.repeat(400), published: false, signatures: ['a'.repeat(64)], receivedAt: new Date() });
    let count = 0;
    const concurrently = async (n: number, op: (i: number) => Promise<unknown>) => {
      let next = 0;
      await Promise.all(Array.from({ length: 50 }, async () => {
        while (next < n) await op(next++);
      }));
    };
    const timed = async (n: number, op: (i: number) => Promise<unknown>) => {
      const server0 = services.cpuMs();
      const client0 = process.cpuUsage();
      const t0 = performance.now();
      await concurrently(n, op);
      const seconds = (performance.now() - t0) / 1000;
      const client = process.cpuUsage(client0);
      return { perSecond: n / seconds, serverUs: ((services.cpuMs() - server0) * 1000) / n, clientUs: (client.user + client.system) / n };
    };
    const rows: string[][] = [];
    for (const size of sizes) {
      await concurrently(Math.max(0, size - count), (i) => docs.create('standin', `doc-${count + i}`, data()));
      count = Math.max(count, size);
      const creates = await timed(ops, (i) => docs.create('standin', `doc-${count + i}`, data()));
      count += ops;
      const reads = await timed(ops, (i) => docs.get('standin', `doc-${(i * 7919) % count}`));
      const s = state.get(size)!;
      rows.push([String(size), fmt(s.createUs, 0), fmt(s.readUs, 1), fmt(s.missingUs, 0), fmt(creates.perSecond, 0), fmt(creates.serverUs, 0), fmt(creates.clientUs, 0), fmt(reads.perSecond, 0), fmt(reads.serverUs, 0), fmt(reads.clientUs, 0)]);
    }
    await db.terminate();
    const header = ['docs', 'state create µs', 'state read µs', 'state read-missing µs', 'client creates/s', 'server µs/create', 'client µs/create', 'client reads/s', 'server µs/read', 'client µs/read'];
    process.stdout.write(
      `Firestore stand-in (@firestore-emulator/server) by collection size; Node ${process.version}\n` +
        `where: "state" = its in-memory state called directly in this process; "client" = @google-cloud/firestore in this process, ${ops} operations 50 at a time, against the stand-in in its own process${pin ? ' (CPU 1)' : ''}; CPU per operation from /proc and process.cpuUsage\n\n` +
        `${formatTable(header, rows)}\n`,
    );
  } finally {
    await services.stop();
  }
}

/** µs per operation on the stand-in's state itself, at each size. */
function stateCosts(sizes: number[], ops: number): Map<number, { createUs: number; readUs: number; missingUs: number }> {
  const state = new FirestoreServer().state;
  const out = new Map<number, { createUs: number; readUs: number; missingUs: number }>();
  let count = 0;
  let missing = 0;
  const each = (n: number, op: (i: number) => void) => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) op(i);
    return ((performance.now() - t0) * 1000) / n;
  };
  for (const size of sizes) {
    while (count < size) state.getDocument(`${PREFIX}/doc-${count++}`).create(new Date(), {});
    const createUs = each(ops, (i) => state.getDocument(`${PREFIX}/doc-${count + i}`).create(new Date(), {}));
    count += ops;
    const readUs = each(ops, (i) => state.getDocument(`${PREFIX}/doc-${(i * 7919) % count}`));
    // Each read of a missing document leaves a placeholder behind: the map grows by these too.
    const missingUs = each(50, () => state.getDocument(`${PREFIX}/missing-${missing++}`));
    out.set(size, { createUs, readUs, missingUs });
  }
  return out;
}
