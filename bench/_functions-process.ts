/**
 * The functions' process of the HTTP benchmarks (started by bench/ui-connector.ts and
 * bench/zoom-webhook.ts, never by hand): one function composed on the local stack over the
 * Google stand-ins of another process (local/services.ts), plus, on a second gateway in
 * this same process, the baseline and the function-only variant:
 *   /bare/    a Functions Framework function answering {} (the ratio's denominator);
 *   /<name>/  the same function with its Firestore port in memory (Pub/Sub still the stand-in).
 * Logs stay at the production level (info) and go to stdout, which the bench discards.
 * Ready: an IPC message with the URLs and the local credentials.
 */
import { composeUiConnector } from '../functions/ui-connector/compose';
import { composeZoomWebhook } from '../functions/zoom-webhook/compose';
import { startGateway } from '../local/gateway';
import type { LocalCredentials } from '../local/credentials';
import type { ExternalServices } from '../local/services';
import { startStack } from '../local/stack';
import { createMemoryDocStore } from '../test/support/doubles/memory-docstore';
import { stopOnSignalOrParentExit } from './_processes';

export type BenchedFunction = 'ui-connector' | 'zoom-webhook';

export interface FunctionsProcessReady {
  /** The function on the stack: Firestore and Pub/Sub are the stand-ins' process. */
  functionUrl: string;
  /** The same function with Firestore in memory. */
  memoryUrl: string;
  /** The bare Functions Framework function. */
  bareUrl: string;
  credentials: LocalCredentials;
  zoomUrl: string;
}

const [name, servicesJson] = process.argv.slice(2) as [BenchedFunction, string];
const services = JSON.parse(servicesJson) as ExternalServices;
// wrk replays fixed requests against two URLs (the stack's and the in-memory twin's), so the ui-connector
// bench sends the reference Twilio Function's unsigned request: a signature would hold for one URL only.
// Verifying one costs an HMAC-SHA1 and a SHA-256 of a small body, next to nothing beside the Firestore client.
const stack = await startStack({ functions: [name], services, envOverrides: name === 'ui-connector' ? { UI_CONNECTOR_UNSIGNED_REQUESTS: 'accept' } : {} });
const side = await startGateway();
stopOnSignalOrParentExit(async () => {
  await side.stop();
  await stack.stop();
});

side.mount('bare', 'benchBare', { signature: 'http', handler: async (_req, res) => void res.json({}) });
const docs = createMemoryDocStore();
side.mount(name, name === 'ui-connector' ? 'benchUiConnectorMemory' : 'benchZoomWebhookMemory', {
  signature: 'http',
  handler: name === 'ui-connector' ? composeUiConnector(stack.env, { docs }) : composeZoomWebhook(stack.env, { docs }),
});

const ready: FunctionsProcessReady = {
  functionUrl: stack.functions[name]!,
  memoryUrl: `${side.url}/${name}`,
  bareUrl: `${side.url}/bare`,
  credentials: stack.credentials,
  zoomUrl: stack.emulators.zoom,
};
process.send!(ready);
