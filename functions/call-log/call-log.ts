/**
 * The call log's core: merge an event into the call's state, then (holding the call's lease)
 * write the CRM when the state says something is missing there. Exactly one record per
 * CallSid: the record is looked up by the CallSid (the CRM port's session id) before any
 * create, the account chosen is remembered in the state before the record is created, and a
 * later event updates the same record (duration, conversation name) instead of adding one.
 */
import type { FieldRule } from '../../shared/crm/adapters/field-map';
import { applyFieldMap } from '../../shared/crm/adapters/field-map';
import { normalizePhone } from '../../shared/crm/phone';
import type { CrmClient } from '../../shared/crm/port';
import type { Logger } from '../../shared/logging';
import type { CountryCode } from '../../shared/phone';
import type { CallState, CallStore } from './call-state';
import { crmDirection, isPrivateNumber, type StatusCallback } from './callback';

export interface CallLogDeps {
  store: CallStore;
  crm: CrmClient;
  log: Logger;
  now: () => Date;
  settings: {
    unknownCaller: 'Lead' | 'Contact' | 'none';
    defaultAccountId: string | undefined;
    fieldMap: FieldRule[];
    privateNumbers: string[];
    defaultCountry: CountryCode;
    retryAfterSeconds: number;
    leaseSeconds: number;
    /** IANA zone whose calendar dates the call (Salesforce Task ActivityDate). */
    timeZone: string;
  };
}

/** The registration as call-log reads it from `conversation.registered` (its own schema: ./registration.ts). */
export interface Registration {
  callSid: string;
  conversationName: string;
  registeredAt: string;
  expireAt: string;
  phone: string | undefined;
}

export type SettleOutcome = 'written' | 'nothing-to-do' | 'busy' | 'waiting';

export async function recordCompletion(deps: CallLogDeps, callback: StatusCallback): Promise<SettleOutcome> {
  await storeCompletion(deps, callback);
  return settle(deps, callback.CallSid, 'event');
}

/** Stores the completion only (the status callback answers once this is durable). */
export async function storeCompletion(deps: CallLogDeps, callback: StatusCallback): Promise<void> {
  const duration = callback.CallDuration === undefined ? undefined : Number(callback.CallDuration);
  const sources = Object.fromEntries(Object.entries(callback).filter(([, v]) => typeof v === 'string')) as Record<string, string>;
  await deps.store.mergeCompletion(callback.CallSid, {
    status: callback.CallStatus,
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    ...(callback.From !== undefined ? { from: callback.From } : {}),
    ...(callback.To !== undefined ? { to: callback.To } : {}),
    ...(callback.Direction !== undefined ? { direction: callback.Direction } : {}),
    ...(callback.Timestamp !== undefined ? { timestamp: callback.Timestamp } : {}),
    receivedAt: deps.now().toISOString(),
    fields: applyFieldMap(deps.settings.fieldMap, sources),
  });
}

export async function recordRegistration(deps: CallLogDeps, registration: Registration): Promise<SettleOutcome> {
  await deps.store.mergeRegistration(registration.callSid, {
    conversationName: registration.conversationName,
    registeredAt: registration.registeredAt,
    expireAt: registration.expireAt,
    ...(registration.phone !== undefined ? { phone: registration.phone } : {}),
  });
  return settle(deps, registration.callSid, 'event');
}

/** Calls whose time has come: expired registrations without completion, and writes to retry. */
export async function sweep(deps: CallLogDeps, limit: number): Promise<{ examined: number; written: number; busy: number; failed: number }> {
  const ids = await deps.store.due(deps.now(), limit);
  const summary = { examined: ids.length, written: 0, busy: 0, failed: 0 };
  for (const callSid of ids) {
    try {
      const outcome = await settle(deps, callSid, 'sweep');
      if (outcome === 'written') summary.written++;
      if (outcome === 'busy') summary.busy++;
    } catch (err) {
      summary.failed++;
      deps.log.warn('call log sweep: write failed, retried later', { callSid, err });
    }
  }
  return summary;
}

/** What the CRM lacks for this call, if anything. */
function pendingWrite(state: CallState, now: Date, trigger: 'event' | 'sweep'): boolean {
  const conversation = state.registration?.conversationName ?? null;
  if (state.completion) {
    if (!state.logged) return true;
    return !state.logged.completed || (conversation !== null && state.logged.conversationName !== conversation);
  }
  // No completion: logged from the registration alone once its mapping has expired.
  if (state.registration && trigger === 'sweep' && state.registration.expireAt <= now.toISOString()) {
    return !state.logged || (conversation !== null && state.logged.conversationName !== conversation);
  }
  return false;
}

export async function settle(deps: CallLogDeps, callSid: string, trigger: 'event' | 'sweep'): Promise<SettleOutcome> {
  const now = deps.now();
  const release = await deps.store.lease(callSid, now, deps.settings.leaseSeconds);
  if (!release) {
    // Another delivery is writing this call: the sweep looks again once that lease has run out.
    await deps.store.retryAt(callSid, new Date(now.getTime() + deps.settings.leaseSeconds * 1000));
    return 'busy';
  }
  try {
    const state = await deps.store.get(callSid);
    if (!state) return 'nothing-to-do';
    if (!pendingWrite(state, now, trigger)) {
      // Keep the sweep's queue honest: a logged call leaves it; a registration still waiting for its
      // completion is looked at again when its mapping expires, not at every run before that.
      if (state.logged && state.dueAt !== undefined) await deps.store.markLogged(callSid, state.logged);
      else if (!state.logged && state.registration && state.dueAt !== state.registration.expireAt)
        await deps.store.retryAt(callSid, new Date(state.registration.expireAt));
      return state.logged ? 'nothing-to-do' : 'waiting';
    }
    let recordId: string;
    try {
      recordId = await writeCallLog(deps, state);
    } catch (err) {
      await deps.store.retryAt(callSid, new Date(deps.now().getTime() + deps.settings.retryAfterSeconds * 1000));
      throw err;
    }
    await deps.store.markLogged(callSid, {
      recordId,
      conversationName: state.registration?.conversationName ?? null,
      completed: state.completion !== undefined,
      at: deps.now().toISOString(),
    });
    deps.log.info('call logged', {
      callSid,
      recordId,
      completed: state.completion !== undefined,
      conversation: state.registration !== undefined,
      update: state.logged !== undefined,
    });
    return 'written';
  } finally {
    await release();
  }
}

async function writeCallLog(deps: CallLogDeps, state: CallState): Promise<string> {
  const { crm } = deps;
  const direction = crmDirection(state.completion?.direction);
  let recordId = state.logged?.recordId ?? (await crm.findRecord({ sessionId: state.callSid }))?.id;
  if (recordId === undefined) {
    const accountId = state.caller ? state.caller.accountId : await chooseCaller(deps, state, direction);
    const record = await crm.createRecord({
      sessionId: state.callSid,
      channel: 'voice',
      direction,
      subject: `${direction === 'inbound' ? 'Inbound' : 'Outbound'} call ${state.callSid}`,
      ...(accountId !== null ? { accountId } : {}),
      idempotencyKey: `call-log:${state.callSid}`,
    });
    recordId = record.id;
  }
  const duration = state.completion?.durationSeconds;
  const fields = state.completion?.fields ?? {};
  const mapped = Object.keys(fields).length > 0;
  const activityDate = callDate(state, deps.settings.timeZone);
  const record = await crm.updateRecord(recordId, {
    status: 'closed',
    notes: describeCall(state),
    ...(duration !== undefined ? { durationSeconds: duration } : {}),
    ...(activityDate !== undefined ? { activityDate } : {}),
    ...(mapped ? { fields } : {}),
  });
  // A CRM that drops fields it lacks without an error (ServiceNow) shows it only in what it answers.
  const dropped = mapped && record.fields !== undefined ? Object.keys(fields).filter((f) => !(f in (record.fields ?? {}))) : [];
  if (dropped.length > 0)
    deps.log.warn('call log: the CRM did not keep mapped fields (check CALL_LOG_FIELD_MAP against its fields)', { callSid: state.callSid, fields: dropped });
  return recordId;
}

/**
 * The calendar day the call started, in the contact center's zone (`YYYY-MM-DD`). The start is
 * the completion's time (Twilio's `Timestamp`, else when it was received) less the duration, or
 * the registration's time for a call that never reported completion.
 */
function callDate(state: CallState, timeZone: string): string | undefined {
  const c = state.completion;
  let start: number | undefined;
  if (c) {
    const reported = c.timestamp !== undefined ? Date.parse(c.timestamp) : Number.NaN;
    const end = Number.isNaN(reported) ? Date.parse(c.receivedAt) : reported;
    start = end - (c.durationSeconds ?? 0) * 1000;
  } else if (state.registration) start = Date.parse(state.registration.registeredAt);
  if (start === undefined || Number.isNaN(start)) return undefined;
  // en-CA formats a date as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(start));
}

/** The caller's account: found by number in the CRM's configured order, created per setting, or the default. */
async function chooseCaller(deps: CallLogDeps, state: CallState, direction: 'inbound' | 'outbound' | 'internal'): Promise<string | null> {
  const { settings } = deps;
  const raw = direction === 'inbound' ? (state.completion?.from ?? state.registration?.phone) : state.completion?.to;
  const fallback = settings.defaultAccountId ?? null;
  let accountId: string | null = fallback;
  const phone = isPrivateNumber(raw, settings.privateNumbers) ? undefined : normalizePhone(raw ?? '', { defaultCountry: settings.defaultCountry });
  if (phone !== undefined) {
    const found = await deps.crm.findAccount({ phone });
    if (found) accountId = found.id;
    else if (settings.unknownCaller !== 'none') accountId = (await deps.crm.createAccount({ phone })).id;
  }
  deps.log.info('call log caller chosen', {
    callSid: state.callSid,
    withheld: phone === undefined,
    matched: accountId !== fallback,
    defaultRecord: accountId === fallback,
  });
  // Remembered before the record exists: a retry after a crash reuses it (a new account is not searchable at once).
  await deps.store.setCaller(state.callSid, accountId);
  return accountId;
}

function describeCall(state: CallState): string {
  const c = state.completion;
  const lines = [`Twilio call ${state.callSid}`];
  if (c) {
    lines.push(`Status: ${c.status}`);
    if (c.durationSeconds !== undefined) lines.push(`Duration: ${c.durationSeconds} s`);
    if (c.direction) lines.push(`Direction: ${c.direction}`);
    if (c.timestamp) lines.push(`Reported: ${c.timestamp}`);
  } else lines.push('Status: no completion reported by Twilio (logged when its Agent Assist mapping expired)');
  if (state.registration) lines.push(`Agent Assist conversation: ${state.registration.conversationName}`);
  return lines.join('\n');
}
