/**
 * What CCAI Platform's sequence needs from any CRM behind the contract, as CrmClient
 * decorators (docs/contracts/ccai-platform.md):
 * - an ambiguous lookup must still answer 2xx — a non-2xx stalls every later step — so a
 *   configured rule picks (or declines) a candidate, and the answer, the journal and the log
 *   say what was chosen (`resolution`);
 * - an account create repeated after a timeout must not make a second account, so creates are
 *   idempotent on the caller's phone/email within a window, through marker documents.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../logging';
import { DocAlreadyExistsError, type DocStore } from '../ports/docstore';
import { compact } from './contract';
import { crmUnavailable, type AmbiguousCandidate } from './errors';
import type { CrmAccount, CrmClient, NewAccount } from './port';

export const AMBIGUOUS_RULES = ['first', 'none'] as const;
/** `first`: the first candidate in the CRM's priority order; `none`: answer "not found". */
export type AmbiguousRule = (typeof AMBIGUOUS_RULES)[number];

export const ACCOUNT_CREATES = 'crm-account-creates';

/** Every method of a client, bound to it (clients may be classes: spreading would lose them). */
function delegate(crm: CrmClient): CrmClient {
  return {
    kind: crm.kind,
    findAccount: (q) => crm.findAccount(q),
    createAccount: (i) => crm.createAccount(i),
    updateAccount: (id, p) => crm.updateAccount(id, p),
    findRecord: (q) => crm.findRecord(q),
    createRecord: (i) => crm.createRecord(i),
    updateRecord: (id, u) => crm.updateRecord(id, u),
    addComment: (id, c) => crm.addComment(id, c),
    addAttachment: (id, a) => crm.addAttachment(id, a),
  };
}

function candidatesOf(err: unknown): AmbiguousCandidate[] | undefined {
  const details = (err as { details?: unknown }).details as { reason?: unknown; candidates?: unknown } | undefined;
  if ((err as { status?: unknown }).status !== 409 || details?.reason !== 'ambiguous' || !Array.isArray(details.candidates)) return undefined;
  return details.candidates as AmbiguousCandidate[];
}

export function withAmbiguityRule(crm: CrmClient, options: { rule: AmbiguousRule; log: Logger }): CrmClient {
  return {
    ...delegate(crm),
    async findAccount(query) {
      try {
        return await crm.findAccount(query);
      } catch (err) {
        const candidates = candidatesOf(err);
        if (!candidates || candidates.length === 0) throw err;
        const chosen = options.rule === 'first' ? candidates[0] : undefined;
        // Ids and types only: names and numbers stay out of the log.
        options.log.warn('crm ambiguous lookup resolved', {
          rule: options.rule,
          chosen: chosen?.id ?? null,
          candidates: candidates.map((c) => compact({ id: c.id, type: c.type })),
        });
        if (!chosen) return undefined;
        return compact({ id: chosen.id, name: chosen.name, type: chosen.type, resolution: { rule: options.rule, candidates } });
      }
    },
  };
}

export interface CreateWindowOptions {
  store: DocStore;
  windowSeconds: number;
  now: () => number;
  log: Logger;
}

const markerId = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 40);

/**
 * Creates an account at most once per phone/email within the window: a claim document is
 * created first (the store's create is the lock), the account second, the claim completed last.
 * A repeat finds the completed claim and answers the first account; a repeat racing the first
 * create looks the caller up, or asks to be retried in a moment.
 */
export function withAccountCreateWindow(crm: CrmClient, options: CreateWindowOptions): CrmClient {
  const windowMs = options.windowSeconds * 1000;
  const keysOf = (input: NewAccount) =>
    [input.phone ? `phone:${input.phone}` : undefined, input.email ? `email:${input.email.toLowerCase()}` : undefined].filter(
      (k): k is string => k !== undefined,
    );
  const fresh = (data: Record<string, unknown> | undefined) => data !== undefined && typeof data['at'] === 'number' && options.now() - data['at'] < windowMs;

  return {
    ...delegate(crm),
    async createAccount(input) {
      const keys = keysOf(input);
      if (windowMs <= 0 || keys.length === 0) return crm.createAccount(input);
      for (const key of keys) {
        const done = await options.store.get(ACCOUNT_CREATES, markerId(key));
        if (fresh(done) && done?.['state'] === 'done' && done['account']) {
          options.log.info('crm account create repeated within the window: first account answered', { accountId: (done['account'] as CrmAccount).id });
          return done['account'] as CrmAccount;
        }
      }
      const claim = markerId(keys[0]!);
      try {
        await options.store.create(ACCOUNT_CREATES, claim, { state: 'pending', at: options.now() });
      } catch (err) {
        if (!(err instanceof DocAlreadyExistsError)) throw err;
        const current = await options.store.get(ACCOUNT_CREATES, claim);
        if (fresh(current)) {
          if (current?.['state'] === 'done' && current['account']) return current['account'] as CrmAccount;
          // The first create is still under way: the caller may already be there.
          const existing = await crm.findAccount(compact({ phone: input.phone, email: input.email }));
          if (existing) return existing;
          throw Object.assign(crmUnavailable('CRM account creation', undefined), { retryAfterSeconds: 2 });
        }
        await options.store.set(ACCOUNT_CREATES, claim, { state: 'pending', at: options.now() });
      }
      let account: CrmAccount;
      try {
        account = await crm.createAccount(input);
      } catch (err) {
        await options.store.delete(ACCOUNT_CREATES, claim).catch(() => undefined);
        throw err;
      }
      const done = { state: 'done', at: options.now(), account: compact({ ...account }) };
      await Promise.all(keys.map((k) => options.store.set(ACCOUNT_CREATES, markerId(k), done)));
      return account;
    },
  };
}

const RECORD_CREATES = 'crm-record-creates';

/**
 * One record per session even when creates race (two first events of one engagement on two
 * instances): a CRM's find-then-create is not atomic, so the first create claims the session
 * with a marker document (the store's create is the lock); a racing create finds the record,
 * or is asked to retry in a moment. A claim older than `staleSeconds` was abandoned.
 */
export function withRecordCreateClaim(crm: CrmClient, options: { store: DocStore; staleSeconds: number; now: () => number; log: Logger }): CrmClient {
  return {
    ...delegate(crm),
    async createRecord(input) {
      const existing = await crm.findRecord({ sessionId: input.sessionId });
      if (existing) return existing;
      const claim = markerId(`session:${input.sessionId}`);
      try {
        await options.store.create(RECORD_CREATES, claim, { at: options.now() });
      } catch (err) {
        if (!(err instanceof DocAlreadyExistsError)) throw err;
        const current = await options.store.get(RECORD_CREATES, claim);
        const at = typeof current?.['at'] === 'number' ? current['at'] : 0;
        if (options.now() - at < options.staleSeconds * 1000) {
          const found = await crm.findRecord({ sessionId: input.sessionId });
          if (found) return found;
          throw Object.assign(crmUnavailable('CRM record creation', undefined), { retryAfterSeconds: 2 });
        }
        await options.store.set(RECORD_CREATES, claim, { at: options.now() });
      }
      try {
        return await crm.createRecord(input);
      } finally {
        // The session's record now exists (found by session from here on), or the create failed: free the claim.
        await options.store.delete(RECORD_CREATES, claim).catch(() => undefined);
      }
    },
  };
}
