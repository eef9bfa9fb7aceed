/**
 * Zendesk rules from docs/contracts/zendesk.md, each proven twice: the fake refuses what Zendesk
 * refuses (exact phone format, indexing delay, assignee on solve, page sizes) and the adapter
 * copes (wildcard phone search, remembered creates, assignee set on solve, every page read,
 * notes never repeated blindly).
 */
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { silentLogger } from '../support/doubles/silent-logger';
import { phoneMatches, startZendeskFake, type ZendeskFake, type ZendeskFakeOptions } from '../../local/mocks/crm-fakes/zendesk';

const EMAIL = 'integration@example.com';
const TOKEN = 'zd-api-token-0123456789abcdef';
const AUTH = `Basic ${Buffer.from(`${EMAIL}/token:${TOKEN}`).toString('base64')}`;

let fake: ZendeskFake;
let clock = Date.parse('2026-03-01T10:00:00Z');
const start = async (extra: Partial<ZendeskFakeOptions> = {}) => {
  fake = await startZendeskFake({ email: EMAIL, apiToken: TOKEN, now: () => clock, ...extra });
};
afterEach(() => fake?.stop());

const adapter = (extra: Record<string, string> = {}): CrmClient =>
  createCrmClient(
    parseCrmClientConfig({
      CRM_ADAPTER: 'zendesk',
      ZENDESK_BASE_URL: fake.baseUrl,
      ZENDESK_EMAIL: EMAIL,
      ZENDESK_API_TOKEN: TOKEN,
      CRM_RETRY_LIMIT: '2',
      ...extra,
    }),
    {
      log: silentLogger,
      now: () => clock,
    },
  );

const get = async (path: string) => (await (await fetch(`${fake.baseUrl}${path}`, { headers: { authorization: AUTH } })).json()) as Record<string, unknown>;
const put = async (path: string, body: unknown) => {
  const res = await fetch(`${fake.baseUrl}${path}`, {
    method: 'PUT',
    headers: { authorization: AUTH, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};
const seedUser = (phone: string, createdMs = clock - 3_600_000) => {
  const id = 5000 + fake.users.size;
  fake.users.set(id, { id, name: `User ${id}`, email: null, phone, external_id: null, role: 'end-user', created_ms: createdMs });
  return id;
};

describe('Zendesk fake refuses what Zendesk refuses', () => {
  beforeEach(() => start({ pageSize: 2 }));

  it('matches a phone search on the stored format only, unless the term starts with *', () => {
    expect(phoneMatches('(415) 555-0142', '14155550142')).toBe(false);
    expect(phoneMatches('(415) 555-0142', '4155550142')).toBe(false);
    expect(phoneMatches('(415) 555-0142', '*4155550142')).toBe(true);
    expect(phoneMatches('+14155550142', '14155550142')).toBe(true);
    expect(phoneMatches('+14155550142', '+14155550142')).toBe(false);
  });

  it('keeps a new user out of search results until the indexing delay has passed', async () => {
    const res = await fetch(`${fake.baseUrl}/api/v2/users.json`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { name: 'New', phone: '+14155550199' } }),
    });
    expect(res.status).toBe(201);
    const query = encodeURIComponent('type:user role:end-user phone:*4155550199');
    expect((await get(`/api/v2/search.json?query=${query}`))['results']).toEqual([]);
    clock += 121_000;
    expect((await get(`/api/v2/search.json?query=${query}`))['results']).toHaveLength(1);
  });

  it('refuses to solve a ticket without an assignee (422), and pages listings with has_more and links.next', async () => {
    const created = await fetch(`${fake.baseUrl}/api/v2/tickets.json`, {
      method: 'POST',
      headers: { authorization: AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ ticket: { subject: 's', comment: { body: 'b' } } }),
    });
    const ticket = ((await created.json()) as { ticket: { id: number } }).ticket;
    expect(await put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'solved' } })).toMatchObject({
      status: 422,
      body: { error: 'RecordInvalid', details: { assignee: [{}] } },
    });
    for (let i = 0; i < 3; i++) await put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { comment: { body: `c${i}`, public: false } } });
    const first = await get(`/api/v2/tickets/${ticket.id}/comments.json?page[size]=100`);
    expect(first['comments']).toHaveLength(2);
    expect(first['meta']).toMatchObject({ has_more: true });
    expect(String((first['links'] as { next: string }).next)).toContain('page%5Bafter%5D=2');
    expect(await put(`/api/v2/tickets/${ticket.id}.json`, { ticket: { status: 'solved', assignee_id: 1 } })).toMatchObject({ status: 200 });
  });
});

describe('Zendesk adapter obeys the documented rules', () => {
  it('finds a caller whose number is stored in national format (wildcard search), instead of creating a duplicate', async () => {
    await start();
    const id = seedUser('(415) 555-0142');
    expect(await adapter().findAccount({ phone: '+14155550142' })).toMatchObject({ id: String(id), phone: '+14155550142' });
  });

  it('finds a caller it created minutes ago, before the search index has them', async () => {
    await start();
    const crm = adapter();
    expect(await crm.findAccount({ phone: '+14155550177' })).toBeUndefined();
    const created = await crm.createAccount({ phone: '+14155550177', email: 'new@example.com', name: 'New Caller' });
    clock += 30_000;
    expect(await crm.findAccount({ phone: '+14155550177' })).toMatchObject({ id: created.id });
    expect(await crm.findAccount({ email: 'new@example.com' })).toMatchObject({ id: created.id });
    clock += 300_000;
    expect(await crm.findAccount({ phone: '+14155550177' })).toMatchObject({ id: created.id });
    expect(fake.users.size).toBe(1);
  });

  it('assigns an unassigned ticket when solving it (the API user by default)', async () => {
    await start();
    const crm = adapter();
    const record = await crm.createRecord({ channel: 'voice', sessionId: 'S-solve', subject: 'Call' });
    const closed = await crm.updateRecord(record.id, { status: 'closed', disposition: 'Resolved' });
    expect(closed.status).toBe('closed');
    expect(fake.tickets.get(Number(record.id))).toMatchObject({ status: 'solved', assignee_id: 1 });
  });

  it('reads every page of comments, so a keyed note is not written twice on a busy ticket', async () => {
    await start({ pageSize: 2 });
    const crm = adapter();
    const record = await crm.createRecord({ channel: 'chat', sessionId: 'S-busy', subject: 'Chat' });
    await crm.addComment(record.id, { body: 'keyed note', idempotencyKey: 'k-1' });
    for (let i = 0; i < 5; i++) await crm.addComment(record.id, { body: `later ${i}` });
    await crm.addComment(record.id, { body: 'keyed note', idempotencyKey: 'k-1' });
    expect(fake.tickets.get(Number(record.id))!.comments.filter((c) => c.body.startsWith('keyed note'))).toHaveLength(1);
  });

  it('does not repeat a note whose response was lost: the marker is found first', async () => {
    await start();
    const crm = adapter();
    const record = await crm.createRecord({ channel: 'chat', sessionId: 'S-lost', subject: 'Chat' });
    fake.failures.loseNext({ match: /^PUT \/api\/v2\/tickets\// });
    await crm.addComment(record.id, { body: 'once only', idempotencyKey: 'k-lost' });
    expect(fake.tickets.get(Number(record.id))!.comments.filter((c) => c.body.startsWith('once only'))).toHaveLength(1);
  });
});
