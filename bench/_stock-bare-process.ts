/**
 * The stock bare function of the HTTP benchmarks (started by bench/_http-bench.ts, never by
 * hand): a Functions Framework function answering {} on the server the Framework builds, with
 * nothing of what the entry files install — in a process of its own, because what they install
 * acts on the whole process (a Node domain per request is turned off for every server in it:
 * shared/http/framework-domains.ts). The ratio against the Framework as it ships.
 * Ready: an IPC message with its URL; it keeps a GC account as the functions' process does.
 */
import type { Composed } from '../local/function-registry';
import { serveAlone } from '../local/gateway';
import { keepGcAccount } from './_gc-account';
import { stopOnSignalOrParentExit } from './_processes';

export interface StockBareReady {
  url: string;
}

keepGcAccount();
const answerEmpty: Composed = { signature: 'http', handler: async (_req, res) => void res.json({}) };
const stockBare = await serveAlone('benchBareStock', answerEmpty, { stockServer: true });
stopOnSignalOrParentExit(() => stockBare.stop());
const ready: StockBareReady = { url: stockBare.url };
process.send!(ready);
