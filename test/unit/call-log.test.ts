/**
 * call-log: Twilio's status callback is verified by the shared gate (signatures made by the
 * real `twilio` package), and a generated day of calls — registrations and status callbacks
 * duplicated, reordered and dropped — ends with exactly one call log per CallSid in the
 * Salesforce fake, with the right duration and caller, through the real Salesforce adapter.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import twilio from 'twilio';
import { type CallLogDeps, recordCompletion, recordRegistration, sweep } from '../../functions/call-log/call-log';
import { createCallStore } from '../../functions/call-log/call-state';
import { parseCallFieldMap, statusCallbackSchema } from '../../functions/call-log/callback';
import { composeCallLog } from '../../functions/call-log/compose';
import { readRegistration } from '../../functions/call-log/registration';
import { type SalesforceFake, startSalesforceFake } from '../../local/mocks/crm-fakes/salesforce';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import { createMemoryCrm } from '../support/doubles/memory-crm';
import { PermanentEventError } from '../../shared/events/pubsub-event';
import { createLogger } from '../../shared/logging';
import { listen } from '../support/http';

const AUTH_TOKEN = 'f00dfeedf00dfeedf00dfeedf00dfeed';
const ACCOUNT_SID = 'AC0123456789abcdef0123456789abcdef';
const PUBLIC_URL = 'https://europe-west1-ccbridge-test.cloudfunctions.net/call-log';
const silent = createLogger({ level: 'error', sink: () => undefined });

const callSid = (n: number) => `CA${n.toString(16).padStart(32, '0')}`;

/** call-log's core over an in-memory store and CRM, on a clock the test moves. */
function setup(settings: Partial<CallLogDeps['settings']> = {}) {
  const clock = { now: new Date('2026-12-04T10:00:00Z') };
  const docs = createMemoryDocStore(() => clock.now);
  const crm = createMemoryCrm();
  const deps: CallLogDeps = {
    store: createCallStore(docs, 'call-logs'),
    crm,
    log: silent,
    now: () => clock.now,
    settings: {
      unknownCaller: 'none',
      defaultAccountId: undefined,
      fieldMap: [],
      privateNumbers: ['anonymous', '+266696687'],
      defaultCountry: 'US',
      retryAfterSeconds: 60,
      leaseSeconds: 30,
      timeZone: 'UTC',
      ...settings,
    },
  };
  return { clock, docs, crm, deps };
}

describe('call-log status callback endpoint', () => {
  let url: string;
  let stop: () => Promise<void>;
  const docs = createMemoryDocStore();
  const crm = createMemoryCrm();
  const logs: string[] = [];
  beforeAll(async () => {
    const env = { GCP_PROJECT: 'ccbridge-test', TWILIO_AUTH_TOKEN: AUTH_TOKEN, CALL_LOG_PUBLIC_URL: PUBLIC_URL, LOG_LEVEL: 'debug' };
    http('callLogUnderTest', composeCallLog(env, { docs, crm }, { log: (l) => logs.push(l) }));
    const server = await listen(getTestServer('callLogUnderTest'));
    url = server.url;
    stop = server.close;
  });
  afterAll(() => stop());

  const params = (sid: string) => ({
    CallSid: sid,
    AccountSid: ACCOUNT_SID,
    CallStatus: 'completed',
    CallDuration: '42',
    From: '+14155550100',
    To: '+14155550199',
    Direction: 'inbound',
    SequenceNumber: '3',
    Timestamp: 'Fri, 04 Dec 2026 04:00:00 +0000',
  });
  const post = (body: Record<string, string>, signature: string | undefined, path = '/twilio/status') =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
      body: new URLSearchParams(body).toString(),
    });

  it('accepts a callback Twilio signed for the configured public URL and logs the call once, even when delivered twice', async () => {
    const body = params(callSid(1));
    const sig = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/status`, body);
    expect((await post(body, sig)).status).toBe(204);
    expect((await post(body, sig)).status).toBe(204);
    expect(twilio.validateRequest(AUTH_TOKEN, sig, `${PUBLIC_URL}/twilio/status`, body)).toBe(true);
    const records = crm.records().filter((r) => r.sessionId === callSid(1));
    expect(records).toHaveLength(1);
    expect(records[0]!.durationSeconds).toBe(42);
    expect(logs.join('\n')).not.toContain('4155550100');
  });

  it('refuses a wrong signature, an unsigned callback and a signature made for another host, writing nothing', async () => {
    const body = params(callSid(2));
    const other = twilio.getExpectedTwilioSignature(AUTH_TOKEN, 'https://attacker.example.com/call-log/twilio/status', body);
    const tampered = twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/status`, { ...body, CallDuration: '1' });
    for (const sig of [other, tampered, undefined, 'bm90IGEgc2lnbmF0dXJl']) expect((await post(body, sig)).status).toBe(401);
    expect(docs.dump('call-logs')[callSid(2)]).toBeUndefined();
  });

  it('answers 400 naming the field for a signed but malformed callback, and 415 for JSON', async () => {
    const body = { ...params(callSid(3)), CallSid: 'not-a-sid' };
    const res = await post(body, twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/twilio/status`, body));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toContain('CallSid');
    const json = await fetch(`${url}/twilio/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(json.status).toBe(415);
    expect(Object.keys(docs.dump('call-logs'))).toEqual([callSid(1)]);
  });

  it('refuses the push and sweep endpoints without a Google OIDC token', async () => {
    for (const path of ['/events', '/sweep']) {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      expect(res.status).toBe(401);
    }
  });
});

describe('call-log field map', () => {
  it('lists every bad entry at start', () => {
    expect(() => parseCallFieldMap('CallerCity__c-FromCity|bad entry|X__c-NoSuchParam|Y__c-Nope')).toThrow(/bad entry[\s\S]*NoSuchParam[\s\S]*Nope/);
    expect(parseCallFieldMap('CallerCity__c-FromCity')).toEqual([{ field: 'CallerCity__c', source: 'FromCity' }]);
  });
});

/** A deterministic PRNG so a failing day can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('a generated day of Twilio calls', () => {
  let fake: SalesforceFake;
  beforeAll(async () => {
    fake = await startSalesforceFake({
      clientId: 'call-log-client',
      clientSecret: 'call-log-client-secret-0123456789',
      customFields: { Task: ['CallerCity__c'] },
    });
  });
  afterAll(() => fake.stop());

  it('ends with exactly one log per call, with its duration, caller, date and mapped field, under duplicates, reordering and drops', async () => {
    const random = rng(20261204);
    const CALLS = 120;
    const clock = { now: new Date('2026-12-05T03:00:00Z') };
    const docs = createMemoryDocStore(() => clock.now);
    const crm = createCrmClient(
      parseCrmClientConfig({
        CRM_ADAPTER: 'salesforce',
        SALESFORCE_LOGIN_URL: fake.baseUrl,
        SALESFORCE_CLIENT_ID: 'call-log-client',
        SALESFORCE_CLIENT_SECRET: 'call-log-client-secret-0123456789',
      }),
      { log: silent },
    );
    const defaultAccount = fake.seed('Account', { Name: 'Unknown callers' });
    const deps: CallLogDeps = {
      store: createCallStore(docs, 'call-logs'),
      crm,
      log: silent,
      now: () => clock.now,
      settings: {
        unknownCaller: 'none',
        defaultAccountId: defaultAccount,
        fieldMap: parseCallFieldMap('CallerCity__c-FromCity'),
        privateNumbers: ['anonymous', '+266696687'],
        defaultCountry: 'US',
        retryAfterSeconds: 60,
        leaseSeconds: 30,
        timeZone: 'America/New_York',
      },
    };
    // The day runs across New York's midnight (05:00 UTC in December): calls starting before it are dated the 4th.
    const newYorkMidnight = Date.parse('2026-12-05T05:00:00Z');
    type Expected = {
      sid: string;
      duration: number | undefined;
      who: string | undefined;
      account: string | undefined;
      conversation: string | undefined;
      date: string;
      city: string | undefined;
    };
    const expected: Expected[] = [];
    const events: Array<() => Promise<unknown>> = [];
    for (let i = 0; i < CALLS; i++) {
      const sid = callSid(1000 + i);
      const r = random();
      const known = r < 0.6;
      const withheld = !known && r < 0.75;
      const from = withheld ? (r < 0.68 ? 'anonymous' : '+266696687') : `+1415555${String(1000 + i).padStart(4, '0')}`;
      const contact = known ? fake.seed('Contact', { LastName: `Caller ${i}`, Phone: from }) : undefined;
      const duration = 5 + Math.floor(random() * 900);
      const drop = random();
      const dropCompletion = drop < 0.1;
      const dropRegistration = !dropCompletion && drop < 0.25;
      const startedAt = clock.now.getTime() + i * 120_000;
      const city = i % 3 === 0 ? undefined : `CITY ${i}`;
      expected.push({
        sid,
        duration: dropCompletion ? undefined : duration,
        who: contact,
        account: contact ? undefined : defaultAccount,
        conversation: dropRegistration ? undefined : `projects/p/locations/global/conversations/${sid}`,
        date: startedAt < newYorkMidnight ? '2026-12-04' : '2026-12-05',
        city: dropCompletion ? undefined : city,
      });
      const registeredAt = new Date(startedAt);
      const registration = {
        callSid: sid,
        conversationName: `projects/p/locations/global/conversations/${sid}`,
        registeredAt: registeredAt.toISOString(),
        expireAt: new Date(registeredAt.getTime() + 4 * 3600_000).toISOString(),
        phone: withheld ? undefined : from,
      };
      // Twilio's Timestamp (RFC 2822) is when the call completed.
      const timestamp = new Date(startedAt + duration * 1000).toUTCString().replace('GMT', '+0000');
      const callback = statusCallbackSchema.parse({
        CallSid: sid,
        AccountSid: ACCOUNT_SID,
        CallStatus: 'completed',
        CallDuration: String(duration),
        From: from,
        To: '+14155550199',
        Direction: 'inbound',
        Timestamp: timestamp,
        ...(city ? { FromCity: city } : {}),
      });
      const copies = (n: () => Promise<unknown>) => (random() < 0.15 ? [n, n] : [n]);
      if (!dropRegistration) events.push(...copies(() => recordRegistration(deps, registration)));
      if (!dropCompletion) events.push(...copies(() => recordCompletion(deps, callback)));
    }
    // Reorder: shuffle, then deliver in small concurrent batches (concurrent deliveries of one call meet the lease).
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    for (let i = 0; i < events.length; i += 4) await Promise.all(events.slice(i, i + 4).map((e) => e()));
    // The next day: every mapping has expired; the sweep logs calls that never completed and retries busy ones.
    clock.now = new Date('2026-12-06T08:00:00Z');
    await sweep(deps, 5000);
    expect((await sweep(deps, 5000)).written).toBe(0);

    const tasks = fake.records('Task');
    const cases = fake.records('Case');
    for (const call of expected) {
      const mine = tasks.filter((t) => t['CallObject'] === call.sid);
      expect({ sid: call.sid, tasks: mine.length }).toEqual({ sid: call.sid, tasks: 1 });
      const task = mine[0]!;
      expect(task['CallDurationInSeconds'] ?? undefined).toBe(call.duration);
      expect(task['WhoId'] ?? undefined).toBe(call.who);
      const theCase = cases.find((c) => c.Id === task['WhatId'])!;
      expect(theCase['ContactId'] ?? theCase['AccountId']).toBe(call.who ?? call.account);
      expect(String(task['Description'])).toContain(call.sid);
      if (call.conversation) expect(String(task['Description'])).toContain(`Agent Assist conversation: ${call.conversation}`);
      // The call fields of a logged call, and the mapped field in its own Task field.
      expect({ sid: call.sid, date: task['ActivityDate'], type: task['CallType'], status: task['Status'], subtype: task['TaskSubtype'] }).toEqual({
        sid: call.sid,
        date: call.date,
        type: 'Inbound',
        status: 'Completed',
        subtype: 'Call',
      });
      expect(String(task['Subject'] ?? '')).toContain(call.sid);
      expect(task['CallerCity__c'] ?? undefined).toBe(call.city);
      expect(String(task['Description'])).not.toContain('CallerCity__c');
    }
    expect(new Set(expected.map((c) => c.date))).toEqual(new Set(['2026-12-04', '2026-12-05']));
    expect(cases).toHaveLength(CALLS);
  }, 60_000);
});

describe('call-log writes that fail, unknown and withheld callers', () => {
  const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
  const completed = (sid: string, from: string) =>
    statusCallbackSchema.parse({
      CallSid: sid,
      AccountSid: ACCOUNT,
      CallStatus: 'completed',
      CallDuration: '30',
      From: from,
      Direction: 'inbound',
      FromCity: 'OAKLAND',
    });

  it('a CRM outage during the callback leaves the call to the sweep, which writes it once after the retry time', async () => {
    const { clock, crm, deps } = setup();
    crm.failNext('*', () => new Error('CRM down'), 1);
    await expect(recordCompletion(deps, completed(callSid(7), '+14155550107'))).rejects.toThrow('CRM down');
    expect(crm.records()).toHaveLength(0);
    expect((await sweep(deps, 10)).examined).toBe(0); // not due yet
    clock.now = new Date(clock.now.getTime() + 61_000);
    expect(await sweep(deps, 10)).toMatchObject({ examined: 1, written: 1 });
    expect(await sweep(deps, 10)).toMatchObject({ examined: 0 });
    expect(crm.records().filter((r) => r.sessionId === callSid(7))).toHaveLength(1);
  });

  it('creates the unknown caller once when asked to, puts withheld callers on the default account, and writes mapped fields', async () => {
    const { crm, deps } = setup({ unknownCaller: 'Contact', fieldMap: parseCallFieldMap('CallerCity__c-FromCity') });
    const defaultAccount = (await crm.createAccount({ name: 'Unknown callers' })).id;
    deps.settings.defaultAccountId = defaultAccount;
    await recordCompletion(deps, completed(callSid(8), '+14155550108'));
    await recordCompletion(deps, completed(callSid(8), '+14155550108'));
    await recordCompletion(deps, completed(callSid(9), 'anonymous'));
    await recordCompletion(deps, completed(callSid(10), '+266696687'));
    expect(crm.accounts().filter((a) => a.phone === '+14155550108')).toHaveLength(1);
    const byCall = new Map(crm.records().map((r) => [r.sessionId, r]));
    expect(byCall.get(callSid(8))?.accountId).toBe(crm.accounts().find((a) => a.phone === '+14155550108')?.id);
    expect(byCall.get(callSid(9))?.accountId).toBe(defaultAccount);
    expect(byCall.get(callSid(10))?.accountId).toBe(defaultAccount);
    expect(byCall.get(callSid(8))?.fields).toEqual({ CallerCity__c: 'OAKLAND' });
    expect(crm.accounts()).toHaveLength(2);
  });
});

describe('call-log and a CRM that drops mapped fields', () => {
  it('writes the mapped values as fields and warns naming the ones the CRM did not keep', async () => {
    const lines: string[] = [];
    const { crm, deps } = setup({ fieldMap: parseCallFieldMap('u_caller_city-FromCity|u_typo-FromState') });
    // As the ServiceNow adapter answers when the table lacks a column: only the kept ones come back.
    deps.crm = { ...crm, updateRecord: async (id, update) => ({ ...(await crm.updateRecord(id, update)), fields: { u_caller_city: 'OAKLAND' } }) };
    deps.log = createLogger({ level: 'warn', sink: (l) => lines.push(l) });
    await recordCompletion(
      deps,
      statusCallbackSchema.parse({
        CallSid: callSid(50),
        AccountSid: ACCOUNT_SID,
        CallStatus: 'completed',
        CallDuration: '3',
        From: '+14155550150',
        FromCity: 'OAKLAND',
        FromState: 'CA',
      }),
    );
    expect(crm.records()[0]?.fields).toEqual({ u_caller_city: 'OAKLAND', u_typo: 'CA' });
    expect(lines.join('\n')).toMatch(/did not keep mapped fields[\s\S]*u_typo/);
  });
});

describe("call-log's write lease (version-conditioned updates of the call's document)", () => {
  const completed = (sid: string) =>
    statusCallbackSchema.parse({
      CallSid: sid,
      AccountSid: ACCOUNT_SID,
      CallStatus: 'completed',
      CallDuration: '12',
      From: '+14155550111',
      Direction: 'inbound',
    });

  it('two workers delivering the same call at once write one log: one writes, the other is told busy', async () => {
    const { clock, crm, deps } = setup();
    const outcomes = await Promise.all([recordCompletion(deps, completed(callSid(40))), recordCompletion(deps, completed(callSid(40)))]);
    expect([...outcomes].sort()).toEqual(['busy', 'written']);
    expect(crm.records().filter((r) => r.sessionId === callSid(40))).toHaveLength(1);
    // Whatever the sweep finds later, it writes nothing more.
    clock.now = new Date(clock.now.getTime() + 31_000);
    expect(await sweep(deps, 10)).toMatchObject({ written: 0 });
    expect(crm.records().filter((r) => r.sessionId === callSid(40))).toHaveLength(1);
  });

  it('two deliveries taking over the same expired lease at the same instant: exactly one gets it', async () => {
    const { docs } = setup();
    const store = createCallStore(docs, 'call-logs');
    await store.mergeCompletion(callSid(41), { status: 'completed', receivedAt: '2026-12-04T10:00:00.000Z', fields: {} });
    // A holder that died: its lease stays behind.
    expect(await store.lease(callSid(41), new Date('2026-12-04T10:00:00Z'), 30)).toBeDefined();
    const later = new Date('2026-12-04T10:00:31Z');
    const [a, b] = await Promise.all([store.lease(callSid(41), later, 30), store.lease(callSid(41), later, 30)]);
    expect([a, b].filter((r) => r !== undefined)).toHaveLength(1);
  });

  it('a holder that overran its lease does not free the lease of the delivery that took over', async () => {
    const { docs } = setup();
    const store = createCallStore(docs, 'call-logs');
    await store.mergeCompletion(callSid(42), { status: 'completed', receivedAt: '2026-12-04T10:00:00.000Z', fields: {} });
    const slow = await store.lease(callSid(42), new Date('2026-12-04T10:00:00Z'), 30);
    const takeover = await store.lease(callSid(42), new Date('2026-12-04T10:00:31Z'), 30);
    expect(slow).toBeDefined();
    expect(takeover).toBeDefined();
    await slow!(); // the slow delivery finishes late and lets go of what it no longer holds
    expect(await store.lease(callSid(42), new Date('2026-12-04T10:00:40Z'), 30)).toBeUndefined();
    await takeover!();
    expect(await store.lease(callSid(42), new Date('2026-12-04T10:00:41Z'), 30)).toBeDefined();
  });
});

describe('call-log with Salesforce and CALL_LOG_UNKNOWN_CALLER=Lead', () => {
  let fake: SalesforceFake;
  beforeAll(async () => {
    fake = await startSalesforceFake({ clientId: 'call-log-client', clientSecret: 'call-log-client-secret-0123456789' });
  });
  afterAll(() => fake.stop());

  it('creates the Lead once and keeps its Task free of a WhatId, the Case-side Task carrying the call', async () => {
    const docs = createMemoryDocStore();
    const crm = createCrmClient(
      parseCrmClientConfig({
        CRM_ADAPTER: 'salesforce',
        SALESFORCE_LOGIN_URL: fake.baseUrl,
        SALESFORCE_CLIENT_ID: 'call-log-client',
        SALESFORCE_CLIENT_SECRET: 'call-log-client-secret-0123456789',
        SALESFORCE_NEW_ACCOUNT_OBJECT: 'Lead',
        // A Lead needs a Company (Salesforce's required field): the admin adds a constant for it.
        SALESFORCE_NEW_ACCOUNT_FIELDS: 'LastName=Unknown caller|Company=Unknown caller|Phone-phone',
      }),
      { log: silent },
    );
    const deps: CallLogDeps = {
      store: createCallStore(docs, 'call-logs'),
      crm,
      log: silent,
      now: () => new Date('2026-12-04T10:00:00Z'),
      settings: {
        unknownCaller: 'Lead',
        defaultAccountId: undefined,
        fieldMap: [],
        privateNumbers: [],
        defaultCountry: 'US',
        retryAfterSeconds: 60,
        leaseSeconds: 30,
        timeZone: 'UTC',
      },
    };
    const cb = statusCallbackSchema.parse({
      CallSid: callSid(77),
      AccountSid: ACCOUNT_SID,
      CallStatus: 'completed',
      CallDuration: '95',
      From: '+14155550177',
      Direction: 'inbound',
    });
    await recordCompletion(deps, cb);
    await recordCompletion(deps, cb);
    const leads = fake.records('Lead');
    expect(leads).toHaveLength(1);
    const tasks = fake.records('Task').filter((t) => t['CallObject'] === callSid(77));
    const leadTask = tasks.find((t) => t['WhoId'] === leads[0]!.Id)!;
    expect(leadTask['WhatId'] ?? null).toBeNull();
    // The Lead's own Task is the same call on its timeline: completed, dated, with the duration.
    expect(leadTask).toMatchObject({ Status: 'Completed', CallDurationInSeconds: 95, ActivityDate: '2026-12-04', CallType: 'Inbound' });
    const caseTask = tasks.find((t) => t['WhatId'])!;
    expect(caseTask['CallDurationInSeconds']).toBe(95);
    expect(fake.records('Case')).toHaveLength(1);
  });
});

describe('conversation.registered as call-log reads it', () => {
  const event = (conversationName: string, extra: Record<string, unknown> = {}) => ({
    type: 'conversation.registered',
    version: 1,
    registrationId: 'r',
    conversationName,
    conversationIntegrationKey: '+14155550100',
    keyKind: 'phone',
    keyHash: 'h',
    registeredAt: '2026-12-04T10:00:00Z',
    expireAt: '2026-12-04T14:00:00Z',
    ...extra,
  });

  it('finds the CallSid in both namings of the shipped flow, and the caller only in a phone key', () => {
    const sid = callSid(5);
    expect(readRegistration(event(sid))).toMatchObject({
      kind: 'registration',
      registration: { callSid: sid, phone: '+14155550100', expireAt: '2026-12-04T14:00:00.000Z' },
    });
    expect(readRegistration(event(`projects/p/locations/global/conversations/TW-14155550100-${sid}`))).toMatchObject({ registration: { callSid: sid } });
    expect(readRegistration(event(sid, { keyKind: 'opaque', conversationIntegrationKey: 'abc' }))).toMatchObject({ registration: { phone: undefined } });
  });

  it('acknowledges other events and names without a CallSid, and refuses a malformed one permanently', () => {
    expect(readRegistration({ type: 'conversation.deleted' })).toEqual({ kind: 'other-event', type: 'conversation.deleted' });
    expect(readRegistration(event('my-own-conversation-id'))).toEqual({ kind: 'no-call-sid' });
    expect(() => readRegistration(event(callSid(5), { expireAt: 'tomorrow' }))).toThrow(PermanentEventError);
  });

  it('keeps a registration still waiting for its completion out of the sweep until its mapping expires', async () => {
    const { clock, crm, deps } = setup();
    const reading = readRegistration(event(callSid(6)));
    if (reading.kind !== 'registration') throw new Error('expected a registration');
    await recordRegistration(deps, reading.registration);
    clock.now = new Date('2026-12-04T13:59:00Z');
    expect((await sweep(deps, 10)).examined).toBe(0);
    clock.now = new Date('2026-12-04T14:00:01Z');
    expect(await sweep(deps, 10)).toMatchObject({ examined: 1, written: 1 });
    expect(crm.records()[0]?.notes).toContain('no completion reported');
  });
});
