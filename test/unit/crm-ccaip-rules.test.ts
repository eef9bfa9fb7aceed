/**
 * What CCAI Platform's sequence needs from the crm function whatever CRM is behind it
 * (docs/contracts/ccai-platform.md): an ambiguous lookup answers 2xx by the configured rule and
 * says what it chose (answer, journal, log); an account create repeated after a timeout — or
 * racing the first — does not create a second account.
 */
import { type ServiceNowFake, startServiceNowFake } from '../../local/mocks/crm-fakes/servicenow';
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';

const SN_USER = 'ccbridge.integration';
const SN_PASSWORD = 'sn-password-123';

let fake: ServiceNowFake;
let app: CrmUnderTest;
beforeEach(async () => {
  fake = await startServiceNowFake({ user: SN_USER, password: SN_PASSWORD });
});
afterEach(async () => {
  await app?.stop();
  await fake.stop();
});

const realEnv = (extra: Record<string, string> = {}) => ({
  CRM_MODE: 'real',
  CRM_ADAPTER: 'servicenow',
  SERVICENOW_INSTANCE_URL: fake.baseUrl,
  SERVICENOW_USER: SN_USER,
  SERVICENOW_PASSWORD: SN_PASSWORD,
  CRM_ADMIN_TOKEN: undefined,
  ...extra,
});
const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${app.url}${path}`, {
    method,
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as { found?: boolean; data: Record<string, unknown> | null } };
};
const seedTwins = () => {
  const t = new Map<string, Record<string, string>>();
  t.set('a'.repeat(32), { sys_id: 'a'.repeat(32), last_name: 'Hopper', phone: '+14155550142' });
  t.set('b'.repeat(32), { sys_id: 'b'.repeat(32), last_name: 'Hopper Jr', phone: '(415) 555-0142' });
  fake.tables.set('sys_user', t);
};

describe('CCAI Platform rules in the crm function', () => {
  it('answers an ambiguous lookup 200 with the first candidate and says so in the answer and the log', async () => {
    seedTwins();
    app = await startCrm({ env: realEnv() });
    const res = await call('POST', '/accounts/search', { phone: '+14155550142' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      found: true,
      data: { id: 'a'.repeat(32), resolution: { rule: 'first', candidates: [{ id: 'a'.repeat(32) }, { id: 'b'.repeat(32) }] } },
    });
    const line = app.logs.find((l) => l.includes('crm ambiguous lookup resolved'));
    expect(line).toBeDefined();
    expect(JSON.parse(line!)).toMatchObject({ rule: 'first', chosen: 'a'.repeat(32) });
    // The caller's number is not in the line (its time field is left out: a millisecond of 555 is not a phone).
    const { time: _time, ...fields } = JSON.parse(line!) as Record<string, unknown>;
    expect(JSON.stringify(fields)).not.toContain('4155550142');
    expect(JSON.stringify(fields)).not.toContain('555');
  });

  it('answers "not found" (200) for an ambiguous lookup when CRM_AMBIGUOUS_RULE=none', async () => {
    seedTwins();
    app = await startCrm({ env: realEnv({ CRM_AMBIGUOUS_RULE: 'none' }) });
    expect(await call('POST', '/accounts/search', { phone: '+14155550142' })).toMatchObject({ status: 200, body: { found: false, data: null } });
  });

  it('refuses an unknown ambiguity rule at start, naming the setting', async () => {
    await expect(startCrm({ env: realEnv({ CRM_AMBIGUOUS_RULE: 'newest' }) })).rejects.toThrow(/CRM_AMBIGUOUS_RULE/);
  });

  it('answers the first account to a create repeated after a lost answer, and to creates racing each other', async () => {
    app = await startCrm({ env: realEnv() });
    const first = await call('POST', '/accounts', { name: 'Grace Hopper', phone: '+14155550142' });
    expect(first.status).toBe(201);
    const repeat = await call('POST', '/accounts', { name: 'Grace Hopper', phone: '(415) 555-0142' });
    expect(repeat.body.data?.['id']).toBe(first.body.data?.['id']);
    const byEmail = await Promise.all([1, 2, 3].map(() => call('POST', '/accounts', { name: 'Ada', email: 'ada@example.com' })));
    const ids = new Set(byEmail.filter((r) => r.status < 300).map((r) => r.body.data?.['id']));
    expect(ids.size).toBe(1);
    expect(byEmail.every((r) => r.status < 300 || r.status === 503)).toBe(true);
    expect(fake.rows('sys_user')).toHaveLength(2);
  });

  it('creates again once the window has passed (a new caller with a recycled number)', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    app = await startCrm({ env: realEnv({ CRM_ACCOUNT_CREATE_WINDOW_S: '60' }), now: () => now });
    await call('POST', '/accounts', { phone: '+14155550142' });
    now += 61_000;
    await call('POST', '/accounts', { phone: '+14155550142' });
    expect(fake.rows('sys_user')).toHaveLength(2);
  });

  it('accepts the plausible spellings of the payload variables of the portal (their names are not published)', async () => {
    app = await startCrm({ env: realEnv() });
    const account = await call('POST', '/accounts', { end_user_name: 'Grace Hopper', phone_number: '(415) 555-0142', end_user_email: 'Grace@Example.com' });
    expect(account).toMatchObject({ status: 201, body: { data: { phone: '+14155550142', email: 'grace@example.com' } } });
    const record = await call('POST', '/records', { account_id: account.body.data?.['id'], channel_type: 'voice_call', call_id: 'S-alias', subject: 'Call' });
    expect(record).toMatchObject({ status: 201, body: { data: { sessionId: 'S-alias', accountId: account.body.data?.['id'] } } });
    expect(await call('POST', '/accounts/search', { phoneNumber: '+14155550142', phone: '' })).toMatchObject({ body: { found: true } });
  });
});

describe('one record per session with a real CRM', () => {
  it('makes one incident when the first events of an engagement create its record at once', async () => {
    app = await startCrm({ env: realEnv() });
    const results = await Promise.all([1, 2, 3, 4].map(() => call('POST', '/records', { channel: 'voice', sessionId: 'S-race', subject: 'Call' })));
    expect(results.every((r) => r.status < 300 || r.status === 503)).toBe(true);
    expect(new Set(results.filter((r) => r.status < 300).map((r) => r.body.data?.['id'])).size).toBe(1);
    expect(fake.rows('incident')).toHaveLength(1);
  });
});
