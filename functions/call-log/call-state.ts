/**
 * One Firestore document per CallSid merges the two events that make a call log — the status
 * callback (`completion`) and `conversation.registered` (`registration`) — in any order, any
 * number of times. Each event writes only its own field with a merge, so the writes commute;
 * the decision to write the CRM is taken on a fresh read while holding the call's lease.
 *
 * `dueAt` (ISO time) marks a call the sweep must look at: a registration's expiry (a call
 * that never reported completion is logged then), or a retry time after a failed write.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { AppError } from '../../shared/errors';
import { type DocStore, DocVersionMismatchError, fieldOps } from '../../shared/ports/docstore';

const iso = z.string();
const callStateSchema = z.object({
  callSid: z.string(),
  registration: z.object({ conversationName: z.string(), registeredAt: iso, expireAt: iso, phone: z.string().optional() }).optional(),
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
  /** The delivery writing this call's log now, until `until` (see CallStore.lease). */
  lease: z.object({ holder: z.string(), until: iso }).optional(),
});
export type CallState = z.infer<typeof callStateSchema>;

const leaseSchema = z.object({ holder: z.string(), until: z.string() });
/** Conditional writes tried before a contended call is reported busy. */
const LEASE_ATTEMPTS = 5;

export interface CallStore {
  get(callSid: string): Promise<CallState | undefined>;
  mergeRegistration(callSid: string, registration: NonNullable<CallState['registration']>): Promise<void>;
  mergeCompletion(callSid: string, completion: NonNullable<CallState['completion']>): Promise<void>;
  setCaller(callSid: string, accountId: string | null): Promise<void>;
  markLogged(callSid: string, logged: NonNullable<CallState['logged']>): Promise<void>;
  /** Asks the sweep to look at the call at `at` (a failed write, a busy lease). */
  retryAt(callSid: string, at: Date): Promise<void>;
  due(now: Date, limit: number): Promise<string[]>;
  /**
   * Exclusive right to write this call's log, or undefined while another delivery holds it.
   * Held in the call's document (`lease`), taken and given up with version-conditioned updates;
   * a holder that died leaves a lease that others take over once `until` has passed.
   */
  lease(callSid: string, now: Date, seconds: number): Promise<(() => Promise<void>) | undefined>;
}

export function createCallStore(docs: DocStore, collection: string): CallStore {
  /** Gives the lease up only if this holder still has it (a holder that overran its lease must not free another's). */
  const releaseLease = async (callSid: string, holder: string) => {
    for (let attempt = 0; attempt < LEASE_ATTEMPTS; attempt++) {
      const current = await docs.getVersioned(collection, callSid);
      const held = leaseSchema.safeParse(current?.data['lease']);
      if (current === undefined || !held.success || held.data.holder !== holder) return;
      try {
        await docs.update(collection, callSid, { lease: fieldOps.delete() }, { ifVersion: current.version });
        return;
      } catch (err) {
        // Someone wrote in between: look again. Any other failure leaves the lease to expire.
        if (!(err instanceof DocVersionMismatchError)) return;
      }
    }
  };
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
      const holder = randomUUID();
      const until = new Date(now.getTime() + seconds * 1000).toISOString();
      // Optimistic concurrency: the lease is a field of the call's own document, taken with an
      // update conditioned on the version read. Any write in between (the other event's merge,
      // another delivery's take-over) fails the condition, and the state is read again.
      for (let attempt = 0; attempt < LEASE_ATTEMPTS; attempt++) {
        const current = await docs.getVersioned(collection, callSid);
        // Nothing stored for this call: nothing to write, and nobody to exclude.
        if (current === undefined) return async () => undefined;
        const held = leaseSchema.safeParse(current.data['lease']);
        if (held.success && held.data.until > now.toISOString()) return undefined;
        try {
          await docs.update(collection, callSid, { lease: { holder, until } }, { ifVersion: current.version });
          return () => releaseLease(callSid, holder);
        } catch (err) {
          if (!(err instanceof DocVersionMismatchError)) throw err;
        }
      }
      // Written to continuously by others: treat as busy; the sweep looks again.
      return undefined;
    },
  };
}
