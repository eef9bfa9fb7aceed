/**
 * The socket.io server the Agent Assist UI modules connect to (`notifier-server-endpoint` =
 * this service, library SocketIo): socket.io v4 on the default `/socket.io/` path, websocket
 * with long-polling fallback. The handshake's `auth: {token}` is checked like the REST token;
 * a refusal is the client's `connect_error` and nothing is sent to anyone else (the
 * reference broadcast `unauthenticated` to every client). `join-conversation` /
 * `leave-conversation` acknowledge `(true, <name without locations/<l>/>)` as the reference
 * does. Events reach sockets through the notification log: on join a socket gets what its
 * room received in the retention window, in publish order; afterwards this instance reads
 * what every instance's consumer committed and delivers each event once per socket.
 *
 * A client given `https://host/path` uses namespace `/path`: the namespaces served are `/`
 * and the path of the public URL (the local stack serves the function under /ui-connector).
 */
import type http from 'node:http';
import type { Server, Socket } from 'socket.io';
import { byPublishTime, type LoggedNotification, type NotificationLog } from '../../shared/agent-assist/notification-log';
import { CONVERSATION_NAME, conversationRoom } from '../../shared/agent-assist/notifications';
import type { Logger } from '../../shared/logging';
import type { TokenService } from './tokens';
import { withoutTrailingSlash } from '../../shared/http/url';

export interface SocketServerDeps {
  tokens: TokenService;
  log: NotificationLog;
  logger: Logger;
  project: string;
  /** Namespaces served besides "/" (the public URL's path). */
  namespaces: string[];
  corsOrigins: string[];
  retentionSeconds: number;
  pollMs: number;
  now: () => Date;
}

export interface AgentAssistSocketServer {
  io: Server;
  /** One read of the log and its deliveries (the loop calls it every pollMs while sockets are joined). */
  pollOnce(): Promise<number>;
  /** Sockets connected to this instance. */
  connectedCount(): number;
  close(): Promise<void>;
}

/** Rooms one socket may be in at once (an agent handles a few conversations, never hundreds). */
const MAX_ROOMS_PER_SOCKET = 16;
/**
 * Message keys each socket remembers to skip a second delivery. Overlaps are short: a join's
 * replay against the reads of the next seconds, and re-reads at the cursor's millisecond.
 */
const SEEN_PER_SOCKET = 1024;
const POLL_BATCH = 500;

interface SocketState {
  rooms: Set<string>;
  seen: Set<string>;
  /** The handshake token's `exp`, in ms: the connection ends with its token. */
  expiresAtMs: number;
}

/** What the client hears when its connection outlives its token (it must /register again). */
const TOKEN_EXPIRED_EVENT = 'token-expired';

/** socket.io loads here, not at instance start: the Cloud Function build of ui-connector never serves sockets. */
export async function attachAgentAssistSocket(server: http.Server, deps: SocketServerDeps): Promise<AgentAssistSocketServer> {
  const { Server: SocketIoServer } = await import('socket.io');
  const io: Server = new SocketIoServer(server, {
    path: '/socket.io/',
    transports: ['polling', 'websocket'],
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    connectTimeout: 10_000,
    cors: { origin: deps.corsOrigins, methods: ['GET', 'POST'], credentials: false },
  });
  const members = new Map<string, Set<Socket>>();
  const states = new WeakMap<Socket, SocketState>();
  let cursor: Date | undefined;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<number> | undefined;
  let closed = false;

  /** Ends a connection whose token has expired (true), so no token outlives its `exp` on a socket. */
  const endIfExpired = (socket: Socket): boolean => {
    const state = states.get(socket);
    if (!state || deps.now().getTime() < state.expiresAtMs) return false;
    deps.logger.info('socket closed', { reason: 'token expired' });
    socket.emit(TOKEN_EXPIRED_EVENT, { message: 'Your token has expired.' });
    socket.disconnect(true);
    return true;
  };

  const deliver = (socket: Socket, event: LoggedNotification): void => {
    const state = states.get(socket);
    if (!state || state.seen.has(event.key) || !state.rooms.has(event.room) || endIfExpired(socket)) return;
    if (state.seen.size >= SEEN_PER_SOCKET) state.seen.delete(state.seen.values().next().value!);
    state.seen.add(event.key);
    socket.emit(event.payload.data_type, event.payload);
  };

  const doPoll = async (): Promise<number> => {
    // Joined sockets whose token has expired are closed even when nothing arrives for them.
    for (const sockets of members.values()) for (const socket of [...sockets]) endIfExpired(socket);
    if (members.size === 0 || cursor === undefined) return 0;
    const batch = await deps.log.committedSince(cursor, POLL_BATCH);
    if (batch.length === 0) return 0;
    const last = batch[batch.length - 1]!.committedAt;
    if (last.getTime() > cursor.getTime()) cursor = last;
    else if (batch.length === POLL_BATCH) {
      // A full read within one millisecond would be read again forever: step past it.
      deps.logger.warn('notification log read stuck on one millisecond: stepping past it', { count: batch.length });
      cursor = new Date(cursor.getTime() + 1);
    }
    let delivered = 0;
    // Within one read, publish order; across reads, commit order.
    for (const event of [...batch].sort(byPublishTime)) {
      for (const socket of members.get(event.room) ?? []) {
        deliver(socket, event);
        delivered++;
      }
    }
    return delivered;
  };

  const pollOnce = (): Promise<number> => {
    // One read at a time per instance; a caller during a read shares it.
    polling ??= doPoll().finally(() => {
      polling = undefined;
    });
    return polling;
  };

  const schedule = (): void => {
    if (closed || timer || members.size === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      pollOnce()
        .catch((err) => deps.logger.warn('notification log read failed', { err }))
        .finally(schedule);
    }, deps.pollMs);
    timer.unref();
  };

  const join = async (socket: Socket, room: string): Promise<void> => {
    const state = states.get(socket)!;
    if (members.size === 0) {
      // Reading starts now; the replay below covers what came before (a margin for clock skew).
      cursor = new Date(deps.now().getTime() - 5000);
    }
    state.rooms.add(room);
    const set = members.get(room) ?? new Set<Socket>();
    members.set(room, set);
    set.add(socket);
    await socket.join(room);
    schedule();
    const missed = await deps.log.roomSince(room, deps.now().getTime() - deps.retentionSeconds * 1000);
    for (const event of missed) deliver(socket, event);
  };

  const leave = async (socket: Socket, room: string): Promise<void> => {
    states.get(socket)?.rooms.delete(room);
    const set = members.get(room);
    set?.delete(socket);
    if (set && set.size === 0) members.delete(room);
    if (members.size === 0) cursor = undefined;
    await socket.leave(room);
  };

  const namespaces = ['/', ...deps.namespaces.filter((n) => n !== '/')];
  for (const name of namespaces) {
    const nsp = io.of(name);
    nsp.use((socket, next) => {
      const auth: unknown = socket.handshake.auth;
      const token =
        auth !== null && typeof auth === 'object' && typeof (auth as { token?: unknown }).token === 'string' ? (auth as { token: string }).token : undefined;
      if (token === undefined || token.length > 8192) {
        deps.logger.info('socket refused', { reason: 'no token' });
        next(new Error('Token is missing.'));
        return;
      }
      deps.tokens
        .verify(token)
        .then((claims) => {
          if (!claims.roles.includes('agent')) {
            deps.logger.info('socket refused', { reason: 'not an agent token' });
            next(new Error('This token may not open the notification socket.'));
            return;
          }
          socket.data = { user: claims.gcp_agent_assist_user ?? undefined, expiresAtMs: claims.exp * 1000 };
          next();
        })
        .catch((err: unknown) => {
          const reason = err instanceof Error ? err.message : 'invalid token';
          deps.logger.info('socket refused', { reason });
          next(new Error(reason));
        });
    });
    nsp.on('connection', (socket) => {
      states.set(socket, { rooms: new Set(), seen: new Set(), expiresAtMs: (socket.data as { expiresAtMs: number }).expiresAtMs });
      const handle = (action: 'join' | 'leave') => (name: unknown, ack?: unknown) => {
        const reply = typeof ack === 'function' ? (ack as (...args: unknown[]) => void) : () => undefined;
        if (endIfExpired(socket)) return;
        if (typeof name !== 'string' || !CONVERSATION_NAME.test(name)) {
          reply(false, 'expected a conversation name: projects/<project>/locations/<location>/conversations/<id>');
          return;
        }
        const room = conversationRoom(name);
        if (!room.startsWith(`projects/${deps.project}/`)) {
          reply(false, 'this server serves only its own project');
          return;
        }
        const state = states.get(socket)!;
        if (action === 'join' && !state.rooms.has(room) && state.rooms.size >= MAX_ROOMS_PER_SOCKET) {
          reply(false, `at most ${MAX_ROOMS_PER_SOCKET} conversations per connection`);
          return;
        }
        if (action === 'leave') {
          void leave(socket, room).then(() => reply(true, room));
          return;
        }
        // The acknowledgement goes first, then what the room missed, in order.
        reply(true, room);
        join(socket, room).catch((err) => deps.logger.warn('replay of missed notifications failed', { err }));
      };
      socket.on('join-conversation', handle('join'));
      socket.on('leave-conversation', handle('leave'));
      socket.on('disconnect', () => {
        for (const room of [...(states.get(socket)?.rooms ?? [])]) void leave(socket, room);
      });
    });
  }

  return {
    io,
    pollOnce,
    connectedCount: () => namespaces.reduce((n, name) => n + io.of(name).sockets.size, 0),
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await polling?.catch(() => undefined);
      io.disconnectSockets(true);
      // io.close() would also close the HTTP server it is attached to; the owner does that.
      for (const name of namespaces) io.of(name).removeAllListeners();
      io.engine.close();
    },
  };
}

/** "/" plus the public URL's path, e.g. https://host/ui-connector → ["/ui-connector"]. */
export function socketNamespaces(publicUrl: string | undefined): string[] {
  if (!publicUrl) return [];
  const path = withoutTrailingSlash(new URL(publicUrl).pathname);
  return path === '' ? [] : [path];
}
