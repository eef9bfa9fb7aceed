/**
 * The notification log every socket-server instance reads: one Firestore document per
 * Pub/Sub message (id = hash of type + message id, so a redelivery writes nothing new),
 * with the room, the socket payload, Dialogflow's publish time, the commit time (server
 * time, the instances' common clock) and `expireAt` for the TTL policy. Instances holding
 * sockets read what was committed since their last read; a socket that joins reads its
 * room's recent events. No Redis, no per-instance subscriptions.
 */
import { createHash } from 'node:crypto';
import * as z from 'zod';
import { DocAlreadyExistsError, type DocStore, fieldOps } from '../ports/docstore';
import { type SocketPayload, socketPayloadSchema } from './notifications';

export interface LoggedNotification {
  key: string;
  room: string;
  payload: SocketPayload;
  publishTimeMs: number;
  committedAt: Date;
}

export interface NotificationLog {
  /** Stores a notification once; a redelivered message is a 'duplicate' and writes nothing. */
  record(event: { room: string; payload: SocketPayload; publishTimeMs: number }): Promise<'stored' | 'duplicate'>;
  /** The room's events published at or after `fromMs`, oldest first. */
  roomSince(room: string, fromMs: number): Promise<LoggedNotification[]>;
  /** Everything committed at or after `cursor`, in commit order (at most `limit`). */
  committedSince(cursor: Date, limit: number): Promise<LoggedNotification[]>;
}

const storedSchema = z.object({
  room: z.string(),
  payload: socketPayloadSchema,
  publishTimeMs: z.number(),
  committedAt: z.date(),
});

function notificationKey(payload: Pick<SocketPayload, 'data_type' | 'message_id'>): string {
  return createHash('sha256').update(payload.data_type).update('\0').update(payload.message_id).digest('base64url');
}

/** Publish order, then message id: the order every socket sees, whichever instance serves it. */
export function byPublishTime(a: LoggedNotification, b: LoggedNotification): number {
  return a.publishTimeMs - b.publishTimeMs || (a.payload.message_id < b.payload.message_id ? -1 : a.payload.message_id > b.payload.message_id ? 1 : 0);
}

export function createNotificationLog(options: {
  docs: DocStore;
  collection: string;
  retentionSeconds: number;
  now: () => Date;
  onCorrupt?: (id: string) => void;
}): NotificationLog {
  const { docs, collection } = options;
  const parse = (id: string, data: Record<string, unknown>): LoggedNotification | undefined => {
    const parsed = storedSchema.safeParse(data);
    if (!parsed.success) {
      options.onCorrupt?.(id);
      return undefined;
    }
    return { key: id, ...parsed.data };
  };
  return {
    async record(event) {
      const key = notificationKey(event.payload);
      try {
        await docs.create(collection, key, {
          room: event.room,
          payload: { ...event.payload },
          publishTimeMs: event.publishTimeMs,
          committedAt: fieldOps.serverTime(),
          expireAt: new Date(options.now().getTime() + options.retentionSeconds * 1000),
        });
        return 'stored';
      } catch (err) {
        if (err instanceof DocAlreadyExistsError) return 'duplicate';
        throw err;
      }
    },
    async roomSince(room, fromMs) {
      // Composite index (room, publishTimeMs): terraform/agent_assist_ui.tf. TTL deletion runs late, hence the range.
      const found = await docs.query(collection, {
        where: [
          ['room', '==', room],
          ['publishTimeMs', '>=', fromMs],
        ],
        orderBy: [['publishTimeMs', 'asc']],
        limit: 1000,
      });
      return found
        .map((d) => parse(d.id, d.data))
        .filter((n): n is LoggedNotification => n !== undefined)
        .sort(byPublishTime);
    },
    async committedSince(cursor, limit) {
      const found = await docs.query(collection, { where: [['committedAt', '>=', cursor]], orderBy: [['committedAt', 'asc']], limit });
      return found.map((d) => parse(d.id, d.data)).filter((n): n is LoggedNotification => n !== undefined);
    },
  };
}
