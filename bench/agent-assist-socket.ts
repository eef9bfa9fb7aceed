/**
 * `npm run bench -- agent-assist-socket [--sockets 1000] [--conversations 100] [--rate 100] [--duration 20]`
 *
 * Issue 14's figures: publish → socket delay (p50/p99) at `rate` events/s, sockets held by
 * one instance, memory per socket. Three kinds of process: the Google stand-ins (Firestore,
 * Pub/Sub: local/services.ts), the socket server (bench/_agent-assist-server.ts), and this
 * one (publisher and socket.io-client sockets). Each event is published to a local Pub/Sub
 * topic whose push subscription targets the server's consumer; its payload carries the
 * publish time; every socket in the room records its arrival. The baseline is the same
 * path into a bare socket.io server that emits on receipt (no notification log), measured
 * the same way in the same run. Memory per socket = growth of the server's heap (after gc)
 * and RSS from before the sockets connect to after they all joined.
 */
import { parseArgs } from 'node:util';
import { PubSub } from '@google-cloud/pubsub';
import { io as connect, type Socket } from 'socket.io-client';
import { createTokenService } from '../functions/ui-connector/tokens';
import { Secret } from '../shared/config';
import { type BenchProcess, startTsProcess } from './_processes';

const PROJECT = 'ccbridge-bench';
const JWT_KEY = 'bench-ui-connector-jwt-signing-key-0123456789abcdef';

interface Figures {
  mode: string;
  sockets: number;
  events: number;
  deliveries: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
  heapPerSocket: number;
  rssPerSocket: number;
  baseRss: number;
  serverCpuMs: number;
}

export default async function bench(args: string[]): Promise<void> {
  const { values } = parseArgs({
    args,
    options: { sockets: { type: 'string' }, conversations: { type: 'string' }, rate: { type: 'string' }, duration: { type: 'string' } },
    strict: true,
  });
  const socketCount = Number(values.sockets ?? 1000);
  const conversations = Number(values.conversations ?? 100);
  const rate = Number(values.rate ?? 100);
  const seconds = Number(values.duration ?? 20);

  const services = await startTsProcess<{ firestoreHost: string; pubsubHost: string; storageUrl: string }>('../local/services.ts');
  const env = {
    ...process.env,
    FIRESTORE_EMULATOR_HOST: services.ready.firestoreHost,
    PUBSUB_EMULATOR_HOST: services.ready.pubsubHost,
    GOOGLE_CLOUD_PROJECT: PROJECT,
    METADATA_SERVER_DETECTION: 'none',
  };
  Object.assign(process.env, { PUBSUB_EMULATOR_HOST: services.ready.pubsubHost, METADATA_SERVER_DETECTION: 'none' });
  const serverEnv = { ...env, GCP_PROJECT: PROJECT, TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef', UI_CONNECTOR_JWT_SECRET: JWT_KEY };
  const pubsub = new PubSub({ projectId: PROJECT });
  const results: Figures[] = [];
  try {
    for (const mode of ['bare', 'ccbridge'] as const) {
      const server = await startTsProcess<{ url: string; memoryUrl: string }>('./_agent-assist-server.ts', {
        args: [mode],
        env: serverEnv,
        nodeArgs: ['--expose-gc'],
        readyVia: 'ipc',
      });
      try {
        results.push(await run(mode, server, pubsub, { socketCount, conversations, rate, seconds }));
      } finally {
        await server.stop();
      }
    }
  } finally {
    await pubsub.close();
    await services.stop();
  }

  const [bare, ours] = results as [Figures, Figures];
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const kib = (v: number) => `${(v / 1024).toFixed(1)} KiB`;
  const rows = [
    ['', 'bare socket.io relay (baseline)', 'ccbridge (notification log)', 'ratio'],
    ['sockets held (joined)', String(bare.sockets), String(ours.sockets), ''],
    [
      'events published / deliveries expected / received',
      `${bare.events} / ${bare.expected} / ${bare.deliveries}`,
      `${ours.events} / ${ours.expected} / ${ours.deliveries}`,
      '',
    ],
    ['publish → socket p50', ms(bare.p50), ms(ours.p50), `${(ours.p50 / bare.p50).toFixed(2)}×`],
    ['publish → socket p99', ms(bare.p99), ms(ours.p99), `${(ours.p99 / bare.p99).toFixed(2)}×`],
    ['publish → socket max', ms(bare.max), ms(ours.max), ''],
    ['heap per socket', kib(bare.heapPerSocket), kib(ours.heapPerSocket), `${(ours.heapPerSocket / bare.heapPerSocket).toFixed(2)}×`],
    ['RSS per socket', kib(bare.rssPerSocket), kib(ours.rssPerSocket), `${(ours.rssPerSocket / bare.rssPerSocket).toFixed(2)}×`],
    ['server RSS before sockets', kib(bare.baseRss), kib(ours.baseRss), ''],
    [
      'server CPU during the events',
      `${bare.serverCpuMs.toFixed(0)} ms`,
      `${ours.serverCpuMs.toFixed(0)} ms`,
      `${(ours.serverCpuMs / bare.serverCpuMs).toFixed(2)}×`,
    ],
    [
      'sockets in 512 MiB (RSS budget)',
      String(Math.floor((512 * 1024 * 1024 - bare.baseRss) / bare.rssPerSocket)),
      String(Math.floor((512 * 1024 * 1024 - ours.baseRss) / ours.rssPerSocket)),
      '',
    ],
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  console.log(
    `agent-assist-socket: ${socketCount} sockets in ${conversations} conversations, ${rate} events/s for ${seconds} s (Pub/Sub push → server → sockets)`,
  );
  for (const r of rows) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
}

async function run(
  mode: string,
  server: BenchProcess<{ url: string; memoryUrl: string }>,
  pubsub: PubSub,
  o: { socketCount: number; conversations: number; rate: number; seconds: number },
): Promise<Figures> {
  const topicId = `bench-suggestions-${mode}`;
  const [topic] = await pubsub.createTopic(topicId);
  await pubsub.createSubscription(topicId, `${topicId}-push`, {
    pushConfig: { pushEndpoint: `${server.ready.url}/notifications/human-agent-assistant-event` },
    ackDeadlineSeconds: 10,
  });
  const tokens = createTokenService({ keys: [new Secret(JWT_KEY)], project: PROJECT, ttlMinutes: 60 });
  const { token } = await tokens.issue('bench', 'agent');
  const memory = async () => (await (await fetch(server.ready.memoryUrl)).json()) as { rss: number; heapUsed: number };
  const name = (i: number) => `projects/${PROJECT}/locations/global/conversations/bench-${i}`;

  // Warm-up: the first join and the first push load the Google clients (seconds, megabytes);
  // a long-running instance has paid that long before, so it is left out of the figures.
  const warm = connect(server.ready.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
  let warmed = 0;
  warm.on('human-agent-assistant-event', () => warmed++);
  await new Promise<void>((resolve, reject) => {
    warm.once('connect', () => resolve());
    warm.once('connect_error', reject);
  });
  await new Promise<void>((resolve) => warm.emit('join-conversation', name(-1), () => resolve()));
  for (let n = 0; n < 20; n++) void topic.publishMessage({ json: { conversation: name(-1), sentAt: Date.now() } });
  const warmDeadline = Date.now() + 60_000;
  while (warmed < 20 && Date.now() < warmDeadline) await new Promise((r) => setTimeout(r, 100));

  const before = await memory();
  const delays: number[] = [];
  const sockets: Socket[] = [warm];
  for (let i = 0; i < o.socketCount; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, o.socketCount - i) }, async (_, k) => {
        const s = connect(server.ready.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
        sockets.push(s);
        s.on('human-agent-assistant-event', (payload: { data: string }) => {
          delays.push(Date.now() - (JSON.parse(payload.data) as { sentAt: number }).sentAt);
        });
        await new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', reject);
        });
        await new Promise<void>((resolve) => s.emit('join-conversation', name((i + k) % o.conversations), () => resolve()));
      }),
    );
  }
  const after = await memory();

  const cpuBefore = server.cpuMs();
  const total = o.rate * o.seconds;
  const started = Date.now();
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / o.rate;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    void topic.publishMessage({ json: { conversation: name(n % o.conversations), sentAt: Date.now(), suggestionResults: [] } });
  }
  const perRoom = o.socketCount / o.conversations;
  const expected = Math.round(total * perRoom);
  const deadline = Date.now() + 30_000;
  while (delays.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const serverCpuMs = server.cpuMs() - cpuBefore;
  for (const s of sockets) s.disconnect();
  await pubsub.subscription(`${topicId}-push`).delete();
  await topic.delete();

  const sorted = [...delays].sort((a, b) => a - b);
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return {
    mode,
    sockets: sockets.length - 1,
    events: total,
    deliveries: delays.length,
    expected,
    p50: q(0.5),
    p99: q(0.99),
    max: sorted.at(-1) ?? Number.NaN,
    heapPerSocket: (after.heapUsed - before.heapUsed) / (sockets.length - 1),
    rssPerSocket: (after.rss - before.rss) / (sockets.length - 1),
    baseRss: before.rss,
    serverCpuMs,
  };
}
