/**
 * Salesforce rules from docs/contracts/salesforce.md, each proven twice: the fake refuses what
 * Salesforce refuses, and the adapter does not ask for it (Lead Tasks without WhatId, comments
 * of at most 4 000 bytes, the daily API limit, phone fields beyond Phone, query batches).
 */
import { ConfigError } from '../../shared/config';
import { splitComment } from '../../shared/crm/adapters/salesforce';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { silentLogger } from '../support/doubles/silent-logger';
import { type SalesforceFake, type SalesforceFakeOptions, startSalesforceFake } from '../../local/mocks/crm-fakes/salesforce';

const CLIENT_ID = '3MVG9-test-consumer-key';
const CLIENT_SECRET = 'sf-consumer-secret-0123456789';

let fake: SalesforceFake;
const start = async (extra: Partial<SalesforceFakeOptions> = {}) => {
  fake = await startSalesforceFake({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra });
};
afterEach(() => fake?.stop());

const sfEnv = (extra: Record<string, string> = {}) => ({
  CRM_ADAPTER: 'salesforce',
  SALESFORCE_LOGIN_URL: fake.baseUrl,
  SALESFORCE_CLIENT_ID: CLIENT_ID,
  SALESFORCE_CLIENT_SECRET: CLIENT_SECRET,
  CRM_RETRY_LIMIT: '1',
  ...extra,
});
const adapter = (extra: Record<string, string> = {}): CrmClient => createCrmClient(parseCrmClientConfig(sfEnv(extra)), { log: silentLogger });

async function api(method: string, path: string, body?: unknown) {
  const token = (await (
    await fetch(`${fake.baseUrl}/services/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    })
  ).json()) as { access_token: string };
  const res = await fetch(`${fake.baseUrl}/services/data/v62.0${path}`, {
    method,
    headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: res.status === 204 ? undefined : ((await res.json()) as unknown) };
}

describe('Salesforce fake refuses what Salesforce refuses', () => {
  beforeEach(() => start({ queryBatchSize: 3, dailyApiLimit: 40 }));

  it('refuses a Task whose WhoId is a Lead and that has a WhatId, on create and on update', async () => {
    const lead = fake.seed('Lead', { LastName: 'Lovelace', Company: 'Engines' });
    const kase = fake.seed('Case', { Subject: 'x' });
    expect(await api('POST', '/sobjects/Task', { WhoId: lead, WhatId: kase })).toMatchObject({
      status: 400,
      body: [{ errorCode: 'FIELD_INTEGRITY_EXCEPTION' }],
    });
    const ok = await api('POST', '/sobjects/Task', { WhoId: lead });
    expect(ok.status).toBe(201);
    const id = (ok.body as { id: string }).id;
    expect(await api('PATCH', `/sobjects/Task/${id}`, { WhatId: kase })).toMatchObject({ status: 400, body: [{ errorCode: 'FIELD_INTEGRITY_EXCEPTION' }] });
  });

  it('refuses a CaseComment body over 4 000 bytes (bytes, not characters)', async () => {
    const kase = fake.seed('Case', { Subject: 'x' });
    expect((await api('POST', '/sobjects/CaseComment', { ParentId: kase, CommentBody: 'a'.repeat(4000) })).status).toBe(201);
    expect(await api('POST', '/sobjects/CaseComment', { ParentId: kase, CommentBody: 'é'.repeat(2001) })).toMatchObject({
      status: 400,
      body: [{ errorCode: 'STRING_TOO_LONG' }],
    });
  });

  it('answers queries in batches with nextRecordsUrl, and 403 REQUEST_LIMIT_EXCEEDED once the API allocation is used', async () => {
    for (let i = 0; i < 7; i++) fake.seed('Task', { Subject: `t${i}` });
    const first = (await api('GET', `/query?q=${encodeURIComponent('SELECT Id FROM Task')}`)).body as {
      done: boolean;
      records: unknown[];
      nextRecordsUrl: string;
    };
    expect(first).toMatchObject({ done: false, records: [{}, {}, {}] });
    expect(first.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g/);
    let last: { status: number; body: unknown } = { status: 0, body: undefined };
    for (let i = 0; i < 45 && last.status !== 403; i++) last = await api('GET', '/sobjects/Task/00T000000000000AAA');
    expect(last).toMatchObject({ status: 403, body: [{ errorCode: 'REQUEST_LIMIT_EXCEEDED' }] });
  });
});

describe('Salesforce adapter obeys the documented rules', () => {
  it('logs a Lead caller’s call without a WhatId on the Lead’s Task, and finds the Case by session and by Lead', async () => {
    await start();
    const crm = adapter();
    const lead = fake.seed('Lead', { LastName: 'Lovelace', Company: 'Engines', Phone: '+44 20 7946 0958' });
    const record = await crm.createRecord({ accountId: lead, channel: 'voice', sessionId: 'S-lead', subject: 'Call from a lead' });
    expect(record.id).toMatch(/^500/);
    const tasks = fake.records('Task');
    expect(tasks.filter((t) => t['WhoId'] === lead)).toEqual([expect.objectContaining({ CallObject: 'S-lead' })]);
    expect(tasks.filter((t) => t['WhoId'] === lead && t['WhatId'])).toHaveLength(0);
    expect(tasks.filter((t) => t['WhatId'] === record.id)).toHaveLength(1);
    expect(await crm.findRecord({ sessionId: 'S-lead' })).toMatchObject({ id: record.id, accountId: lead, status: 'open' });
    expect(await crm.findRecord({ accountId: lead })).toMatchObject({ id: record.id });
    expect((await crm.createRecord({ accountId: lead, channel: 'voice', sessionId: 'S-lead', subject: 'again' })).id).toBe(record.id);
    expect(fake.records('Case')).toHaveLength(1);
    await crm.updateRecord(record.id, { status: 'closed', disposition: 'Resolved', durationSeconds: 30 });
    expect(fake.records('Task').filter((t) => t['WhoId'] === lead && t['WhatId'])).toHaveLength(0);
  });

  it('writes a comment longer than 4 000 bytes as numbered parts, once, even when repeated', async () => {
    await start();
    const crm = adapter();
    const record = await crm.createRecord({ channel: 'chat', sessionId: 'S-long', subject: 'Chat' });
    const body = `${'Transcript line ü. '.repeat(400)}end`;
    expect(Buffer.byteLength(body)).toBeGreaterThan(8000);
    const first = await crm.addComment(record.id, { body, idempotencyKey: 'transcript-1' });
    const again = await crm.addComment(record.id, { body, idempotencyKey: 'transcript-1' });
    expect(again).toEqual(first);
    const comments = fake.records('CaseComment').map((c) => String(c['CommentBody']));
    expect(comments.length).toBeGreaterThan(2);
    for (const c of comments) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(4000);
    const rebuilt = comments.map((c) => c.replace(/^\(\d+\/\d+\) /, '').replace(/\n\n\[ccbridge ref:[0-9a-f]{16}\]$/, '')).join('');
    expect(rebuilt).toBe(body);
  });

  it('never cuts a character when splitting, and keeps a short comment whole', () => {
    const parts = splitComment('€'.repeat(3000), 'k');
    for (const p of parts) expect(Buffer.byteLength(p.text)).toBeLessThanOrEqual(4000);
    expect(parts.map((p) => p.text).join('')).not.toContain('\uFFFD');
    expect(splitComment('short', undefined)).toEqual([{ text: 'short', marker: undefined }]);
  });

  it('treats REQUEST_LIMIT_EXCEEDED as the daily limit: a 503 asking for an hour, not retried in seconds', async () => {
    await start({ dailyApiLimit: 1 });
    const crm = adapter({ CRM_RETRY_LIMIT: '3' });
    await crm.findAccount({ email: 'first@example.com' });
    const before = fake.requests.length;
    await expect(crm.findAccount({ email: 'grace@example.com' })).rejects.toMatchObject({
      status: 503,
      retryAfterSeconds: 3600,
      details: { reason: 'daily_api_limit' },
    });
    expect(fake.requests.length - before).toBe(1);
  });

  it('keeps a Contact matched on HomePhone or OtherPhone, reporting the number that matched', async () => {
    await start();
    const home = fake.seed('Contact', { LastName: 'Hopper', Phone: '+1 212 555 0100', HomePhone: '(415) 555-0142' });
    const other = fake.seed('Contact', { LastName: 'Turing', OtherPhone: '+44 20 7946 0001' });
    expect(await adapter().findAccount({ phone: '+14155550142' })).toMatchObject({ id: home, phone: '+14155550142', type: 'Contact' });
    expect(await adapter().findAccount({ phone: '+442079460001' })).toMatchObject({ id: other });
  });

  it('does not search Opportunity by phone by default, and refuses it in SALESFORCE_SEARCH_ORDER', async () => {
    await start();
    expect(parseCrmClientConfig(sfEnv()).SALESFORCE_SEARCH_ORDER).toBe('Contact|Account|Lead');
    expect(() => adapter({ SALESFORCE_SEARCH_ORDER: 'Contact|Opportunity' })).toThrow(ConfigError);
    expect(() => adapter({ SALESFORCE_SEARCH_ORDER: 'Contact|Opportunity' })).toThrow(/Opportunity has no phone field/);
  });

  it('reads every query batch, so a keyed comment past the first 2 000 rows is still found', async () => {
    await start({ queryBatchSize: 2 });
    const crm = adapter();
    const record = await crm.createRecord({ channel: 'chat', sessionId: 'S-many', subject: 'Chat' });
    await crm.addComment(record.id, { body: 'keyed', idempotencyKey: 'k-1' });
    for (let i = 0; i < 5; i++) await crm.addComment(record.id, { body: `later ${i}` });
    await crm.addComment(record.id, { body: 'keyed', idempotencyKey: 'k-1' });
    expect(fake.records('CaseComment').filter((c) => String(c['CommentBody']).startsWith('keyed'))).toHaveLength(1);
  });
});

describe('Salesforce adapter under lost answers', () => {
  it('does not make a second Case when the Case create was applied but its answer lost', async () => {
    await start();
    const crm = adapter({ CRM_RETRY_LIMIT: '0' });
    fake.failures.loseNext({ match: /^POST \/services\/data\/v62\.0\/sobjects\/Case$/ });
    await expect(crm.createRecord({ channel: 'voice', sessionId: 'S-lost-case', subject: 'Call' })).rejects.toMatchObject({ status: 503 });
    expect(fake.records('Case')).toHaveLength(1);
    const record = await crm.createRecord({ channel: 'voice', sessionId: 'S-lost-case', subject: 'Call' });
    expect(fake.records('Case')).toHaveLength(1);
    expect(record.id).toBe(fake.records('Case')[0]!.Id);
    expect(await crm.findRecord({ sessionId: 'S-lost-case' })).toMatchObject({ id: record.id });
  });
});
