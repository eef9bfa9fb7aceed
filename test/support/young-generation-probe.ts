/**
 * How much of each Firestore call survives a minor GC, for test/unit/young-generation.test.ts.
 * Run with `--expose-gc` and a new space large enough that no scavenge happens on its own
 * (`--min-semi-space-size=64 --max-semi-space-size=64`), against the Firestore stand-in at
 * FIRESTORE_EMULATOR_HOST. `stock`: the client as the library ships it; `prepared`: built by
 * shared/google.ts `createFirestore` (which first calls `prepareGrpcClients`). After a warm-up
 * and a full GC, `count` creates run one after another; once they are all answered, one
 * scavenge; what it kept (new-space bytes after it, less before the creates) per call is
 * printed as `{"survivedBytesPerCall": N, "prepared": …}`.
 * Usage: node --expose-gc … --import tsx test/support/young-generation-probe.ts stock|prepared [count]
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { Firestore } from '@google-cloud/firestore';

const mode = process.argv[2];
if (mode !== 'stock' && mode !== 'prepared') throw new Error('usage: young-generation-probe.ts stock|prepared [count]');
const count = Number(process.argv[3] ?? 40);
const gc = (globalThis as { gc?: (options?: { type: 'major' | 'minor' }) => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

let prepared: unknown = null;
let db: Firestore;
if (mode === 'prepared') {
  const [{ createFirestore }, { prepareGrpcClients }] = await Promise.all([import('../../shared/google'), import('../../shared/young-generation')]);
  db = createFirestore('young-generation-probe', '(default)');
  prepared = prepareGrpcClients('@google-cloud/firestore');
} else {
  db = new Firestore({ projectId: 'young-generation-probe', ignoreUndefinedProperties: true });
}

const newSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
let n = 0;
const create = () => db.collection('probe').doc(`p${process.pid}-${n++}`).create({ n });

for (let i = 0; i < 30; i++) await create();
await settle();
gc();
await settle();
gc();
gc({ type: 'minor' });
gc({ type: 'minor' });
const before = newSpaceUsed();
for (let i = 0; i < count; i++) await create();
await settle();
gc({ type: 'minor' });
const survivedBytesPerCall = Math.round((newSpaceUsed() - before) / count);
process.stdout.write(`${JSON.stringify({ survivedBytesPerCall, prepared })}\n`);
await db.terminate();
process.exit(0);
