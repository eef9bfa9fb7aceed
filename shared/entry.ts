/**
 * What every entry file does: start composing the function in the background as the
 * instance starts (so a bad configuration fails the instance at once, listing every bad
 * key, instead of failing requests later), and hand each request to the composed handler.
 * The composition root is imported dynamically, so loading the entry file costs almost
 * nothing beyond the Functions Framework itself.
 */
import { yieldBackgroundThreads } from './background-threads';
import { heapShape } from './heap-shape';
import { bodyLimitsOf } from './http/body-guard';
import { installFrameworkErrorResponses } from './http/framework-errors';
import { installPlainRequestScopes } from './http/framework-domains';
import { installExpressRequestClasses } from './http/framework-server';
import { refusalObserverOf } from './http/refusal-observer';
import { lazyAsync } from './lazy';
import { createLogger } from './logging';

export function startComposing<H>(compose: () => Promise<H>, scope: string): () => Promise<H> {
  // Before the Framework builds its app (it does once this module is loaded): requests it
  // refuses itself (broken JSON, bad encodings) are answered in JSON and logged masked.
  // Bodies are held to the composed function's limits before the Framework's parsers read them.
  // Requests are built with the prototypes Express gives them, not changed on each request,
  // and served without a Node domain each (./http/framework-domains). V8's background
  // compilation and GC threads run in the time the requests leave free (./background-threads).
  yieldBackgroundThreads();
  installExpressRequestClasses();
  installPlainRequestScopes();
  const handler = lazyAsync(compose);
  const log = createLogger({ fields: { function: scope } });
  // Once per instance: what V8 was given, to check a deployment against its sizing (./heap-shape).
  log.info('instance starting', { heap: heapShape() });
  // What the guard refuses reaches the function's refusal observer, if it keeps one (zoom-webhook).
  installFrameworkErrorResponses(log, {
    bodyLimits: async (req) => bodyLimitsOf(await handler(), req),
    refusalObserver: async () => refusalObserverOf(await handler()),
  });
  handler().catch((err: unknown) => {
    // One structured line Cloud Logging shows as an error, then stop: the platform marks
    // the instance (and a fresh deployment) as failed instead of serving errors.
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${JSON.stringify({ severity: 'CRITICAL', message: `${scope}: cannot start: ${message}` })}\n`);
    process.exitCode = 1;
    setImmediate(() => process.exit(1));
  });
  return handler;
}
