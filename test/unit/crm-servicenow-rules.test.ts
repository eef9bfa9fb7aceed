/**
 * ServiceNow rules from docs/contracts/servicenow.md: listings page (the fake answers at most a
 * page and a Link header), a lost PATCH is never repeated blindly, files are deduplicated by
 * content and not by name alone, and a record id cannot rewrite an encoded query.
 */
import { randomBytes } from 'node:crypto';
import type { CrmClient } from '../../shared/crm/port';
import { SN_PASSWORD, SN_USER, serviceNowAdapter } from '../support/crm-fakes';
import { type ServiceNowFake, startServiceNowFake } from '../../local/mocks/crm-fakes/servicenow';

let fake: ServiceNowFake;
afterEach(() => fake.stop());

const adapter = (retryLimit = 2): CrmClient => serviceNowAdapter(fake.baseUrl, retryLimit);

const seedUser = (fields: Record<string, string>) => {
  const id = randomBytes(16).toString('hex');
  let t = fake.tables.get('sys_user');
  if (!t) {
    t = new Map();
    fake.tables.set('sys_user', t);
  }
  t.set(id, { sys_id: id, ...fields });
  return id;
};

describe('ServiceNow fake enforces the Table API paging rules', () => {
  it('answers at most one page, with X-Total-Count and a rel="next" link while rows remain', async () => {
    fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD, maxPageSize: 4 });
    for (let i = 0; i < 10; i++) seedUser({ last_name: `U${i}` });
    const auth = `Basic ${Buffer.from(`${SN_USER}:${SN_PASSWORD}`).toString('base64')}`;
    const res = await fetch(`${fake.baseUrl}/api/now/table/sys_user?sysparm_limit=100`, { headers: { authorization: auth } });
    const body = (await res.json()) as { result: unknown[] };
    expect(body.result).toHaveLength(4);
    expect(res.headers.get('x-total-count')).toBe('10');
    expect(res.headers.get('link')).toMatch(/sysparm_offset=4[^>]*>;rel="next"/);
    const last = await fetch(`${fake.baseUrl}/api/now/table/sys_user?sysparm_limit=4&sysparm_offset=8`, { headers: { authorization: auth } });
    expect(((await last.json()) as { result: unknown[] }).result).toHaveLength(2);
    expect(last.headers.get('link')).not.toMatch(/rel="next"/);
  });
});

describe('ServiceNow adapter obeys the documented rules', () => {
  it('pages through every user sharing the last digits, so a caller past the first 200 is found (no duplicate sys_user)', async () => {
    fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD });
    for (let i = 0; i < 240; i++)
      seedUser({ last_name: `Other ${i}`, phone: `+1 (212) 555-${String(1000 + i).slice(-3)}0142`.replace(/-(\d)(\d\d)0142$/, '-0142') });
    const caller = seedUser({ last_name: 'Hopper', phone: '(415) 555-0142' });
    expect(fake.rows('sys_user').filter((r) => (r['phone'] ?? '').endsWith('0142'))).toHaveLength(241);
    const found = await adapter().findAccount({ phone: '+14155550142' });
    expect(found?.id).toBe(caller);
    const pages = fake.requests.filter((r) => r.path === '/api/now/table/sys_user');
    expect(pages.length).toBeGreaterThan(2);
  });

  it('does not repeat a work-note PATCH whose response was lost: the marker is found and the note is written once', async () => {
    fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD });
    const crm = adapter(2);
    const record = await crm.createRecord({ channel: 'voice', sessionId: 'S-lost', subject: 'Call' });
    fake.failures.loseNext({ match: /^PATCH \/api\/now\/table\/incident\// });
    const note = await crm.addComment(record.id, { body: 'Caller disputes invoice', idempotencyKey: 'note-1' });
    const notes = fake.rows('sys_journal_field').filter((r) => r['element_id'] === record.id);
    expect(notes).toHaveLength(1);
    expect(note.id).toBe(notes[0]!['sys_id']);
    expect(fake.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);
  });

  it('keeps two different files of the same name, and writes a file whose upload answer was lost once', async () => {
    fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD });
    const crm = adapter(2);
    const record = await crm.createRecord({ channel: 'voice', sessionId: 'S-files', subject: 'Call' });
    const a = await crm.addAttachment(record.id, {
      fileName: 'recording.mp3',
      contentType: 'audio/mpeg',
      content: Buffer.from('first call leg'),
      idempotencyKey: 'leg-1',
    });
    const b = await crm.addAttachment(record.id, {
      fileName: 'recording.mp3',
      contentType: 'audio/mpeg',
      content: Buffer.from('second call leg!'),
      idempotencyKey: 'leg-2',
    });
    expect(b.id).not.toBe(a.id);
    expect(fake.rows('sys_attachment')).toHaveLength(2);

    fake.failures.loseNext({ match: /^POST \/api\/now\/attachment\/file/ });
    const c = await crm.addAttachment(record.id, {
      fileName: 'transcript.txt',
      contentType: 'text/plain',
      content: Buffer.from('hello'),
      idempotencyKey: 'tr-1',
    });
    const again = await crm.addAttachment(record.id, {
      fileName: 'transcript.txt',
      contentType: 'text/plain',
      content: Buffer.from('hello'),
      idempotencyKey: 'tr-1',
    });
    expect(again).toEqual(c);
    expect(fake.rows('sys_attachment').filter((r) => r['file_name'] === 'transcript.txt')).toHaveLength(1);
  });

  it('refuses a record id that is not a sys_id before it reaches an encoded query (^NQ cannot widen the query)', async () => {
    fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD });
    const crm = adapter();
    const other = await crm.createRecord({ channel: 'voice', sessionId: 'S-other', subject: 'Someone else' });
    await crm.addComment(other.id, { body: 'private note', idempotencyKey: 'shared-key' });
    const hostile = `${'0'.repeat(32)}^NQelement=work_notes`;
    await expect(crm.addComment(hostile, { body: 'x', idempotencyKey: 'shared-key' })).rejects.toMatchObject({ status: 404 });
    await expect(
      crm.addAttachment(hostile, { fileName: 'f', contentType: 'text/plain', content: Buffer.from('x'), idempotencyKey: 'k' }),
    ).rejects.toMatchObject({ status: 404 });
    await expect(crm.updateRecord(hostile, { notes: 'x' })).rejects.toMatchObject({ status: 404 });
    expect(fake.requests.some((r) => decodeURIComponent(r.query).includes('^NQ'))).toBe(false);
  });
});
