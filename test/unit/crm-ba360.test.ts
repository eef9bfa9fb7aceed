/**
 * Be Aware 360 against its local fake: the CCAI Platform sequence through the crm function
 * in real mode (lookups and record create work; the steps Be Aware 360 has no API for answer
 * 501), and the redirect endpoint that obtains a fresh token server-side.
 */
import { type Ba360Fake, startBa360Fake } from '../../local/mocks/crm-fakes/ba360';
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

const CREDS = { user: 'ccbridge', pass: 'ba360-pass-123', company: 'acme', secretkey: 'ba360-secret-key', clientkey: 'ba360-client-key' };
const LINK_SECRET = 'ba360-link-signing-secret-0123';

let fake: Ba360Fake;
let app: CrmUnderTest;
beforeEach(async () => {
  fake = await startBa360Fake({ credentials: CREDS });
  app = await startCrm({ env: ba360Env() });
});
afterEach(async () => {
  await app.stop();
  await fake.stop();
});

function ba360Env(extra: Record<string, string> = {}) {
  return {
    CRM_MODE: 'real',
    CRM_ADMIN_TOKEN: undefined,
    CRM_ADAPTER: 'ba360',
    BA360_API_URL: fake.baseUrl,
    BA360_INSTANCE_URL: fake.baseUrl,
    BA360_USER: CREDS.user,
    BA360_PASSWORD: CREDS.pass,
    BA360_COMPANY: CREDS.company,
    BA360_SECRET_KEY: CREDS.secretkey,
    BA360_CLIENT_KEY: CREDS.clientkey,
    BA360_LINK_SECRET: LINK_SECRET,
    CRM_PUBLIC_URL: 'https://crm.example.test/crm',
    ...extra,
  };
}

const json = (method: string, path: string, body: unknown) =>
  fetch(`${app.url}${path}`, { method, headers: { authorization: basicAuth(), 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('Be Aware 360 adapter', () => {
  it('runs the CCAI Platform sequence: lookups and record create work, the rest is explicitly unsupported', async () => {
    const result = await runCcaipSequence(app.url, { authorization: basicAuth() }, sampleSequence('ccaip-ba-1'));
    expect(result.steps.map((s) => `${s.operation} ${s.status}`)).toEqual([
      'findAccount 200',
      'findRecord 200',
      'createRecord 201',
      'addComment 501',
      'addAttachment 501',
      'wrapUp 501',
    ]);
    expect(result.accountId).toBe('c:+14155550142');
    const created = result.steps.find((s) => s.operation === 'createRecord')!.body as { data: { id: string; url: string; channel: string } };
    expect(created.data.url).toBe(`https://crm.example.test/crm/ba360/open/${created.data.id}`);
    expect(result.steps.at(-1)!.body).toMatchObject({ code: 'not_implemented', message: expect.stringMatching(/Be Aware 360 has no documented API/) });
    // the signed record id is a valid lookup
    expect(await (await json('POST', '/records/search', { id: created.data.id })).json()).toMatchObject({
      found: true,
      data: { sessionId: 'ccaip-ba-1', accountId: 'c:+14155550142' },
    });
  });

  it('redirects a signed link to the integration URL with a fresh token, never the credentials', async () => {
    const created = (await (
      await json('POST', '/records', { accountId: 'c:+14155550142', channel: 'chat', sessionId: 'chat-991', subject: 'Chat' })
    ).json()) as { data: { id: string } };
    const open = async () => {
      const res = await fetch(`${app.url}/ba360/open/${created.data.id}`, { redirect: 'manual' });
      expect(res.status).toBe(302);
      expect(res.headers.get('cache-control')).toBe('no-store');
      return res.headers.get('location')!;
    };
    const location = await open();
    expect(location).toMatch(new RegExp(`^${fake.baseUrl}/integracionview/ccaip/Chat/chat-991/`));
    for (const secret of [CREDS.pass, CREDS.secretkey, CREDS.clientkey, LINK_SECRET]) expect(decodeURIComponent(location)).not.toContain(secret);
    const page = await fetch(location);
    expect(page.status).toBe(200);
    expect(fake.opened).toEqual([
      { platform: 'ccaip', channel: 'Chat', interactionId: 'chat-991', params: { contacto: '+14155550142', empresa: null, caso: null } },
    ]);
    await open();
    // One login serves both visits (the token is cached for BA360_TOKEN_TTL_S).
    expect(fake.tokensIssued).toBe(1);
  });

  it('makes open links expire, reuses the upstream token for its period only, and rate-limits visits', async () => {
    await app.stop();
    let now = Date.parse('2026-03-01T10:00:00Z');
    app = await startCrm({ env: ba360Env({ BA360_LINK_TTL_S: '86400', BA360_TOKEN_TTL_S: '300', BA360_OPEN_RATE_PER_MIN: '3' }), now: () => now });
    const created = (await (await json('POST', '/records', { channel: 'voice', sessionId: 's-exp', subject: 'x' })).json()) as { data: { id: string } };
    const open = async (id = created.data.id, from = '203.0.113.7') =>
      fetch(`${app.url}/ba360/open/${id}`, { redirect: 'manual', headers: { 'x-forwarded-for': from } });
    expect((await open()).status).toBe(302);
    expect((await open()).status).toBe(302);
    expect(fake.tokensIssued).toBe(1);
    now += 301_000;
    expect((await open()).status).toBe(302);
    expect(fake.tokensIssued).toBe(2);
    // The 4th visit within a minute (same link, other addresses) is refused with Retry-After, before any login.
    expect((await open(created.data.id, '198.51.100.1')).status).toBe(302);
    expect((await open(created.data.id, '198.51.100.2')).status).toBe(302);
    const limited = await open(created.data.id, '198.51.100.3');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(fake.tokensIssued).toBe(2);
    // Past its lifetime (rounded up to the hour) the link no longer opens; the record still resolves.
    now += 86_400_000 + 3_600_000;
    const expired = await open();
    expect(expired.status).toBe(404);
    expect(await expired.text()).toMatch(/expired/);
    expect(await (await json('POST', '/records/search', { id: created.data.id })).json()).toMatchObject({ found: true });
    // A link signed before links carried an expiry does not open either.
    const [payload] = created.data.id.split('.');
    const legacy = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    delete legacy['x'];
    expect((await open(`${Buffer.from(JSON.stringify(legacy)).toString('base64url')}.x`)).status).toBe(404);
  });

  it('opens only links it signed, and checks channel and interaction id length', async () => {
    const created = (await (await json('POST', '/records', { channel: 'voice', sessionId: 's-1', subject: 'x' })).json()) as { data: { id: string } };
    const [payload, sig] = created.data.id.split('.');
    const forged = `${Buffer.from(JSON.stringify({ ch: 'Voz', i: 'someone-else' })).toString('base64url')}.${sig}`;
    expect((await fetch(`${app.url}/ba360/open/${forged}`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${app.url}/ba360/open/${payload}`, { redirect: 'manual' })).status).toBe(404);
    expect(fake.tokensIssued).toBe(0);

    const tooLong = await json('POST', '/records', { channel: 'voice', sessionId: 'x'.repeat(121), subject: 'x' });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toMatch(/interaction id must be 1-120 characters/);

    const badChannel = await json('POST', '/ba360/links', { channel: 'Fax', interactionId: 'i-1' });
    expect(badChannel.status).toBe(400);
    expect(await badChannel.text()).toMatch(/channel Fax is not accepted/);
    const link = await json('POST', '/ba360/links', { channel: 'whatsapp', interactionId: 'wa-7', contact: '+5215512345678', case: '210112-000000' });
    expect(link.status).toBe(201);
    const { data } = (await link.json()) as { data: { url: string; id: string } };
    expect(data.url).toBe(`https://crm.example.test/crm/ba360/open/${data.id}`);
    const location = (await fetch(`${app.url}/ba360/open/${data.id}`, { redirect: 'manual' })).headers.get('location')!;
    await fetch(location);
    expect(fake.opened.at(-1)).toEqual({
      platform: 'ccaip',
      channel: 'Whatsapp',
      interactionId: 'wa-7',
      params: { contacto: '+5215512345678', empresa: null, caso: '210112-000000' },
    });
    expect((await fetch(`${app.url}/ba360/links`, { method: 'POST', body: '{}' })).status).toBe(401);
  });

  it('answers 502 when Be Aware 360 refuses the credentials, 503 when it is down', async () => {
    await app.stop();
    app = await startCrm({ env: ba360Env({ BA360_SECRET_KEY: 'not-the-secret-key', CRM_RETRY_LIMIT: '1' }) });
    const created = (await (await json('POST', '/records', { channel: 'voice', sessionId: 's-2', subject: 'x' })).json()) as { data: { id: string } };
    const refused = await fetch(`${app.url}/ba360/open/${created.data.id}`, { redirect: 'manual' });
    expect(refused.status).toBe(502);
    expect(await refused.text()).toMatch(/refused the configured credentials/);
    fake.failures.failNext(503, { message: 'maintenance' }, { times: 5 });
    expect((await fetch(`${app.url}/ba360/open/${created.data.id}`, { redirect: 'manual' })).status).toBe(503);
  });
});
