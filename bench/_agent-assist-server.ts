/**
 * The socket server under test for `npm run bench -- agent-assist-socket`, in a process of
 * its own (its memory and CPU are measured apart from the clients'):
 *   ccbridge — ui-connector (serve.ts's composition): Pub/Sub push → notification log in
 *              Firestore (the stand-in's process) → each instance's read → sockets;
 *   bare     — the baseline: a socket.io server whose push handler decodes the event and
 *              emits it to the room at once (the reference's path without Redis and without
 *              anything surviving a missed join).
 * Ready message (IPC; stdout carries the function's log lines): {url, memoryUrl}. GET memoryUrl runs gc and answers process memory.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { Server } from 'socket.io';
import { composeUiConnector } from '../functions/ui-connector/compose';
import { conversationRoom, decodeNotification, pushEnvelopeSchema } from '../shared/agent-assist/notifications';
import { stopOnSignalOrParentExit } from './_processes';

const mode = process.argv[2];
const listen = (server: http.Server) =>
  new Promise<string>((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));

let server: http.Server;
let close: () => Promise<void>;
if (mode === 'ccbridge') {
  const handler = composeUiConnector({ ...process.env, UI_CONNECTOR_NOTIFICATIONS: 'accept', LOG_LEVEL: 'warn' });
  registerHttp('uiConnector', handler);
  server = getTestServer('uiConnector');
  const socket = await handler.attachSocket(server);
  close = () => socket.close();
} else if (mode === 'bare') {
  server = http.createServer();
  const io = new Server(server, { transports: ['polling', 'websocket'], serveClient: false });
  io.on('connection', (socket) => {
    socket.on('join-conversation', (name: string, ack?: (...a: unknown[]) => void) => {
      const room = conversationRoom(name);
      void socket.join(room);
      ack?.(true, room);
    });
  });
  server.on('request', (req, res) => {
    if (req.url?.startsWith('/socket.io/')) return;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const envelope = pushEnvelopeSchema.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      if (envelope.success) {
        const decoded = decodeNotification(envelope.data, 'human-agent-assistant-event', new Date());
        if (decoded.kind === 'event') io.to(decoded.room).emit(decoded.payload.data_type, decoded.payload);
      }
      res.writeHead(204).end();
    });
  });
  close = async () => {
    io.disconnectSockets(true);
  };
} else {
  throw new Error('usage: _agent-assist-server.ts ccbridge|bare');
}
const url = await listen(server);
const memoryServer = http.createServer((_req, res) => {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ rss: m.rss, heapUsed: m.heapUsed, external: m.external }));
});
const memoryUrl = await listen(memoryServer);
stopOnSignalOrParentExit(async () => {
  await close();
  server.closeAllConnections();
  memoryServer.close();
});
process.send?.({ url, memoryUrl });
