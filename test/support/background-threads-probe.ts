/**
 * For test/unit/background-threads.test.ts: in a Node process of its own, lowers the helper
 * threads as shared/background-threads.ts does (`direct`: the function; `entry`: through the
 * entry files' `startComposing`), with libuv's thread pool started before (`pool-first`) or after
 * the call, and prints one JSON line: both calls' reports and every thread's name and nice value
 * as /proc shows them afterwards.
 * Usage: node --import tsx test/support/background-threads-probe.ts direct|entry pool-first|pool-after
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { yieldBackgroundThreads } from '../../shared/background-threads';

const [how, pool] = process.argv.slice(2);
if ((how !== 'direct' && how !== 'entry') || (pool !== 'pool-first' && pool !== 'pool-after')) {
  throw new Error('usage: background-threads-probe.ts direct|entry pool-first|pool-after');
}
// A file read runs on libuv's thread pool, whose threads start on its first job.
const startPool = () => readFile(new URL(import.meta.url));
if (pool === 'pool-first') await startPool();
let first: unknown = 'through the entry';
if (how === 'direct') first = yieldBackgroundThreads();
else {
  const { startComposing } = await import('../../shared/entry');
  await startComposing(async () => 'composed', 'background-threads-probe')();
}
const second = yieldBackgroundThreads();
if (pool === 'pool-after') await startPool();

const threads = readdirSync('/proc/self/task').map((id) => {
  const stat = readFileSync(`/proc/self/task/${id}/stat`, 'latin1');
  // Fields after the name (which may hold spaces) start after the last ')'; nice is field 19.
  const nice = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
  return { tid: Number(id), name: readFileSync(`/proc/self/task/${id}/comm`, 'latin1').trim(), nice };
});
process.stdout.write(`${JSON.stringify({ pid: process.pid, first, second, threads })}\n`);
