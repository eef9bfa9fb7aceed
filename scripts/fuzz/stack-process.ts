/**
 * The local stack as the fuzz run's target: `npm start` in its own process (every function
 * on one port with the Firestore/Pub/Sub/Storage stand-ins and the mocks), started by the
 * driver with an IPC channel. Its stdout/stderr carry only what the functions and the
 * servers log — the driver reads them whole for the secret and PII checks — and the channel
 * answers introspection: Firestore writes as they happen, stored objects, the messages that
 * reached each topic, and OIDC tokens from the local issuer.
 *
 * Unlike `npm start` it prints no credentials (they would be in the very logs under test)
 * and logs at debug level, so the leak check also covers the per-request lines.
 */
import type { Message, Subscription } from '@google-cloud/pubsub';
import type { DocumentWrite } from '../../local/firestore';
import { startStack } from '../../local/stack';
import { createPubSub } from '../../shared/google';
import {
  type ChildMessage,
  type Command,
  type CommandResults,
  FUZZ_IAP_AUDIENCE,
  type ObservedWrites,
  type PulledMessage,
  type RequestMessage,
} from './stack-protocol';

const send = (message: ChildMessage) => process.send?.(message);
if (!process.send) {
  process.stderr.write('stack-process: run by the fuzz driver (needs an IPC channel)\n');
  process.exit(2);
}

// Artifact links require an identity proven by IAP's signed assertion (the local IAP-like signer),
// so the fuzz run can send forged and spoofed identities at them.
const stack = await startStack({
  port: 0,
  servicePorts: 'free',
  envOverrides: { LOG_LEVEL: 'debug', ARTIFACT_REQUIRE_IDENTITY: 'true', ARTIFACT_IAP_AUDIENCE: FUZZ_IAP_AUDIENCE, ARTIFACT_ALLOWED_DOMAINS: 'example.com' },
});
const project = stack.env['GCP_PROJECT'] ?? 'ccbridge-local';
const pubsub = createPubSub(project);

const writes: DocumentWrite[] = [];
const counted: ObservedWrites['counted'] = {};
let countOnly = new Set<string>();
let stopRecording: (() => void) | undefined;
const pulled: PulledMessage[] = [];
const observers: Subscription[] = [];

const collectionOf = (path: string) => {
  const parts = path.split('/documents/')[1]?.split('/') ?? [];
  // The collection a document is in: the second-to-last segment (nested collections included).
  return parts.length >= 2 ? parts[parts.length - 2]! : '';
};

async function prepare(only: string[]): Promise<CommandResults['prepare']> {
  countOnly = new Set(only);
  const [subscriptions] = await pubsub.getSubscriptions();
  const detached: string[] = [];
  // Accepted events stay on their topics, where they are counted; the functions behind the
  // push subscriptions (the worker) are fuzzed directly instead of by whatever was accepted.
  for (const sub of subscriptions) {
    const [metadata] = await sub.getMetadata();
    if (metadata.pushConfig?.pushEndpoint) {
      await sub.modifyPushConfig({});
      detached.push(sub.name.split('/').pop()!);
    }
  }
  const [topics] = await pubsub.getTopics();
  const names = topics.map((t) => t.name.split('/').pop()!);
  for (const topic of names) {
    const [sub] = await pubsub.topic(topic).createSubscription(`fuzz-observe-${topic}`, { ackDeadlineSeconds: 60 });
    sub.on('message', (m: Message) => {
      pulled.push({ topic, data: m.data.toString('utf8'), attributes: { ...m.attributes } });
      m.ack();
    });
    sub.on('error', (err: Error) => process.stderr.write(`stack-process: observer ${topic}: ${err.message}\n`));
    observers.push(sub);
  }
  stopRecording = stack.firestore.onWrite((write) => {
    const collection = collectionOf(write.path);
    if (!countOnly.has(collection)) {
      writes.push(write);
      return;
    }
    const entry = counted[collection] ?? { writes: 0, created: 0 };
    counted[collection] = entry;
    entry.writes++;
    if (write.kind === 'create') entry.created++;
  });
  return { topics: names, detached };
}

async function run(body: Command): Promise<unknown> {
  switch (body.command) {
    case 'prepare':
      return prepare(body.countOnly);
    case 'writes':
      return { writes, counted } satisfies ObservedWrites;
    case 'objects':
      return stack.storage.listAll().map((o) => ({ bucket: o.bucket, name: o.name, size: o.size }));
    case 'pull':
      // Every published message has reached its observer once nothing is left in flight.
      await stack.pubsub.drain(15_000);
      return pulled;
    case 'mint': {
      const { audience, email, command: _c, iap, ...options } = body;
      return iap ? stack.oidc.mintIap(audience, email, options) : stack.oidc.mint(audience, email, options);
    }
    case 'mint-id-token': {
      const { audience, claims, command: _c, ...options } = body;
      return stack.oidc.mintIdToken(audience, claims, options);
    }
    case 'stop':
      await shutdown();
      return null;
  }
}

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  stopRecording?.();
  for (const sub of observers) await sub.close().catch(() => undefined);
  await pubsub.close().catch(() => undefined);
  await stack.stop();
}

process.on('message', (raw: unknown) => {
  const message = raw as RequestMessage;
  if (message?.type !== 'request') return;
  run(message.body).then(
    (value) => {
      send({ type: 'reply', id: message.id, ok: true, value });
      if (message.body.command === 'stop') setImmediate(() => process.exit(0));
    },
    (err: unknown) => send({ type: 'reply', id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});
// The driver went away (crashed or killed): do not outlive it.
process.on('disconnect', () => {
  void shutdown().finally(() => process.exit(0));
});

process.stderr.write('fuzz stack ready\n');
send({
  type: 'ready',
  gatewayUrl: new URL(stack.functions['crm'] ?? Object.values(stack.functions)[0]!).origin,
  functions: stack.functions,
  credentials: stack.credentials,
  env: stack.env,
});
