/**
 * Whether V8 still pretenures an allocation site, for test/unit/young-generation.test.ts. Run
 * with `--expose-gc` and a new space large enough that no scavenge happens on its own. One
 * object-literal site makes objects that all survive a few scavenges (what makes V8 tenure a
 * site); then, with no GC in between, 20 000 more objects from the same site: printed is how
 * many bytes per object went straight to the old generation. `stock`: V8 as Node starts it;
 * `prepared`: after shared/young-generation.ts `stopAllocationSitePretenuring`.
 * Usage: node --expose-gc … --import tsx test/support/pretenuring-probe.ts stock|prepared
 */
import { getHeapSpaceStatistics } from 'node:v8';

const mode = process.argv[2];
if (mode !== 'stock' && mode !== 'prepared') throw new Error('usage: pretenuring-probe.ts stock|prepared');
const gc = (globalThis as { gc?: (options?: { type: 'major' | 'minor' }) => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
if (mode === 'prepared') (await import('../../shared/young-generation')).stopAllocationSitePretenuring();

const oldSpaceUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'old_space')!.space_used_size;
const make = (i: number) => ({ i, a: null, b: null, c: null });
const kept: object[] = [];
for (let round = 0; round < 6; round++) {
  for (let i = 0; i < 50_000; i++) kept.push(make(i));
  gc({ type: 'minor' });
}
const before = oldSpaceUsed();
const later: object[] = [];
for (let i = 0; i < 20_000; i++) later.push(make(i));
process.stdout.write(`${JSON.stringify({ oldBytesPerObject: (oldSpaceUsed() - before) / 20_000, kept: kept.length + later.length })}\n`);
