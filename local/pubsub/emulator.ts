import { Server, ServerCredentials } from '@grpc/grpc-js';
import { Broker } from './broker';
import { DrainTimeoutError } from './errors';
import { loadPubSubServices } from './proto';
import { createPublisherService } from './publisher-service';
import { buildPushRequest } from './push-request';
import { type MintOidcToken, PushSender } from './push-sender';
import { createSubscriberService } from './subscriber-service';
import type { SubscriptionStats } from './subscription-runtime';

export type { MintOidcToken } from './push-sender';
export type { SubscriptionStats } from './subscription-runtime';

export interface PubSubEmulatorOptions {
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  log?: (line: string) => void;
  /** Push requests in flight at once per subscription, so a slow endpoint is not flooded. */
  pushConcurrency?: number;
  /** Produces the bearer token for push subscriptions with `oidcToken`; without it none is sent. */
  mintOidcToken?: MintOidcToken;
  /** How long a unary Pull with nothing to deliver waits before answering empty. */
  pullWaitMs?: number;
}

export interface PubSubEmulator {
  /** "127.0.0.1:PORT", the value for PUBSUB_EMULATOR_HOST. */
  readonly host: string;
  readonly port: number;
  /** Resolves when no push/pull message is outstanding or waiting for a retry (or rejects after timeoutMs). */
  drain(timeoutMs?: number): Promise<void>;
  /** Introspection for tests and tooling: per-subscription counts, keyed by full subscription name. */
  stats(): Record<string, SubscriptionStats>;
  stop(): Promise<void>;
}

const DEFAULT_PUSH_CONCURRENCY = 16;
const DEFAULT_PULL_WAIT_MS = 1000;
const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const DRAIN_POLL_MS = 10;
// Pub/Sub accepts publish requests up to 10 MB.
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

function bindServer(server: Server, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => (error ? reject(error) : resolve(port)));
  });
}

function waitUntilIdle(broker: Broker, timeoutMs: number): Promise<void> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const busy = broker.busySubscriptions();
      if (busy.length === 0) {
        resolve();
        return;
      }
      if (Date.now() - startedAt >= timeoutMs) {
        reject(new DrainTimeoutError(timeoutMs, busy));
        return;
      }
      setTimeout(check, DRAIN_POLL_MS).unref();
    };
    // Let work scheduled by the caller's last call (deferred pumps) start first.
    setImmediate(check);
  });
}

/**
 * Starts an in-memory Pub/Sub server that the real @google-cloud/pubsub client talks to
 * * through PUBSUB_EMULATOR_HOST, with push subscriptions delivering as Pub/Sub push does.
 */
export async function startPubSubEmulator(options: PubSubEmulatorOptions = {}): Promise<PubSubEmulator> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const pushConcurrency = options.pushConcurrency ?? DEFAULT_PUSH_CONCURRENCY;
  if (!Number.isInteger(pushConcurrency) || pushConcurrency < 1) {
    throw new RangeError(`pushConcurrency must be a positive integer, got ${pushConcurrency}`);
  }
  const sender = new PushSender(options.mintOidcToken);
  const broker = new Broker({
    pushConcurrency,
    log,
    now: () => Date.now(),
    push: async (runtime, message, deliveryAttempt) => {
      const target = runtime.policy.push;
      if (target === undefined) return false;
      const content = buildPushRequest(message, runtime.name, deliveryAttempt);
      const outcome = await sender.send(target, content, runtime.policy.ackDeadlineMs);
      if (!outcome.ok) {
        log(`pubsub: push of message ${message.messageId} from ${runtime.name} to ${target.endpoint} failed: ${outcome.reason}`);
      }
      return outcome.ok;
    },
  });

  const services = loadPubSubServices();
  const server = new Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
  server.addService(services.publisher, createPublisherService(broker, log));
  server.addService(services.subscriber, createSubscriberService(broker, { log, pullWaitMs: options.pullWaitMs ?? DEFAULT_PULL_WAIT_MS }));
  const port = await bindServer(server, `${host}:${options.port ?? 0}`);
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`pubsub: emulator listening on ${address}`);

  let stopped: Promise<void> | undefined;
  return {
    host: address,
    port,
    drain: (timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS) => waitUntilIdle(broker, timeoutMs),
    stats: () => broker.stats(),
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        // Streams and waiting pulls end first, so tryShutdown has nothing left to wait for.
        broker.close();
        sender.close();
        // A call a client keeps open would hold tryShutdown forever.
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 1000);
        force.unref();
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
      return stopped;
    },
  };
}
