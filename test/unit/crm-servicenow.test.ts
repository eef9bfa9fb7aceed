/**
 * ServiceNow adapter against the local ServiceNow fake: the whole CCAI Platform sequence
 * through the crm function in real mode, idempotency, and error mapping onto the contract.
 */
import { Secret } from '../../shared/config';
import { createServiceNowCrm } from '../../shared/crm/adapters/servicenow';
import type { CrmClient } from '../../shared/crm/port';
import { SN_PASSWORD, SN_USER, serviceNowAdapter } from '../support/crm-fakes';
import { type ServiceNowFake, startServiceNowFake } from '../../local/mocks/crm-fakes/servicenow';
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

let fake: ServiceNowFake;
beforeEach(async () => {
  fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD });
});
afterEach(() => fake.stop());

const adapter = (retryLimit = 2): CrmClient => serviceNowAdapter(fake.baseUrl, retryLimit);

describe('ServiceNow adapter', () => {
  let app: CrmUnderTest;
  afterEach(() => app?.stop());

  it('runs the CCAI Platform sequence through the crm function in real mode', async () => {
    app = await startCrm({
      env: {
        CRM_MODE: 'real',
        CRM_ADAPTER: 'servicenow',
        SERVICENOW_INSTANCE_URL: fake.baseUrl,
        SERVICENOW_USER: SN_USER,
        SERVICENOW_PASSWORD: SN_PASSWORD,
        CRM_ADMIN_TOKEN: undefined,
      },
    });
    const result = await runCcaipSequence(app.url, { authorization: basicAuth() }, sampleSequence('ccaip-sn-1'));
    expect(result.steps.map((s) => `${s.operation} ${s.status}`)).toEqual([
      'findAccount 200',
      'createAccount 201',
      'findRecord 200',
      'createRecord 201',
      'addComment 201',
      'addAttachment 201',
      'wrapUp 200',
    ]);
    const [user] = fake.rows('sys_user');
    expect(user).toMatchObject({ sys_id: result.accountId, first_name: 'Grace', last_name: 'Hopper', phone: '+14155550142', email: 'grace@example.com' });
    const [incident] = fake.rows('incident');
    expect(incident).toMatchObject({
      sys_id: result.recordId,
      caller_id: result.accountId,
      correlation_id: 'ccaip-sn-1',
      contact_type: 'phone',
      short_description: 'Inbound call about an invoice',
      state: '6',
      close_code: 'Resolved',
      close_notes: 'Credit note issued\nDuration: 245 s',
    });
    expect(fake.rows('sys_journal_field')).toEqual([
      expect.objectContaining({ element_id: result.recordId, element: 'work_notes', value: 'Caller disputes invoice 1042' }),
    ]);
    expect(fake.rows('sys_attachment')).toEqual([
      expect.objectContaining({
        table_sys_id: result.recordId,
        file_name: 'chat-ccaip-sn-1.txt',
        size_bytes: String(sampleSequence('ccaip-sn-1').attachment.content.length),
        content_type: 'text/plain',
      }),
    ]);
    // no admin surface in real mode
    expect((await fetch(`${app.url}/admin/journal`)).status).toBe(404);
  });

  it('finds callers whatever format ServiceNow stored the number in, and refuses to guess between two', async () => {
    const crm = adapter();
    const a = await crm.createAccount({ phone: '+14155550100', name: 'Ada Lovelace' });
    fake.tables.get('sys_user')!.get(a.id)!['phone'] = '(415) 555-0100';
    expect(await crm.findAccount({ phone: '+14155550100' })).toMatchObject({ id: a.id, phone: '+14155550100', name: 'Ada Lovelace', type: 'sys_user' });
    expect(await crm.findAccount({ phone: '+14155550199' })).toBeUndefined();
    const b = await crm.createAccount({ phone: '+14155550100', name: 'Ada Twin' });
    await expect(crm.findAccount({ phone: '+14155550100' })).rejects.toMatchObject({
      status: 409,
      details: { reason: 'ambiguous', candidates: [expect.objectContaining({ id: a.id }), expect.objectContaining({ id: b.id })] },
    });
  });

  it('keeps one incident per session and makes keyed notes and files no-ops when repeated', async () => {
    const crm = adapter();
    const r1 = await crm.createRecord({ channel: 'chat', sessionId: 'S-1', subject: 'Chat' });
    const r2 = await crm.createRecord({ channel: 'chat', sessionId: 'S-1', subject: 'Chat' });
    expect(r2.id).toBe(r1.id);
    expect(await crm.findRecord({ sessionId: 'S-1' })).toMatchObject({ id: r1.id, channel: 'chat', status: 'open' });
    const n1 = await crm.addComment(r1.id, { body: 'note', idempotencyKey: 'zoom:note:1' });
    const n2 = await crm.addComment(r1.id, { body: 'note', idempotencyKey: 'zoom:note:1' });
    expect(n2).toEqual(n1);
    const f1 = await crm.addAttachment(r1.id, { fileName: 'rec.mp3', contentType: 'audio/mpeg', content: Buffer.from('abc'), idempotencyKey: 'rec-1' });
    const f2 = await crm.addAttachment(r1.id, { fileName: 'rec.mp3', contentType: 'audio/mpeg', content: Buffer.from('abc'), idempotencyKey: 'rec-1' });
    expect(f2).toEqual(f1);
    await crm.addAttachment(r1.id, { fileName: 'link', contentType: 'audio/mpeg', url: 'https://ccbridge.example/r/1', idempotencyKey: 'link-1' });
    await crm.addAttachment(r1.id, { fileName: 'link', contentType: 'audio/mpeg', url: 'https://ccbridge.example/r/1', idempotencyKey: 'link-1' });
    expect(fake.rows('incident')).toHaveLength(1);
    expect(fake.rows('sys_journal_field')).toHaveLength(2);
    expect(fake.rows('sys_attachment')).toHaveLength(1);
  });

  it('maps ServiceNow errors onto the contract and retries only idempotent calls', async () => {
    const crm = adapter(1);
    await expect(crm.updateRecord('0123', { status: 'closed' })).rejects.toMatchObject({ status: 404, code: 'not_found', message: 'record 0123 not found' });
    await expect(crm.addComment('0123', { body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(crm.createRecord({ accountId: 'ghost', channel: 'voice', sessionId: 'S-2', subject: 'x' })).rejects.toMatchObject({
      status: 404,
      message: 'account ghost not found',
    });

    fake.failures.failNext(
      429,
      { error: { message: 'Rate limit exceeded' }, status: 'failure' },
      { headers: { 'retry-after': '0' }, times: 1, match: /^GET / },
    );
    expect(await crm.findRecord({ sessionId: 'nope' })).toBeUndefined();

    fake.failures.failNext(429, { error: { message: 'Rate limit exceeded' } }, { headers: { 'retry-after': '7' }, times: 1, match: /^POST / });
    await expect(crm.createAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 429, retryAfterSeconds: 7, retryable: true });
    expect(fake.requests.filter((r) => r.method === 'POST')).toHaveLength(1);

    fake.failures.failNext(503, { error: { message: 'down' } }, { times: 2 });
    await expect(crm.findAccount({ email: 'a@b.co' })).rejects.toMatchObject({ status: 503, code: 'upstream_unavailable', retryable: true });

    const wrong = createServiceNowCrm({
      ...{ instanceUrl: fake.baseUrl, user: SN_USER, password: new Secret('wrong-password') },
      phoneFields: ['phone'],
      externalIdField: 'employee_number',
      dispositionField: 'close_code',
      defaultCloseCode: 'x',
      defaultAccountName: 'x',
      phone: {},
      timeoutMs: 2000,
      retryLimit: 0,
    });
    await expect(wrong.findAccount({ email: 'a@b.co' })).rejects.toMatchObject({
      status: 502,
      retryable: false,
      message: expect.stringMatching(/refused the configured credentials/),
    });

    fake.failures.failNext(400, { error: { message: 'Invalid field: foo' }, status: 'failure' }, { match: /^POST / });
    await expect(crm.createAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 400, message: expect.stringMatching(/Invalid field: foo/) });
  });
});
