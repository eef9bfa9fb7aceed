/**
 * Salesforce adapter against the local Salesforce fake: the CCAI Platform sequence through
 * the crm function in real mode, the CTI screen-pop lookup rules (priority order, default
 * fields on create, ambiguity), the Task call log, field mappings, and error mapping.
 */
import { ConfigError } from '../../shared/config';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { silentLogger } from '../support/doubles/silent-logger';
import { type SalesforceFake, startSalesforceFake } from '../../local/mocks/crm-fakes/salesforce';
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

const CLIENT_ID = '3MVG9-test-consumer-key';
const CLIENT_SECRET = 'sf-consumer-secret-0123456789';

let fake: SalesforceFake;
beforeEach(async () => {
  fake = await startSalesforceFake({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
});
afterEach(() => fake.stop());

const sfEnv = (extra: Record<string, string> = {}) => ({
  CRM_ADAPTER: 'salesforce',
  SALESFORCE_LOGIN_URL: fake.baseUrl,
  SALESFORCE_CLIENT_ID: CLIENT_ID,
  SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
  CRM_RETRY_LIMIT: '1',
  ...extra,
});
const adapter = (extra: Record<string, string> = {}): CrmClient => createCrmClient(parseCrmClientConfig(sfEnv(extra)), { log: silentLogger });

describe('Salesforce adapter', () => {
  let app: CrmUnderTest;
  afterEach(() => app?.stop());

  it('runs the CCAI Platform sequence through the crm function in real mode, logging the call as a Task', async () => {
    app = await startCrm({ env: { CRM_MODE: 'real', CRM_ADMIN_TOKEN: undefined, ...sfEnv() } });
    const result = await runCcaipSequence(app.url, { authorization: basicAuth() }, sampleSequence('ccaip-sf-1'));
    expect(result.steps.map((s) => `${s.operation} ${s.status}`)).toEqual([
      'findAccount 200',
      'createAccount 201',
      'findRecord 200',
      'createRecord 201',
      'addComment 201',
      'addAttachment 201',
      'wrapUp 200',
    ]);
    expect(result.accountId).toMatch(/^003/);
    expect(result.recordId).toMatch(/^500/);
    expect(fake.records('Contact')).toEqual([expect.objectContaining({ LastName: 'Hopper', Phone: '+14155550142', Email: 'grace@example.com' })]);
    expect(fake.records('Case')).toEqual([
      expect.objectContaining({ Subject: 'Inbound call about an invoice', Origin: 'Phone', Status: 'Closed', ContactId: result.accountId }),
    ]);
    expect(fake.records('Task')).toEqual([
      expect.objectContaining({
        CallObject: 'ccaip-sf-1',
        CallType: 'Inbound',
        WhoId: result.accountId,
        WhatId: result.recordId,
        CallDisposition: 'Resolved',
        CallDurationInSeconds: 245,
        Description: 'Credit note issued',
        Status: 'Completed',
        Subject: 'Call: Inbound call about an invoice',
      }),
    ]);
    expect(fake.records('CaseComment')).toEqual([
      expect.objectContaining({ ParentId: result.recordId, CommentBody: 'Caller disputes invoice 1042', IsPublished: false }),
    ]);
    expect(fake.records('ContentVersion')).toEqual([
      expect.objectContaining({
        FirstPublishLocationId: result.recordId,
        PathOnClient: 'chat-ccaip-sf-1.txt',
        ContentSize: sampleSequence('ccaip-sf-1').attachment.content.length,
      }),
    ]);
    const wrapUp = result.steps.at(-1)!.body as { data: Record<string, unknown> };
    expect(wrapUp.data).toMatchObject({ status: 'closed', disposition: 'Resolved', durationSeconds: 245, sessionId: 'ccaip-sf-1' });
  });

  it('looks accounts up by phone across objects in the configured priority order', async () => {
    const crm = adapter();
    expect(await crm.findAccount({ phone: '+14155550100' })).toBeUndefined();
    const lead = fake.seed('Lead', { LastName: 'Lead', Company: 'X', Phone: '(415) 555-0100' });
    expect(await crm.findAccount({ phone: '+14155550100' })).toMatchObject({ id: lead, type: 'Lead', phone: '+14155550100' });
    // one Contact beats the Lead: highest-priority type wins
    const contact = fake.seed('Contact', { LastName: 'Contact', MobilePhone: '415.555.0100' });
    expect(await crm.findAccount({ phone: '+14155550100' })).toMatchObject({ id: contact, type: 'Contact' });
    // two Contacts: no rule picks one → explicit ambiguous answer
    const twin = fake.seed('Contact', { LastName: 'Twin', Phone: '+1 415 555 0100' });
    await expect(crm.findAccount({ phone: '+14155550100' })).rejects.toMatchObject({
      status: 409,
      details: {
        reason: 'ambiguous',
        candidates: [expect.objectContaining({ id: contact, type: 'Contact' }), expect.objectContaining({ id: twin, type: 'Contact' })],
      },
    });
    // with Lead first in the order, the single Lead wins
    expect(await adapter({ SALESFORCE_SEARCH_ORDER: 'Lead|Contact' }).findAccount({ phone: '+14155550100' })).toMatchObject({ id: lead });
    // a different number that shares the last digits is not a match
    fake.seed('Account', { Name: 'Elsewhere', Phone: '+44 20 5555 0100' });
    expect(await adapter({ SALESFORCE_SEARCH_ORDER: 'Account' }).findAccount({ phone: '+14155550100' })).toBeUndefined();
  });

  it('creates accounts of the configured type with default fields from the SfField-sourceKey mapping', async () => {
    const crm = adapter({
      SALESFORCE_NEW_ACCOUNT_OBJECT: 'Lead',
      SALESFORCE_NEW_ACCOUNT_FIELDS: 'LastName=Unknown caller|LastName-lastName|FirstName-firstName|Phone-phone|Company=Walk-in|LeadSource=Phone',
    });
    const anonymous = await crm.createAccount({ phone: '+14155550111' });
    const named = await crm.createAccount({ phone: '+14155550112', name: 'Alan Turing' });
    expect(anonymous).toMatchObject({ type: 'Lead', phone: '+14155550111' });
    expect(fake.records('Lead')).toEqual([
      expect.objectContaining({ Id: anonymous.id, LastName: 'Unknown caller', Company: 'Walk-in', LeadSource: 'Phone', Phone: '+14155550111' }),
      expect.objectContaining({ Id: named.id, FirstName: 'Alan', LastName: 'Turing' }),
    ]);
    const updated = await crm.updateAccount(named.id, { name: 'Alan M. Turing' });
    expect(updated).toMatchObject({ id: named.id, type: 'Lead' });
    expect(fake.objects.get('Lead')!.get(named.id)).toMatchObject({ FirstName: 'Alan M.', LastName: 'Turing', Company: 'Walk-in' });
    // a lead's open record is found through its call log
    const record = await crm.createRecord({ accountId: named.id, channel: 'voice', sessionId: 'S-L', subject: 'Call' });
    expect(await crm.findRecord({ accountId: named.id })).toMatchObject({ id: record.id, accountId: named.id, sessionId: 'S-L' });
  });

  it('refuses malformed field mappings and search orders at start, listing them', () => {
    expect(() => adapter({ SALESFORCE_CASE_FIELDS: 'Subject-subject|bad field|Origin' })).toThrow(ConfigError);
    expect(() => adapter({ SALESFORCE_SEARCH_ORDER: 'Contact|Ticket' })).toThrow(/SALESFORCE_SEARCH_ORDER/);
  });

  it('keeps one Case per session, completes a half-done create, and makes keyed writes no-ops', async () => {
    const crm = adapter();
    // a previous attempt logged the call but failed before the Case: the retry completes it
    fake.seed('Task', { CallObject: 'S-1', Subject: 'Call: x' });
    const r1 = await crm.createRecord({ channel: 'chat', sessionId: 'S-1', subject: 'Chat' });
    const r2 = await crm.createRecord({ channel: 'chat', sessionId: 'S-1', subject: 'Chat' });
    expect(r2.id).toBe(r1.id);
    expect(fake.records('Case')).toHaveLength(1);
    expect(fake.records('Task')).toEqual([expect.objectContaining({ CallObject: 'S-1', WhatId: r1.id })]);
    expect(await crm.findRecord({ sessionId: 'S-1' })).toMatchObject({ id: r1.id, channel: 'chat' });
    const c1 = await crm.addComment(r1.id, { body: 'note', idempotencyKey: 'k1' });
    expect(await crm.addComment(r1.id, { body: 'note', idempotencyKey: 'k1' })).toEqual(c1);
    const a1 = await crm.addAttachment(r1.id, { fileName: 'r.mp3', contentType: 'audio/mpeg', url: 'https://ccbridge.example/r/1', idempotencyKey: 'k2' });
    expect(await crm.addAttachment(r1.id, { fileName: 'r.mp3', contentType: 'audio/mpeg', url: 'https://ccbridge.example/r/1', idempotencyKey: 'k2' })).toEqual(
      a1,
    );
    expect(fake.records('CaseComment')).toHaveLength(1);
    expect(fake.records('ContentVersion')).toEqual([expect.objectContaining({ ContentUrl: 'https://ccbridge.example/r/1' })]);
  });

  it('renews an expired token once, and maps Salesforce errors onto the contract', async () => {
    const crm = adapter();
    await crm.findRecord({ sessionId: 'x' });
    fake.expireTokens();
    await crm.findRecord({ sessionId: 'x' });
    expect(fake.tokensIssued).toBe(2);

    await expect(crm.updateRecord('500000000000000AAA', { status: 'closed' })).rejects.toMatchObject({
      status: 404,
      message: 'record 500000000000000AAA not found',
    });
    await expect(crm.updateRecord('not-an-id', { status: 'closed' })).rejects.toMatchObject({ status: 404 });
    await expect(crm.addComment('500000000000000AAA', { body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(crm.createRecord({ accountId: '003000000000000AAA', channel: 'voice', sessionId: 'S-9', subject: 'x' })).rejects.toMatchObject({
      status: 404,
      message: 'account 003000000000000AAA not found',
    });

    fake.failures.failNext(403, [{ errorCode: 'REQUEST_LIMIT_EXCEEDED', message: 'TotalRequests Limit exceeded.' }]);
    await expect(crm.findAccount({ email: 'a@b.co' })).rejects.toMatchObject({ status: 503, retryAfterSeconds: 3600, details: { reason: 'daily_api_limit' } });
    fake.failures.failNext(400, [{ errorCode: 'DUPLICATES_DETECTED', message: 'Use one of these records?' }], { match: /^POST / });
    await expect(crm.createAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 409, code: 'conflict' });
    fake.failures.failNext(503, [{ errorCode: 'SERVER_UNAVAILABLE', message: 'down' }], { match: /^POST /, times: 1 });
    await expect(crm.createAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 503, retryable: true });
    expect(fake.records('Contact')).toHaveLength(0);

    const wrong = adapter({ SALESFORCE_CLIENT_SECRET: 'wrong-secret-0123456789' });
    await expect(wrong.findAccount({ email: 'a@b.co' })).rejects.toMatchObject({
      status: 502,
      retryable: false,
      message: expect.stringMatching(/refused the configured credentials/),
    });
  });
});
