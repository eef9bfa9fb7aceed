/**
 * The functions' process of the HTTP benchmarks (started by bench/ui-connector.ts and
 * bench/zoom-webhook.ts, never by hand): one function composed over the Google stand-ins of
 * another process (local/services.ts), each row on an HTTP server of its own built as a deployed
 * instance builds it (local/gateway.ts `serveAlone`: the Framework's server after what the entry
 * files install, requests born with Express's prototypes), in this same process:
 *   function  the function over the stand-ins (the stack's configuration and credentials);
 *   memory    the same function with its Firestore port in memory (Pub/Sub still the stand-in);
 *   floor     the durable calls alone: the same Firestore and Pub/Sub calls per request through the
 *             same adapters and stand-ins, nothing else (./_floor-function.ts: the ratio no
 *             implementation keeping those calls can exceed);
 *   bare      a Functions Framework function answering {} (the ratio's denominator).
 * `stock` as third argument: every row on the Framework's stock server instead, nothing of what
 * the entry files install (shared/http/framework-server.ts, framework-domains.ts). The bare
 * function as the Framework ships is another process (./_stock-bare-process.ts).
 * Logs stay at the production level (info) and go to stdout, which the bench discards.
 * Ready: an IPC message with the URLs and the local credentials; it then answers the bench's
 * questions about its GC pauses (./_gc-account).
 */
import { composeUiConnector } from '../functions/ui-connector/compose';
import { composeZoomWebhook } from '../functions/zoom-webhook/compose';
import type { Composed } from '../local/function-registry';
import { serveAlone } from '../local/gateway';
import type { LocalCredentials } from '../local/credentials';
import type { ExternalServices } from '../local/services';
import { startStack } from '../local/stack';
import { yieldBackgroundThreads } from '../shared/background-threads';
import { lazyFirestoreDocStore, lazyPubSubEventBus } from '../shared/google-lazy';
import { createMemoryDocStore } from '../test/support/doubles/memory-docstore';
import { durableCallsAlone } from './_floor-function';
import { keepGcAccount } from './_gc-account';
import { stopOnSignalOrParentExit } from './_processes';

export type BenchedFunction = 'ui-connector' | 'zoom-webhook';

export interface FunctionsProcessReady {
  /** The function on the stack: Firestore and Pub/Sub are the stand-ins' process. */
  functionUrl: string;
  /** The same function with Firestore in memory. */
  memoryUrl: string;
  /** The function's Firestore and Pub/Sub calls alone (./_floor-function.ts). */
  floorUrl: string;
  /** The bare Functions Framework function. */
  bareUrl: string;
  credentials: LocalCredentials;
  zoomUrl: string;
}

keepGcAccount();
const [name, servicesJson, server] = process.argv.slice(2) as [BenchedFunction, string, 'stock' | undefined];
const services = JSON.parse(servicesJson) as ExternalServices;
// wrk replays fixed requests against two URLs (the function's and its in-memory twin's), so the ui-connector
// bench sends the reference Twilio Function's unsigned request: a signature would hold for one URL only.
// Verifying one costs an HMAC-SHA1 and a SHA-256 of a small body, next to nothing beside the Firestore client.
// The stack gives the configuration, the credentials and the Zoom stand-in, and composes no function of its
// own: an idle copy would still do its background work (ui-connector's notification reader) in this process.
const stack = await startStack({ functions: [], services, envOverrides: name === 'ui-connector' ? { UI_CONNECTOR_UNSIGNED_REQUESTS: 'accept' } : {} });
const stockServer = server === 'stock';
// As the entry files do (shared/entry.ts): V8's helper threads yield to the serving thread.
if (!stockServer) yieldBackgroundThreads();
const compose = name === 'ui-connector' ? composeUiConnector : composeZoomWebhook;
const entry = name === 'ui-connector' ? 'benchUiConnector' : 'benchZoomWebhook';
const fn = await serveAlone(entry, { signature: 'http', handler: compose(stack.env) }, { stockServer });
const memory = await serveAlone(`${entry}Memory`, { signature: 'http', handler: compose(stack.env, { docs: createMemoryDocStore() }) }, { stockServer });
const floorPorts = {
  docs: lazyFirestoreDocStore(stack.env['GCP_PROJECT']!, stack.env['FIRESTORE_DATABASE']!),
  bus: lazyPubSubEventBus(stack.env['GCP_PROJECT']!),
  topic: stack.env[name === 'ui-connector' ? 'CONVERSATION_EVENTS_TOPIC' : 'ZOOM_EVENTS_TOPIC']!,
};
const floor = await serveAlone(`${entry}Floor`, { signature: 'http', handler: durableCallsAlone(name, floorPorts) }, { stockServer });
const answerEmpty: Composed = { signature: 'http', handler: async (_req, res) => void res.json({}) };
const bare = await serveAlone('benchBare', answerEmpty, { stockServer });
stopOnSignalOrParentExit(async () => {
  for (const lone of [fn, memory, floor, bare]) await lone.stop();
  await stack.stop();
});

const ready: FunctionsProcessReady = {
  functionUrl: fn.url,
  memoryUrl: memory.url,
  floorUrl: floor.url,
  bareUrl: bare.url,
  credentials: stack.credentials,
  zoomUrl: stack.emulators.zoom,
};
process.send!(ready);
