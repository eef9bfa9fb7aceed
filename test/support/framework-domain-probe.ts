/**
 * One HTTP function in the real Functions Framework, in a process of its own, for
 * test/unit/shared-framework-domains.test.ts: `stock` serves it as the Framework ships; `entry`
 * after what the entry files install (shared/entry.ts `startComposing`). What is installed acts
 * on the whole process, and a Node domain once created keeps its hooks for the life of the
 * process: hence a process per mode. GET /: whether the call ran in a domain, when it started
 * and after an await; GET /reject: the function's promise rejects. Prints `{"port": N}` once
 * listening; exits when stdin closes.
 * Usage: node --import tsx test/support/framework-domain-probe.ts stock|entry
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { announceWhenListening } from './announced-server';

const mode = process.argv[2];
if (mode !== 'stock' && mode !== 'entry') throw new Error('usage: framework-domain-probe.ts stock|entry');
if (mode === 'entry') {
  const { startComposing } = await import('../../shared/entry');
  await startComposing(async () => 'composed', 'framework-domain-probe')();
}
const inDomain = () => Boolean(Reflect.get(process, 'domain'));
http('probe', async (req, res) => {
  const atStart = inDomain();
  await new Promise((resolve) => setImmediate(resolve));
  if (req.path === '/reject') throw new Error('rejected on purpose');
  res.json({ atStart, afterAwait: inDomain() });
});
announceWhenListening(getTestServer('probe'));
