/**
 * Serves one function's production entry file (`functions/<name>/index.ts`) in the real
 * Functions Framework, in its own process, so a test can measure that process alone. Prints
 * `{"port": N}` once listening; exits when stdin closes. With SERVE_ENTRY_PRELOAD_GOOGLE=1 the
 * Google clients' modules (which the functions load on first use: shared/google-lazy.ts) are
 * loaded before listening, as in an instance that has already served, so a memory reading
 * taken before a request does not count their one-time load.
 * Usage: node --import tsx test/support/serve-entry.ts <function-name> <entry-point>
 */
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { announceWhenListening } from './announced-server';

const [name, entryPoint] = process.argv.slice(2);
if (!name || !entryPoint) throw new Error('usage: serve-entry.ts <function-name> <entry-point>');
await import(`../../functions/${name}/index.ts`);
if (process.env['SERVE_ENTRY_PRELOAD_GOOGLE'] === '1') {
  await Promise.all([import('../../shared/google'), import('../../shared/adapters/firestore')]);
}
announceWhenListening(getTestServer(entryPoint));
