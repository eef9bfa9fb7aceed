/**
 * One Firestore document per CallSid merges the two events that make a call log — the status
 * callback (`completion`) and `conversation.registered` (`registration`) — in any order, any
 * number of times. Each event writes only its own field with a merge, so the writes commute;
 * the decision to write the CRM is taken on a fresh read while holding the call's lease.
 *
 * `dueAt` (ISO time) marks a call the sweep must look at: a registration's expiry (a call
 * that never reported completion is logged then), or a retry time after a failed write.
 */
import * as z from 'zod';
import { AppError } from '../../shared/errors';
import { DocAlreadyExistsError, DocNotFoundError, type DocStore, fieldOps } from '../../shared/ports/docstore';

const iso = z.string();
export const callStateSchema = z.object({
  callSid: z.string(),
  registration: z
    .object({ conversationName: z.string(), registeredAt: iso, expireAt: iso, phone: z.string().optional() })
    .optional(),
  completion: z
    .object({
      status: z.string(),
      durationSeconds: z.number().int().nonnegative().optional(),
      from: z.string().optional(),
      to: z.string().optional(),
      direction: z.string().optional(),
      timestamp: z.string().optional(),
      receivedAt: iso,
      fields: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
    })
    .optional(),
  /** The CRM account chosen (found or created) for this call: a retry reuses it instead of searching again. */
  caller: z.object({ accountId: z.string().nullable() }).optional(),
  logged: z.object({ recordId: z.string(), conversationName: z.string().nullable(), completed: z.boolean(), at: iso }).optional(),
  dueAt: iso.optional(),
});
export type CallState = z.infer<typeof callStateSchema>;

export interface CallStore {
  get(callSid: string): Promise<CallState | undefined>;
  mergeRegistration(callSid: string, registration: NonNullable<CallState['registration']>): Promise<void>;
  mergeCompletion(callSid: string, completion: NonNullable<CallState['completion']>): Promise<void>;
  setCaller(callSid: string, accountId: string | null): Promise<void>;
  markLogged(callSid: string, logged: NonNullable<CallState['logged']>): Promise<void>;
  /** Asks the sweep to look at the call at `at` (a failed write, a busy lease). */
  retryAt(callSid: string, at: Date): Promise<void>;
  due(now: Date, limit: number): Promise<string[]>;
  /** Exclusive right to write this call's log, or undefined while another delivery holds it. */
  lease(callSid: string, now: Date, seconds: number): Promise<(() => Promise<void>) | undefined>;
}

export function createCallStore(docs: DocStore, collection: string): CallStore {
  const leases = `${collection}-leases`;
  return {
    async get(callSid) {
      const data = await docs.get(collection, callSid);
      if (data === undefined) return undefined;
      const parsed = callStateSchema.safeParse(data);
      // Only ccbridge writes these documents: an unreadable one is a bug to retry after fixing, not input to drop.
      if (!parsed.success) throw new AppError('internal', 500, `call state ${callSid} is unreadable`, { retryable: true });
      return parsed.data;
    },
    async mergeRegistration(callSid, registration) {
      await docs.set(collection, callSid, { callSid, registration, dueAt: registration.expireAt }, { merge: true });
    },
    async mergeCompletion(callSid, completion) {
      await docs.set(collection, callSid, { callSid, completion }, { merge: true });
    },
    async setCaller(callSid, accountId) {
      await docs.update(collection, callSid, { caller: { accountId } });
    },
    async markLogged(callSid, logged) {
      await docs.update(collection, callSid, { logged, dueAt: fieldOps.delete() });
    },
    async retryAt(callSid, at) {
      await docs.set(collection, callSid, { callSid, dueAt: at.toISOString() }, { merge: true });
    },
    async due(now, limit) {
      const rows = await docs.query(collection, { where: [['dueAt', '<=', now.toISOString()]], orderBy: [['dueAt', 'asc']], limit });
      return rows.map((r) => r.id);
    },
    async lease(callSid, now, seconds) {
      const until = new Date(now.getTime() + seconds * 1000).toISOString();
      const release = async () => {
        await docs.delete(leases, callSid).catch(() => undefined);
      };
      try {
        await docs.create(leases, callSid, { until });
        return release;
      } catch (err) {
        if (!(err instanceof DocAlreadyExistsError)) throw err;
      }
      const held = z.object({ until: z.string() }).safeParse(await docs.get(leases, callSid));
      if (held.success && held.data.until > now.toISOString()) return undefined;
      // A holder that died leaves its lease behind: taken over once expired. Two deliveries
      // taking over the same stale lease at the same instant can both win (the port has no
      // conditional delete); the CRM write's own look-up by CallSid is the second guard.
      await docs.delete(leases, callSid);
      try {
        await docs.create(leases, callSid, { until });
        return release;
      } catch (err) {
        if (err instanceof DocAlreadyExistsError || err instanceof DocNotFoundError) return undefined;
        throw err;
      }
    },
  };
}
