/**
 * Zendesk adapter against the local Zendesk fake: the CCAI Platform sequence through the crm
 * function in real mode, end-users by phone, uploads turned into attachments, idempotent
 * notes and wrap-up, and error mapping onto the contract.
 */
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { silentLogger } from '../support/doubles/silent-logger';
import { startZendeskFake, type ZendeskFake } from '../../local/mocks/crm-fakes/zendesk';
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

const EMAIL = 'integration@acme.example';
const TOKEN = 'zd-api-token-0123456789abcdef';

let fake: ZendeskFake;
beforeEach(async () => {
  // Indexed at once here; the indexing delay has its own tests (crm-zendesk-rules).
  fake = await startZendeskFake({ email: EMAIL, apiToken: TOKEN, indexDelayMs: 0 });
});
afterEach(() => fake.stop());

const zdEnv = (extra: Record<string, string> = {}) => ({
  CRM_ADAPTER: 'zendesk',
  ZENDESK_BASE_URL: fake.baseUrl,
  ZENDESK_EMAIL: EMAIL,
  ZENDESK_API_TOKEN: TOKEN,
  CRM_RETRY_LIMIT: '1',
  ...extra,
});
const adapter = (extra: Record<string, string> = {}): CrmClient => createCrmClient(parseCrmClientConfig(zdEnv(extra)), { log: silentLogger });

describe('Zendesk adapter', () => {
  let app: CrmUnderTest;
  afterEach(() => app?.stop());

  it('runs the CCAI Platform sequence through the crm function in real mode', async () => {
    app = await startCrm({ env: { CRM_MODE: 'real', CRM_ADMIN_TOKEN: undefined, ...zdEnv({ ZENDESK_DISPOSITION_FIELD_ID: '360001' }) } });
    const result = await runCcaipSequence(app.url, { authorization: basicAuth() }, sampleSequence('ccaip-zd-1'));
    expect(result.steps.map((s) => `${s.operation} ${s.status}`)).toEqual([
      'findAccount 200',
      'createAccount 201',
      'findRecord 200',
      'createRecord 201',
      'addComment 201',
      'addAttachment 201',
      'wrapUp 200',
    ]);
    const [user] = [...fake.users.values()];
    expect(user).toMatchObject({ id: Number(result.accountId), name: 'Grace Hopper', phone: '+14155550142', role: 'end-user' });
    const ticket = fake.tickets.get(Number(result.recordId))!;
    expect(ticket).toMatchObject({ requester_id: user!.id, external_id: 'ccaip-zd-1', status: 'solved', subject: 'Inbound call about an invoice' });
    expect(ticket.tags).toEqual(expect.arrayContaining(['ccbridge', 'ccbridge_voice', 'ccbridge_disposition_resolved']));
    expect(ticket.custom_fields).toEqual([{ id: 360001, value: 'Resolved' }]);
    expect(ticket.comments.map((c) => [c.body.split('\n')[0], c.public, c.attachments.map((a) => a.file_name)])).toEqual([
      ['Session ccaip-zd-1', false, []],
      ['Caller disputes invoice 1042', false, []],
      ['Attachment chat-ccaip-zd-1.txt', false, ['chat-ccaip-zd-1.txt']],
      ['Wrap-up', false, []],
    ]);
    const wrapUp = result.steps.at(-1)!.body as { data: Record<string, unknown> };
    expect(wrapUp.data).toMatchObject({ status: 'closed', disposition: 'Resolved', sessionId: 'ccaip-zd-1', channel: 'voice' });
  });

  it('finds end-users by phone in E.164 whatever they typed, by email and external id', async () => {
    const crm = adapter();
    const a = await crm.createAccount({ phone: '+14155550100', email: 'ada@example.com', externalId: 'cust-1', name: 'Ada' });
    fake.users.get(Number(a.id))!.phone = '+1 (415) 555-0100';
    expect(await crm.findAccount({ phone: '+14155550100' })).toMatchObject({ id: a.id, phone: '+14155550100' });
    expect(await crm.findAccount({ email: 'ada@example.com' })).toMatchObject({ id: a.id });
    expect(await crm.findAccount({ externalId: 'cust-1' })).toMatchObject({ id: a.id });
    expect(await crm.findAccount({ phone: '+442079460958' })).toBeUndefined();
    await crm.createAccount({ phone: '+14155550100', name: 'Ada again' });
    await expect(crm.findAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 409, details: { reason: 'ambiguous' } });
    // a duplicate email is Zendesk's 422 DuplicateValue → the contract's 409
    await expect(crm.createAccount({ email: 'ada@example.com' })).rejects.toMatchObject({ status: 409, code: 'conflict' });
  });

  it('keeps one ticket per session, and repeated keyed notes, files and wrap-ups write once', async () => {
    const crm = adapter();
    const r1 = await crm.createRecord({ channel: 'chat', sessionId: 'S-1', subject: 'Chat' });
    expect((await crm.createRecord({ channel: 'chat', sessionId: 'S-1', subject: 'Chat' })).id).toBe(r1.id);
    const c1 = await crm.addComment(r1.id, { body: 'hello', idempotencyKey: 'n1' });
    expect(await crm.addComment(r1.id, { body: 'hello', idempotencyKey: 'n1' })).toEqual(c1);
    const f1 = await crm.addAttachment(r1.id, { fileName: 'a.txt', contentType: 'text/plain', content: Buffer.from('a'), idempotencyKey: 'f1' });
    expect(await crm.addAttachment(r1.id, { fileName: 'a.txt', contentType: 'text/plain', content: Buffer.from('a'), idempotencyKey: 'f1' })).toEqual(f1);
    await crm.updateRecord(r1.id, { status: 'closed', disposition: 'Sale', notes: 'n' });
    await crm.updateRecord(r1.id, { status: 'closed', disposition: 'Sale', notes: 'n' });
    const ticket = fake.tickets.get(Number(r1.id))!;
    expect(ticket.comments).toHaveLength(4);
    expect(fake.uploads.size).toBe(1);
    expect(await crm.findRecord({ sessionId: 'S-1' })).toMatchObject({ id: r1.id, status: 'closed' });
  });

  it('maps Zendesk errors onto the contract and never retries a create', async () => {
    const crm = adapter();
    await expect(crm.updateRecord('999999', { status: 'closed' })).rejects.toMatchObject({ status: 404, message: 'record 999999 not found' });
    await expect(crm.addComment('not-a-number', { body: 'x' })).rejects.toMatchObject({ status: 404 });
    await expect(crm.updateAccount('999999', { name: 'x' })).rejects.toMatchObject({ status: 404, message: 'account 999999 not found' });
    await expect(crm.createRecord({ accountId: '424242', channel: 'voice', sessionId: 'S', subject: 'x' })).rejects.toMatchObject({
      status: 404,
      message: 'account 424242 not found',
    });

    fake.failures.failNext(429, { error: 'TooManyRequests' }, { headers: { 'retry-after': '30' }, match: /^POST \/api\/v2\/tickets/ });
    await expect(crm.createRecord({ channel: 'voice', sessionId: 'S-2', subject: 'x' })).rejects.toMatchObject({
      status: 429,
      retryAfterSeconds: 30,
      retryable: true,
    });
    expect(fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/v2/tickets.json')).toHaveLength(1);
    expect(fake.tickets.size).toBe(0);

    fake.failures.failNext(503, { error: 'ServiceUnavailable' }, { match: /^GET /, times: 1 });
    expect(await crm.findRecord({ sessionId: 'S-3' })).toBeUndefined();

    const wrong = adapter({ ZENDESK_API_TOKEN: 'wrong-token-0123456789' });
    await expect(wrong.findAccount({ email: 'a@b.co' })).rejects.toMatchObject({ status: 502, retryable: false });
  });
});
