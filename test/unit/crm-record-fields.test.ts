/**
 * The CRM's own fields of a record's activity log (RecordUpdate.fields, activityDate): each CRM's
 * rule as docs/contracts states it — Salesforce refuses a Task field it lacks (INVALID_FIELD) and
 * bad picklist values/types, ServiceNow keeps only columns it has, Zendesk takes custom fields by
 * numeric id, Be Aware 360 takes none — the adapters writing them, the crm function checking the
 * names for its CRM, and call-log refusing at start a field map the CRM cannot take.
 */
import { composeCallLog } from '../../functions/call-log/compose';
import { MOCK_COLLECTIONS } from '../../functions/crm/mock/docstore-crm';
import { type SalesforceFake, startSalesforceFake } from '../../local/mocks/crm-fakes/salesforce';
import { type ServiceNowFake, startServiceNowFake } from '../../local/mocks/crm-fakes/servicenow';
import { startZendeskFake, type ZendeskFake } from '../../local/mocks/crm-fakes/zendesk';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import { createMemoryCrm } from '../support/doubles/memory-crm';
import { recordFieldProblems } from '../../shared/crm/record-fields';
import { silentLogger } from '../support/doubles/silent-logger';
import { basicAuth, CRM_PASSWORD, CRM_USER, type CrmUnderTest, startCrm } from '../support/crm-harness';
import { SN_PASSWORD, SN_USER, serviceNowAdapter } from '../support/crm-fakes';

const SF = { clientId: 'fields-client', clientSecret: 'fields-client-secret-0123456789' };
const sfAdapter = (fake: SalesforceFake) =>
  createCrmClient(
    parseCrmClientConfig({
      CRM_ADAPTER: 'salesforce',
      SALESFORCE_LOGIN_URL: fake.baseUrl,
      SALESFORCE_CLIENT_ID: SF.clientId,
      SALESFORCE_CLIENT_SECRET: SF.clientSecret,
      CRM_RETRY_LIMIT: '0',
    }),
    { log: silentLogger },
  );

describe('the Salesforce fake refuses Task values Salesforce refuses', () => {
  let fake: SalesforceFake;
  let token: string;
  beforeAll(async () => {
    fake = await startSalesforceFake({ ...SF, customFields: { Task: ['CallerCity__c'] } });
    const res = await fetch(`${fake.baseUrl}/services/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: SF.clientId, client_secret: SF.clientSecret }).toString(),
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  afterAll(() => fake.stop());

  const send = async (method: 'POST' | 'PATCH', path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${fake.baseUrl}/services/data/v62.0/sobjects/${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as unknown) };
  };
  const code = (r: { body: unknown }) => (r.body as Array<{ errorCode: string }>)[0]?.errorCode;

  it('a field the Task lacks is 400 INVALID_FIELD on create and update; a configured custom field is written', async () => {
    const unknown = await send('POST', 'Task', { Subject: 'Call', NoSuchField__c: 'x' });
    expect(unknown.status).toBe(400);
    expect(code(unknown)).toBe('INVALID_FIELD');
    expect(JSON.stringify(unknown.body)).toContain("No such column 'NoSuchField__c' on sobject of type Task");
    const created = await send('POST', 'Task', {
      Subject: 'Call',
      CallerCity__c: 'OAKLAND',
      ActivityDate: '2026-12-04',
      CallType: 'Inbound',
      CallDurationInSeconds: 42,
      Status: 'Completed',
    });
    expect(created.status).toBe(201);
    const id = (created.body as { id: string }).id;
    expect(code(await send('PATCH', `Task/${id}`, { callercity: 'x' }))).toBe('INVALID_FIELD');
    expect(fake.records('Task').find((t) => t.Id === id)).toMatchObject({ CallerCity__c: 'OAKLAND', ActivityDate: '2026-12-04' });
    expect(fake.records('Task')).toHaveLength(1);
  });

  it.each([
    ['CallType outside its picklist', { CallType: 'Sideways' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST'],
    ['Status outside the org picklist', { Status: 'Done' }, 'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST'],
    ['a duration as text', { CallDurationInSeconds: '42' }, 'JSON_PARSER_ERROR'],
    ['a duration with decimals', { CallDurationInSeconds: 4.5 }, 'JSON_PARSER_ERROR'],
    ['ActivityDate with a time', { ActivityDate: '2026-12-04T10:00:00Z' }, 'JSON_PARSER_ERROR'],
    ['ActivityDate that is no day', { ActivityDate: '2026-02-30' }, 'JSON_PARSER_ERROR'],
    ['a Subject over 255 characters', { Subject: 'x'.repeat(256) }, 'STRING_TOO_LONG'],
  ])('refuses %s', async (_what, values, errorCode) => {
    const r = await send('POST', 'Task', { Subject: 'Call', ...values });
    expect({ status: r.status, code: code(r) }).toEqual({ status: 400, code: errorCode });
  });
});

describe('the Salesforce adapter writes fields and the date on the call Task', () => {
  let fake: SalesforceFake;
  afterEach(() => fake.stop());

  it('sets the custom field and ActivityDate beside the call fields, and never lets a mapping override them', async () => {
    fake = await startSalesforceFake({ ...SF, customFields: { Task: ['CallerCity__c'] } });
    const crm = sfAdapter(fake);
    const record = await crm.createRecord({ sessionId: 'CA1', channel: 'voice', subject: 'Inbound call CA1', direction: 'inbound' });
    await crm.updateRecord(record.id, {
      status: 'closed',
      notes: 'n',
      durationSeconds: 30,
      activityDate: '2026-12-04',
      fields: { CallerCity__c: 'OAKLAND', CallObject: 'hijack' },
    });
    const task = fake.records('Task').find((t) => t['WhatId'] === record.id)!;
    expect(task).toMatchObject({
      CallerCity__c: 'OAKLAND',
      ActivityDate: '2026-12-04',
      CallObject: 'CA1',
      CallType: 'Inbound',
      CallDurationInSeconds: 30,
      Status: 'Completed',
      Subject: 'Call: Inbound call CA1',
      TaskSubtype: 'Call',
    });
  });

  it('gives the call Task a Subject even when SALESFORCE_TASK_FIELDS maps none', async () => {
    fake = await startSalesforceFake(SF);
    const crm = createCrmClient(
      parseCrmClientConfig({
        CRM_ADAPTER: 'salesforce',
        SALESFORCE_LOGIN_URL: fake.baseUrl,
        SALESFORCE_CLIENT_ID: SF.clientId,
        SALESFORCE_CLIENT_SECRET: SF.clientSecret,
        SALESFORCE_TASK_FIELDS: 'Status=In Progress',
      }),
      { log: silentLogger },
    );
    const record = await crm.createRecord({ sessionId: 'CA6', channel: 'voice', subject: 'Inbound call CA6' });
    expect(fake.records('Task').find((t) => t['CallObject'] === 'CA6')).toMatchObject({
      Subject: 'Call: Inbound call CA6',
      CallType: 'Inbound',
      Status: 'In Progress',
    });
    expect(record.sessionId).toBe('CA6');
  });

  it("an org without the custom field refuses the write: the adapter reports Salesforce's INVALID_FIELD", async () => {
    fake = await startSalesforceFake(SF);
    const crm = sfAdapter(fake);
    const record = await crm.createRecord({ sessionId: 'CA2', channel: 'voice', subject: 'Inbound call CA2' });
    await expect(crm.updateRecord(record.id, { status: 'closed', fields: { CallerCity__c: 'OAKLAND' } })).rejects.toThrow(/INVALID_FIELD/);
  });
});

describe('ServiceNow keeps only columns the table has; Zendesk takes custom fields by id', () => {
  let sn: ServiceNowFake;
  let zd: ZendeskFake;
  afterEach(async () => {
    await sn?.stop();
    await zd?.stop();
  });

  it('ServiceNow: a known custom column is written, an unknown one dropped without error, and the adapter answers only what was kept', async () => {
    sn = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD, columns: { incident: ['u_caller_city'] } });
    const crm = serviceNowAdapter(sn.baseUrl);
    const record = await crm.createRecord({ sessionId: 'CA3', channel: 'voice', subject: 'Inbound call CA3' });
    const updated = await crm.updateRecord(record.id, { status: 'closed', notes: 'n', fields: { u_caller_city: 'OAKLAND', u_typo: 'x', state: '1' } });
    const row = sn.tables.get('incident')!.get(record.id)!;
    expect(row['u_caller_city']).toBe('OAKLAND');
    expect(row['u_typo']).toBeUndefined();
    expect(row['state']).toBe('6'); // the adapter's own column wins over a mapping
    expect(updated.fields).toEqual({ u_caller_city: 'OAKLAND' });
  });

  it('Zendesk: mapped ids become ticket custom_fields beside the disposition field; a name that is no id is refused', async () => {
    zd = await startZendeskFake({ email: 'integration@acme.example', apiToken: 'zd-api-token-0123456789abcdef', indexDelayMs: 0 });
    const crm = createCrmClient(
      parseCrmClientConfig({
        CRM_ADAPTER: 'zendesk',
        ZENDESK_BASE_URL: zd.baseUrl,
        ZENDESK_EMAIL: 'integration@acme.example',
        ZENDESK_API_TOKEN: 'zd-api-token-0123456789abcdef',
        ZENDESK_DISPOSITION_FIELD_ID: '360001',
        CRM_RETRY_LIMIT: '0',
      }),
      { log: silentLogger },
    );
    const account = await crm.createAccount({ phone: '+14155550100', name: 'Ada' });
    const record = await crm.createRecord({ sessionId: 'CA4', channel: 'voice', subject: 'Inbound call CA4', accountId: account.id });
    await crm.updateRecord(record.id, { disposition: 'Resolved', fields: { '360002': 'OAKLAND' } });
    const fields = zd.tickets.get(Number(record.id))!.custom_fields;
    expect(fields).toEqual(
      expect.arrayContaining([
        { id: 360001, value: 'Resolved' },
        { id: 360002, value: 'OAKLAND' },
      ]),
    );
    await expect(crm.updateRecord(record.id, { fields: { CallerCity__c: 'x' } })).rejects.toThrow(/not a Zendesk ticket field id/);
  });
});

describe('the crm function carries fields through the contract and checks them for its CRM', () => {
  let app: CrmUnderTest;
  afterEach(() => app.stop());

  it('mock mode stores fields and the activity date a contract client sends, and refuses names that are no field names', async () => {
    app = await startCrm();
    const crm = createCrmClient(
      parseCrmClientConfig({
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: app.url,
        CRM_BASIC_USER: CRM_USER,
        CRM_BASIC_PASSWORD: CRM_PASSWORD,
        CRM_RETRY_LIMIT: '0',
      }),
      { log: silentLogger },
    );
    const record = await crm.createRecord({ sessionId: 'CA5', channel: 'voice', subject: 'Inbound call CA5' });
    const updated = await crm.updateRecord(record.id, { status: 'closed', activityDate: '2026-12-04', fields: { CallerCity__c: 'OAKLAND' } });
    expect(updated.fields).toEqual({ CallerCity__c: 'OAKLAND' });
    expect(app.docs.dump(MOCK_COLLECTIONS.records)[record.id]).toMatchObject({ activityDate: '2026-12-04', fields: { CallerCity__c: 'OAKLAND' } });
    const bad = await fetch(`${app.url}/records/${record.id}`, {
      method: 'PATCH',
      headers: { authorization: basicAuth(), 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { 'Caller-City': 'x' } }),
    });
    expect(bad.status).toBe(400);
  });

  it('real mode in front of Zendesk refuses a field that is no ticket field id with 400, writing nothing', async () => {
    const zdFake = await startZendeskFake({ email: 'integration@acme.example', apiToken: 'zd-api-token-0123456789abcdef', indexDelayMs: 0 });
    try {
      app = await startCrm({
        env: {
          CRM_MODE: 'real',
          CRM_ADMIN_TOKEN: undefined,
          CRM_ADAPTER: 'zendesk',
          ZENDESK_BASE_URL: zdFake.baseUrl,
          ZENDESK_EMAIL: 'integration@acme.example',
          ZENDESK_API_TOKEN: 'zd-api-token-0123456789abcdef',
        },
      });
      const res = await fetch(`${app.url}/records/123`, {
        method: 'PATCH',
        headers: { authorization: basicAuth(), 'content-type': 'application/json' },
        body: JSON.stringify({ fields: { CallerCity__c: 'x' } }),
      });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { message: string }).message).toContain('not a Zendesk ticket field id');
      expect(zdFake.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
    } finally {
      await zdFake.stop();
    }
  });
});

describe('call-log refuses at start a field map its CRM cannot take', () => {
  const base = { GCP_PROJECT: 'ccbridge-test', TWILIO_AUTH_TOKEN: 'f00dfeedf00dfeedf00dfeedf00dfeed', CALL_LOG_PUBLIC_URL: 'https://example.test/call-log' };
  const sf = {
    CRM_ADAPTER: 'salesforce',
    SALESFORCE_LOGIN_URL: 'https://login.example.test',
    SALESFORCE_CLIENT_ID: 'x',
    SALESFORCE_CLIENT_SECRET: 'salesforce-secret-0123456789',
  };
  const compose = (env: Record<string, string>) => () => composeCallLog({ ...base, ...env }, { docs: createMemoryDocStore(), crm: createMemoryCrm() });

  it.each([
    ['Salesforce, a name without __c', { ...sf, CALL_LOG_FIELD_MAP: 'caller_city-FromCity' }, /"caller_city" is not a Salesforce Task field/],
    ['Salesforce, a call field ccbridge sets', { ...sf, CALL_LOG_FIELD_MAP: 'CallObject-CallSid' }, /"CallObject" is a Task field ccbridge sets itself/],
    [
      'ServiceNow, a Salesforce-style name',
      {
        CRM_ADAPTER: 'servicenow',
        SERVICENOW_INSTANCE_URL: 'https://x.service-now.com',
        SERVICENOW_USER: 'u',
        SERVICENOW_PASSWORD: 'password1',
        CALL_LOG_FIELD_MAP: 'CallerCity__c-FromCity',
      },
      /not a ServiceNow column name/,
    ],
    [
      'ServiceNow, a system column',
      {
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: 'https://crm.example.test',
        CRM_BASIC_USER: 'u',
        CRM_BASIC_PASSWORD: 'password1',
        CALL_LOG_CRM: 'servicenow',
        CALL_LOG_FIELD_MAP: 'sys_updated_by-FromCity',
      },
      /column ccbridge or ServiceNow sets itself/,
    ],
    [
      'Zendesk, a name instead of a field id',
      {
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: 'https://crm.example.test',
        CRM_BASIC_USER: 'u',
        CRM_BASIC_PASSWORD: 'password1',
        CALL_LOG_CRM: 'zendesk',
        CALL_LOG_FIELD_MAP: 'caller_city-FromCity',
      },
      /not a Zendesk ticket field id/,
    ],
    [
      'Be Aware 360, any field',
      {
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: 'https://crm.example.test',
        CRM_BASIC_USER: 'u',
        CRM_BASIC_PASSWORD: 'password1',
        CALL_LOG_CRM: 'ba360',
        CALL_LOG_FIELD_MAP: 'City-FromCity',
      },
      /Be Aware 360 has no record API/,
    ],
    [
      'the contract without saying which CRM is behind it',
      {
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: 'https://crm.example.test',
        CRM_BASIC_USER: 'u',
        CRM_BASIC_PASSWORD: 'password1',
        CALL_LOG_FIELD_MAP: 'CallerCity__c-FromCity',
      },
      /CALL_LOG_CRM: required/,
    ],
    ['an unknown time zone', { ...sf, CALL_LOG_TIME_ZONE: 'Mars/Olympus' }, /CALL_LOG_TIME_ZONE/],
  ])('%s', (_what, env, message) => {
    expect(compose(env)).toThrow(message);
  });

  it('accepts what each CRM takes', () => {
    expect(compose({ ...sf, CALL_LOG_FIELD_MAP: 'CallerCity__c-FromCity|Priority-CallStatus|acme__Region__c-FromState' })).not.toThrow();
    expect(
      compose({
        CRM_ADAPTER: 'contract',
        CRM_BASE_URL: 'https://crm.example.test',
        CRM_BASIC_USER: 'u',
        CRM_BASIC_PASSWORD: 'password1',
        CALL_LOG_CRM: 'zendesk',
        CALL_LOG_FIELD_MAP: '360002-FromCity',
      }),
    ).not.toThrow();
    expect(recordFieldProblems('servicenow', ['u_caller_city'], 'X')).toEqual([]);
    expect(recordFieldProblems('mock', ['CallerCity__c'], 'X')).toEqual([]);
  });
});
