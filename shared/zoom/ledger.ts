/**
 * The ledger: one Firestore document per engagement (collection `ledger`) recording what
 * is expected of it and where each piece stands — artifacts (files fetched from Zoom
 * into Cloud Storage, then linked in the CRM) and items (notes and dispositions written
 * to the CRM). The interaction worker writes it; the nightly reconciliation reads it
 * (`state`, `updatedAt`) to find what is missing or stuck.
 *
 * Writes are field-wise (dotted paths), so two workers on different artifacts of the same
 * engagement never overwrite each other without a transaction.
 */
import * as z from 'zod';
import { type DocData, DocAlreadyExistsError, DocNotFoundError, type DocStore, DocVersionMismatchError, fieldOps } from '../ports/docstore';
import { ARTIFACT_KINDS } from './artifacts';

export const LEDGER_COLLECTION = 'ledger';

/**
 * pending → stored (object complete and verified in Cloud Storage) → linked (CRM has the
 * link); failed = permanent, with a reason (`gaveUp`: the worker's last delivery still met
 * retryable failures, see below). A crash leaves an artifact pending or stored, never linked
 * without an object.
 */
const artifactStateSchema = z.enum(['pending', 'stored', 'linked', 'failed']);

/**
 * pending → writing (claimed: the CRM write is under way; a crash leaves it here and the
 * redelivery resumes it) → written; superseded = a disposition older than one already
 * applied; failed = permanent (the CRM refused it, or, with `gaveUp`, the deliveries ran out).
 */
const itemStateSchema = z.enum(['pending', 'writing', 'written', 'superseded', 'failed']);

/** open: something still pending; complete: everything stored/linked/written; attention: something failed for good. */
const engagementStateSchema = z.enum(['open', 'complete', 'attention']);
export type EngagementState = z.output<typeof engagementStateSchema>;

const date = z.union([z.date(), z.string().transform((s) => new Date(s))]);

const ledgerArtifactSchema = z.looseObject({
  kind: z.enum(ARTIFACT_KINDS),
  state: artifactStateSchema,
  /** Object name in the archive bucket, fixed when the artifact is first registered. */
  path: z.string(),
  sourceId: z.string().optional(),
  reason: z.string().optional(),
  attempts: z.number().int().optional(),
  bytes: z.number().optional(),
  crc32c: z.string().optional(),
  generation: z.string().optional(),
  contentType: z.string().optional(),
  eventTs: z.number().optional(),
  /** With state failed: the last delivery of its message still failed retryably (not refused): the reconciliation queues it again. */
  gaveUp: z.boolean().optional(),
  /** While its CRM link is being written: the delivery writing it (Ledger.claimArtifactLink), and when it last said so. */
  linkClaimedBy: z.string().optional(),
  linkClaimedAt: date.optional(),
  updatedAt: date.optional(),
});
export type LedgerArtifact = z.output<typeof ledgerArtifactSchema>;

const ledgerItemSchema = z.looseObject({
  kind: z.enum(['note', 'disposition']),
  state: itemStateSchema,
  eventTs: z.number(),
  reason: z.string().optional(),
  /** For dispositions: the value written as the record's call result. */
  value: z.string().optional(),
  /** With state failed: the last delivery of its message still failed retryably (not refused): the reconciliation queues it again. */
  gaveUp: z.boolean().optional(),
  /** With state writing: the delivery that claimed it (Ledger.claimItem). */
  claimedBy: z.string().optional(),
  updatedAt: date.optional(),
});
export type LedgerItem = z.output<typeof ledgerItemSchema>;

export const ledgerDocSchema = z.looseObject({
  engagementId: z.string(),
  state: engagementStateSchema,
  createdAt: date.optional(),
  updatedAt: date.optional(),
  queueId: z.string().optional(),
  agentId: z.string().optional(),
  channel: z.string().optional(),
  startTime: z.string().optional(),
  crmRecordId: z.string().optional(),
  /** event_ts of the disposition currently applied as the record's call result. */
  dispositionTs: z.number().optional(),
  artifacts: z.record(z.string(), ledgerArtifactSchema).default({}),
  items: z.record(z.string(), ledgerItemSchema).default({}),
});
export type LedgerDoc = z.output<typeof ledgerDocSchema>;

export interface ArtifactRegistration {
  kind: LedgerArtifact['kind'];
  path: string;
  sourceId?: string | undefined;
  eventTs?: number | undefined;
}

export interface ItemRegistration {
  kind: LedgerItem['kind'];
  eventTs: number;
  value?: string | undefined;
}

export type ArtifactPatch = Partial<Pick<LedgerArtifact, 'state' | 'reason' | 'attempts' | 'bytes' | 'crc32c' | 'generation' | 'contentType' | 'gaveUp'>>;
export type ItemPatch = Partial<Pick<LedgerItem, 'state' | 'reason' | 'value' | 'gaveUp'>>;

export interface EngagementFacts {
  queueId?: string | undefined;
  agentId?: string | undefined;
  channel?: string | undefined;
  startTime?: string | undefined;
}

class LedgerCorruptError extends Error {
  constructor(engagementId: string, detail: string) {
    super(`ledger document of ${engagementId} is not readable: ${detail}`);
    this.name = 'LedgerCorruptError';
  }
}

export interface ItemClaim {
  /** Who claims (one per delivery being handled). */
  owner: string;
  /** A `writing` claim untouched this long is an earlier delivery that died: it may be taken over. */
  staleMs: number;
  now: number;
}
export type ClaimOutcome = 'claimed' | 'taken' | 'gone';

export interface Ledger {
  get(engagementId: string): Promise<LedgerDoc | undefined>;
  /** Creates the engagement's document if absent and fills facts it did not know yet; returns it. */
  open(engagementId: string, facts: EngagementFacts): Promise<LedgerDoc>;
  /** Registers an artifact as pending unless it is already known; returns the entry in force. */
  registerArtifact(engagementId: string, key: string, entry: ArtifactRegistration): Promise<LedgerArtifact>;
  updateArtifact(engagementId: string, key: string, patch: ArtifactPatch): Promise<void>;
  registerItem(engagementId: string, key: string, entry: ItemRegistration): Promise<LedgerItem>;
  /**
   * Moves an item to `writing` for `owner`, conditioned on the ledger's version, so of two
   * workers only one can believe it owns the item: 'claimed' (it is ours), 'taken' (another
   * owner holds a fresh claim), 'gone' (no longer pending or writing).
   */
  claimItem(engagementId: string, key: string, claim: ItemClaim): Promise<ClaimOutcome>;
  /**
   * Keeps `owner`'s claim fresh (its `updatedAt` moves to `now`) while its write is under way;
   * false when the item is no longer `writing` for `owner` (taken over, or finished).
   */
  renewClaim(engagementId: string, key: string, claim: Pick<ItemClaim, 'owner' | 'now'>): Promise<boolean>;
  updateItem(engagementId: string, key: string, patch: ItemPatch): Promise<void>;
  /**
   * The CRM link of a stored artifact is written by one delivery at a time (a CRM's "look for
   * the earlier attempt, then write" is not atomic: two deliveries doing it at once would both
   * write). Conditioned on the ledger's version like `claimItem`: 'claimed' (ours, also when we
   * held it already), 'taken' (another owner's claim is fresher than `staleMs`), 'gone' (linked).
   */
  claimArtifactLink(engagementId: string, key: string, claim: ItemClaim): Promise<ClaimOutcome>;
  /** Keeps `owner`'s link claim fresh while its CRM write runs; false when it is no longer `owner`'s. */
  renewArtifactLinkClaim(engagementId: string, key: string, claim: Pick<ItemClaim, 'owner' | 'now'>): Promise<boolean>;
  /** Gives up `owner`'s link claim (its write failed and will be retried), so the next delivery need not wait out the lease. */
  releaseArtifactLinkClaim(engagementId: string, key: string, owner: string): Promise<void>;
  setFields(engagementId: string, fields: { crmRecordId?: string; dispositionTs?: number }): Promise<void>;
  /** Recomputes `state` from the entries (every writer calls it after a transition). */
  refreshState(engagementId: string): Promise<EngagementState | undefined>;
}

function deriveEngagementState(doc: Pick<LedgerDoc, 'artifacts' | 'items'>): EngagementState {
  const artifacts = Object.values(doc.artifacts);
  const items = Object.values(doc.items);
  if (artifacts.some((a) => a.state === 'failed') || items.some((i) => i.state === 'failed')) return 'attention';
  if (artifacts.some((a) => a.state !== 'linked') || items.some((i) => i.state === 'pending' || i.state === 'writing')) return 'open';
  return 'complete';
}

export function createLedger(docs: DocStore): Ledger {
  const read = async (engagementId: string): Promise<LedgerDoc | undefined> => {
    const raw = await docs.get(LEDGER_COLLECTION, engagementId);
    if (!raw) return undefined;
    const parsed = ledgerDocSchema.safeParse(raw);
    if (!parsed.success) throw new LedgerCorruptError(engagementId, parsed.error.issues.map((i) => i.path.join('.')).join(', '));
    return parsed.data;
  };

  const prefixed = (prefix: string, patch: Record<string, unknown>): DocData => {
    const out: DocData = {};
    for (const [k, v] of Object.entries(patch)) if (v !== undefined) out[`${prefix}.${k}`] = v;
    return out;
  };

  const readVersioned = async (engagementId: string): Promise<{ doc: LedgerDoc; version: string } | undefined> => {
    const raw = await docs.getVersioned(LEDGER_COLLECTION, engagementId);
    if (!raw) return undefined;
    const parsed = ledgerDocSchema.safeParse(raw.data);
    if (!parsed.success) throw new LedgerCorruptError(engagementId, parsed.error.issues.map((i) => i.path.join('.')).join(', '));
    return { doc: parsed.data, version: raw.version };
  };

  /**
   * Read, decide, write only if nobody wrote in between (the document's update time), else
   * read again: registrations and claims cannot overwrite one another.
   */
  const conditionally = async <T>(engagementId: string, decide: (doc: LedgerDoc) => { write?: DocData; result: T }): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      const current = await readVersioned(engagementId);
      if (!current) throw new DocNotFoundError(`${LEDGER_COLLECTION}/${engagementId}`);
      const { write, result } = decide(current.doc);
      if (!write) return result;
      try {
        await docs.update(LEDGER_COLLECTION, engagementId, write, { ifVersion: current.version });
        return result;
      } catch (err) {
        if (!(err instanceof DocVersionMismatchError) || attempt >= 20) throw err;
      }
    }
  };

  const ledger: Ledger = {
    get: read,
    async open(engagementId, facts) {
      const known = Object.fromEntries(Object.entries(facts).filter(([, v]) => v !== undefined));
      try {
        await docs.create(LEDGER_COLLECTION, engagementId, {
          engagementId,
          state: 'open',
          artifacts: {},
          items: {},
          ...known,
          createdAt: fieldOps.serverTime(),
          updatedAt: fieldOps.serverTime(),
        });
      } catch (err) {
        if (!(err instanceof DocAlreadyExistsError)) throw err;
        const existing = await read(engagementId);
        const missing = Object.fromEntries(Object.entries(known).filter(([k]) => existing?.[k as keyof LedgerDoc] === undefined));
        if (Object.keys(missing).length > 0) await docs.update(LEDGER_COLLECTION, engagementId, { ...missing, updatedAt: fieldOps.serverTime() });
      }
      const doc = await read(engagementId);
      if (!doc) throw new LedgerCorruptError(engagementId, 'vanished after creation');
      return doc;
    },
    async registerArtifact(engagementId, key, entry) {
      const fresh = ledgerArtifactSchema.parse(dropUndefined({ ...entry, state: 'pending', attempts: 0 }));
      // Two first deliveries racing here: the write is conditioned on the version read, so the
      // second sees the first's entry (and its progress) instead of resetting it to pending.
      // Entries are dated by the writer's clock: a field transform cannot sit inside a map
      // written whole (and later patches date an entry the same way, so its times compare).
      return conditionally(engagementId, (doc) => {
        const existing = doc.artifacts[key];
        if (existing) return { result: existing };
        return { write: { [`artifacts.${key}`]: { ...fresh, updatedAt: new Date() }, state: 'open', updatedAt: fieldOps.serverTime() }, result: fresh };
      });
    },
    async updateArtifact(engagementId, key, patch) {
      await docs.update(LEDGER_COLLECTION, engagementId, {
        ...prefixed(`artifacts.${key}`, patch),
        [`artifacts.${key}.updatedAt`]: new Date(),
        updatedAt: fieldOps.serverTime(),
      });
    },
    async registerItem(engagementId, key, entry) {
      const fresh = ledgerItemSchema.parse(dropUndefined({ ...entry, state: 'pending' }));
      return conditionally(engagementId, (doc) => {
        const existing = doc.items[key];
        if (existing) return { result: existing };
        return { write: { [`items.${key}`]: { ...fresh, updatedAt: new Date() }, state: 'open', updatedAt: fieldOps.serverTime() }, result: fresh };
      });
    },
    async claimItem(engagementId, key, claim) {
      return conditionally<ClaimOutcome>(engagementId, (doc) => {
        const item = doc.items[key];
        if (!item || (item.state !== 'pending' && item.state !== 'writing')) return { result: 'gone' };
        const owner = item.claimedBy;
        if (item.state === 'writing' && owner === claim.owner) return { result: 'claimed' };
        const fresh = item.updatedAt !== undefined && claim.now - item.updatedAt.getTime() < claim.staleMs;
        if (item.state === 'writing' && owner !== undefined && fresh) return { result: 'taken' };
        return {
          write: {
            [`items.${key}.state`]: 'writing',
            [`items.${key}.claimedBy`]: claim.owner,
            [`items.${key}.updatedAt`]: new Date(claim.now),
            updatedAt: fieldOps.serverTime(),
          },
          result: 'claimed',
        };
      });
    },
    async renewClaim(engagementId, key, claim) {
      return conditionally<boolean>(engagementId, (doc) => {
        const item = doc.items[key];
        if (item?.state !== 'writing' || item.claimedBy !== claim.owner) return { result: false };
        return { write: { [`items.${key}.updatedAt`]: new Date(claim.now), updatedAt: fieldOps.serverTime() }, result: true };
      });
    },
    async claimArtifactLink(engagementId, key, claim) {
      return conditionally<ClaimOutcome>(engagementId, (doc) => {
        const artifact = doc.artifacts[key];
        if (!artifact || artifact.state === 'linked') return { result: 'gone' };
        const owner = artifact.linkClaimedBy;
        if (owner === claim.owner) return { result: 'claimed' };
        const fresh = artifact.linkClaimedAt !== undefined && claim.now - artifact.linkClaimedAt.getTime() < claim.staleMs;
        if (owner !== undefined && fresh) return { result: 'taken' };
        return {
          write: { [`artifacts.${key}.linkClaimedBy`]: claim.owner, [`artifacts.${key}.linkClaimedAt`]: new Date(claim.now), updatedAt: fieldOps.serverTime() },
          result: 'claimed',
        };
      });
    },
    async renewArtifactLinkClaim(engagementId, key, claim) {
      return conditionally<boolean>(engagementId, (doc) => {
        const artifact = doc.artifacts[key];
        if (!artifact || artifact.state === 'linked' || artifact.linkClaimedBy !== claim.owner) return { result: false };
        return { write: { [`artifacts.${key}.linkClaimedAt`]: new Date(claim.now), updatedAt: fieldOps.serverTime() }, result: true };
      });
    },
    async releaseArtifactLinkClaim(engagementId, key, owner) {
      await conditionally<void>(engagementId, (doc) => {
        if (doc.artifacts[key]?.linkClaimedBy !== owner) return { result: undefined };
        return {
          write: {
            [`artifacts.${key}.linkClaimedBy`]: fieldOps.delete(),
            [`artifacts.${key}.linkClaimedAt`]: fieldOps.delete(),
            updatedAt: fieldOps.serverTime(),
          },
          result: undefined,
        };
      });
    },
    async updateItem(engagementId, key, patch) {
      await docs.update(LEDGER_COLLECTION, engagementId, {
        ...prefixed(`items.${key}`, patch),
        [`items.${key}.updatedAt`]: new Date(),
        updatedAt: fieldOps.serverTime(),
      });
    },
    async setFields(engagementId, fields) {
      await docs.update(LEDGER_COLLECTION, engagementId, { ...fields, updatedAt: fieldOps.serverTime() });
    },
    async refreshState(engagementId) {
      const doc = await read(engagementId);
      if (!doc) return undefined;
      const state = deriveEngagementState(doc);
      if (state !== doc.state) await docs.update(LEDGER_COLLECTION, engagementId, { state, updatedAt: fieldOps.serverTime() });
      return state;
    },
  };
  return ledger;
}

function dropUndefined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
