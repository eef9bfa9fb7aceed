/**
 * One port for every function, mirroring the Cloud Functions URL scheme:
 * `http://localhost:PORT/<function-name>/...` reaches the function with path `/...`.
 * Each function runs inside the real Functions Framework (body parsing, rawBody,
 * CloudEvent decoding), obtained through its testing entry point.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { installFrameworkErrorResponses } from '../shared/http/framework-errors';
import type { Composed } from './function-registry';

type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** The HTTP server itself (ui-connector's socket.io server attaches to it). */
  readonly server: http.Server;
  /** Registers a composed function under its entry point and routes `/<name>/` to it. */
  mount(name: string, entryPoint: string, composed: Composed): void;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  host?: string;
  port?: number;
  /**
   * Share the port with other processes listening with the same flag (SO_REUSEPORT): the
   * kernel spreads new connections over them, so a replacement can start before the
   * process it replaces is killed, as a new function instance does.
   */
  reusePort?: boolean;
}

export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  // As the deployed entry files do: what the Framework refuses itself is answered in JSON.
  installFrameworkErrorResponses();
  const listeners = new Map<string, Listener>();
  const eventFunctions = new Set<string>();
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const match = /^\/([a-z][a-z0-9-]*)(\/.*|\?.*)?$/.exec(url);
    const listener = match ? listeners.get(match[1]!) : undefined;
    if (!match || !listener) {
      const body = JSON.stringify({ status: 'ok', functions: [...listeners.keys()] });
      res.writeHead(url === '/' ? 200 : 404, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const rest = match[2] ?? '/';
    req.url = rest.startsWith('?') ? `/${rest}` : rest;
    if (eventFunctions.has(match[1]!) && (req.method === 'GET' || req.method === 'HEAD') && req.url.split('?')[0] === '/') {
      // Event functions only take CloudEvent POSTs; the gateway answers their health check.
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', function: match[1] }));
      return;
    }
    listener(req, res);
  });
  server.keepAliveTimeout = 65_000;
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: options.port ?? 0, host, ...(options.reusePort ? { reusePort: true } : {}) }, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    server,
    mount(name, entryPoint, composed) {
      if (composed.signature === 'http') ff.http(entryPoint, composed.handler);
      else ff.cloudEvent(entryPoint, composed.handler);
      const inner = getTestServer(entryPoint);
      const listener = inner.listeners('request')[0] as Listener | undefined;
      if (!listener) throw new Error(`functions framework gave no request listener for ${entryPoint}`);
      listeners.set(name, listener);
      if (composed.signature === 'cloudevent') eventFunctions.add(name);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
