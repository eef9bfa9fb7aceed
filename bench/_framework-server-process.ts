/**
 * A process of `npm run bench -- framework-server` (never started by hand): one Functions
 * Framework function, served on the Framework's stock server (`stock`) or on the server as
 * deployed (`deployed`: requests born with Express's prototypes, shared/http/framework-server.ts,
 * and no Node domain per request, framework-domains.ts — which acts on the whole process, hence
 * one process per server).
 * The function parses a small JSON body, holds the request `holdMs` (as a function awaiting
 * Firestore does: requests are in flight when the young generation is collected) and answers
 * JSON. Ready: an IPC message with its URL and a second, plain `node:http` one whose GET answers
 * the garbage collections since the last GET (PerformanceObserver 'gc' entries, main-thread pauses).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { serveAlone } from '../local/gateway';
import { stopOnSignalOrParentExit } from './_processes';

export interface FrameworkServerReady {
  url: string;
  gcUrl: string;
}

export interface GcSince {
  scavenges: number;
  scavengeMs: number;
  scavengeMaxMs: number;
  majors: number;
  majorMs: number;
}

const holdMs = Number(process.argv[2] ?? 5);
const stockServer = process.argv[3] === 'stock';
const handler = async (req: { body?: unknown }, res: { json(body: unknown): void }) => {
  if (holdMs > 0) await sleep(holdMs);
  res.json({ ok: true, received: typeof req.body === 'object' && req.body !== null ? Object.keys(req.body).length : 0 });
};
const composed = { signature: 'http' as const, handler: handler as never };
const served = await serveAlone('benchEcho', composed, { stockServer });

let gc: GcSince = { scavenges: 0, scavengeMs: 0, scavengeMaxMs: 0, majors: 0, majorMs: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = (entry as { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      gc.scavenges++;
      gc.scavengeMs += entry.duration;
      gc.scavengeMaxMs = Math.max(gc.scavengeMaxMs, entry.duration);
    } else {
      gc.majors++;
      gc.majorMs += entry.duration;
    }
  }
}).observe({ entryTypes: ['gc'] });
const gcServer = http.createServer((_req, res) => {
  // Entries are delivered asynchronously: let the pending ones arrive first.
  setImmediate(() => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(gc));
    gc = { scavenges: 0, scavengeMs: 0, scavengeMaxMs: 0, majors: 0, majorMs: 0 };
  });
});
await new Promise<void>((resolve) => gcServer.listen(0, '127.0.0.1', () => resolve()));
stopOnSignalOrParentExit(async () => {
  await served.stop();
  gcServer.close();
});
const ready: FrameworkServerReady = {
  url: served.url,
  gcUrl: `http://127.0.0.1:${(gcServer.address() as AddressInfo).port}/`,
};
process.send!(ready);
