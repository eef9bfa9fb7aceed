/**
 * `npm run bench -- firestore-client [--rounds 10] [--pairs 2000]`
 *
 * What the Firestore client itself costs the function's process per operation (issue #15),
 * by client setup, on the webhook's write pattern (a `create()` then an `update()` of the same
 * document, through the DocStore adapter):
 *  - "alone": one request at a time (each write is its own Commit);
 *  - "together": 8 × 16 requests in flight at once, 16 arriving in each event-loop turn, as
 *    under load (the adapter's batching: BatchWrite requests shared between them).
 * Setups, alternated round by round in this one process so that machine noise falls on all
 * of them alike (medians of the rounds; the first two rounds are warm-up):
 *  - gRPC with the client's OpenTelemetry spans on (the client's default: the baseline);
 *  - gRPC with spans off (what `createFirestore` builds unless FIRESTORE_ENABLE_TRACING is set);
 *  - the same client called directly, one call per operation (what the adapter did before it
 *    batched): the cost or saving of the batching itself;
 *  - REST (`preferRest: true`, spans off): the client's HTTP/1.1 + JSON transport.
 * gRPC setups talk to the Firestore stand-in (local/firestore/) in a process of its own. The
 * stand-in speaks gRPC only, so the REST setup talks to a responder process (this file with
 * `--serve-rest`) that answers every `:commit` and `:batchWrite` with a well-formed response
 * and checks nothing: it exists to measure the client's own REST cost, not to stand in for
 * Firestore in any test. Both servers are pinned to CPU 1 and this process to CPU 0 where
 * taskset works. No Node `domain` is created: the deployed functions serve without one
 * (shared/http/framework-domains.ts), so nothing tracks the clients' promises, as in production.
 */
import { realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Firestore } from '@google-cloud/firestore';
import { createFirestoreDocStore } from '../shared/adapters/firestore';
import type { DocStore } from '../shared/ports/docstore';
import { fmt, formatTable } from './_http-bench';
import { canPin, pinned, startTsProcess, stopOnSignalOrParentExit } from './_processes';

const TOGETHER = 16;
const LANES = 8;

interface Setup {
  name: string;
  /** Through the DocStore adapter (batching), or the client's own calls one by one (`plain`). */
  docs: DocStore;
  plain: boolean;
  db: Firestore;
  alone: number[];
  together: number[];
}

export default async function bench(args: string[]): Promise<void> {
  process.env['METADATA_SERVER_DETECTION'] = 'none';
  const { values } = parseArgs({ args, options: { rounds: { type: 'string' }, pairs: { type: 'string' } }, strict: true });
  const rounds = Number(values.rounds ?? 10);
  const pairs = Number(values.pairs ?? 2000);
  const pin = canPin();
  if (pin && !process.env['CCBRIDGE_BENCH_PINNED']) {
    // Re-run this bench on CPU 0 alone, the servers get CPU 1.
    const { spawnSync } = await import('node:child_process');
    const { command, args: argv } = pinned('0', process.execPath, [...process.execArgv, ...process.argv.slice(1)]);
    const run = spawnSync(command, argv, { stdio: 'inherit', env: { ...process.env, CCBRIDGE_BENCH_PINNED: '1' } });
    process.exitCode = run.status ?? 1;
    return;
  }

  const standIn = await startTsProcess<{ host: string }>('./firestore-standin.ts', { args: ['--serve', 'new'], cpus: pin ? '1' : undefined });
  const rest = await startTsProcess<{ host: string }>('./firestore-client.ts', { args: ['--serve-rest'], cpus: pin ? '1' : undefined });
  const setups: Setup[] = [];
  try {
    const grpc = (tracing: 'ON' | 'OFF') => {
      process.env['FIRESTORE_EMULATOR_HOST'] = standIn.ready.host;
      process.env['FIRESTORE_ENABLE_TRACING'] = tracing;
      return new Firestore({ projectId: 'bench', ignoreUndefinedProperties: true });
    };
    const restClient = () => {
      process.env['FIRESTORE_EMULATOR_HOST'] = rest.ready.host;
      process.env['FIRESTORE_ENABLE_TRACING'] = 'OFF';
      // Against an emulator host the REST transport still asks for credentials; the
      // emulator's convention is the "owner" bearer token, sent on every request.
      const authClient = {
        getRequestHeaders: async () => new Headers({ authorization: 'Bearer owner' }),
        fetch: (url: string, init: RequestInit) => fetch(url, init),
      };
      return new Firestore({ projectId: 'bench', ignoreUndefinedProperties: true, preferRest: true, authClient });
    };
    for (const [name, db, plain] of [
      ['gRPC, spans on (client default)', grpc('ON'), false],
      ['gRPC, spans off (createFirestore)', grpc('OFF'), false],
      ['gRPC, spans off, no batching (plain client calls)', grpc('OFF'), true],
      ['REST (preferRest), spans off', restClient(), false],
    ] as const) {
      setups.push({ name, db, plain, docs: createFirestoreDocStore(db), alone: [], together: [] });
    }
    delete process.env['FIRESTORE_ENABLE_TRACING'];

    let seq = 0;
    const body = 'x'.repeat(400);
    const pair = async (s: Setup) => {
      const id = `d${seq++}`;
      const data = { key: id, event: 'contact_center.recording_completed', body, published: false, signatures: ['a'.repeat(64)], receivedAt: new Date() };
      const mark = { published: true, messageId: String(seq) };
      if (s.plain) {
        const ref = s.db.collection('bench').doc(id);
        await ref.create(data);
        await ref.update(mark);
        return;
      }
      await s.docs.create('bench', id, data);
      await s.docs.update('bench', id, mark);
    };
    const cpuPerPair = async (n: number, run: () => Promise<void>) => {
      const c0 = process.cpuUsage();
      await run();
      const c = process.cpuUsage(c0);
      return (c.user + c.system) / n;
    };
    for (let round = 0; round < rounds; round++) {
      for (const s of setups) {
        const lone = Math.max(50, Math.round(pairs / 10));
        const alone = await cpuPerPair(lone, async () => {
          for (let i = 0; i < lone; i++) await pair(s);
        });
        const together = await cpuPerPair(pairs, async () => {
          let started = 0;
          const lane = async () => {
            while (started < pairs) {
              started += TOGETHER;
              await Promise.all(Array.from({ length: TOGETHER }, () => pair(s)));
            }
          };
          await Promise.all(Array.from({ length: LANES }, lane));
        });
        if (round >= 2) {
          s.alone.push(alone);
          s.together.push(together);
        }
      }
    }
  } finally {
    for (const s of setups) await s.db.terminate();
    await rest.stop();
    await standIn.stop();
  }

  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const base = setups[0]!;
  const rows = setups.map((s) => [
    s.name,
    fmt(median(s.alone), 0),
    fmt(median(s.alone) / median(base.alone), 2),
    fmt(median(s.together), 0),
    fmt(median(s.together) / median(base.together), 2),
  ]);
  const header = [
    'client setup',
    'alone: CPU µs per create+update',
    'vs baseline',
    `${LANES} × ${TOGETHER} in flight: CPU µs per create+update`,
    'vs baseline',
  ];
  process.stdout.write(
    `Firestore client CPU in this process (process.cpuUsage, all threads) per create()+update() pair ` +
      `through the DocStore adapter (or plain client calls where the row says so); ` +
      `Node ${process.version}; ${rounds - 2} measured rounds after 2 warm-up, setups alternated, medians; ` +
      `${pin ? 'this process on CPU 0, servers on CPU 1' : 'not pinned'}; baseline = first row\n\n${formatTable(header, rows)}\n`,
  );
}

/** The REST responder (see the header): well-formed Commit and BatchWrite answers, nothing checked or stored. */
async function serveRest(): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { writes?: unknown[] };
      const now = new Date().toISOString();
      const results = (request.writes ?? []).map(() => ({ updateTime: now }));
      const answer = req.url?.includes(':batchWrite') ? { writeResults: results, status: results.map(() => ({})) } : { writeResults: results, commitTime: now };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(answer));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stopOnSignalOrParentExit(async () => void server.close());
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ host: `127.0.0.1:${typeof address === 'object' && address ? address.port : 0}` })}\n`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url) && process.argv.includes('--serve-rest')) {
  await serveRest();
}
