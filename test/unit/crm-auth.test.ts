/**
 * Every authentication variant CCAI Platform's Generic API offers, against the crm function:
 * Basic, OAuth 2.0 client credentials (tokens issued by the function), a custom API-key
 * header; wrong or missing credentials are 401 with a challenge and write nothing.
 */
import { decodeJwt } from 'jose';
import { ConfigError } from '../../shared/config';
import { adminHeaders, basicAuth, CRM_API_KEY, CRM_CLIENT_ID, CRM_CLIENT_SECRET, type CrmUnderTest, crmEnv, startCrm } from '../support/crm-harness';
import { composeCrm } from '../../functions/crm/compose';

let app: CrmUnderTest;
afterEach(() => app?.stop());

const createAccount = (headers: Record<string, string>) =>
  fetch(`${app.url}/accounts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ phone: '+14155550100' }),
  });

const token = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });

describe('crm authentication', () => {
  beforeEach(async () => {
    app = await startCrm();
  });

  it('accepts Basic with the configured user and password', async () => {
    expect((await createAccount({ authorization: basicAuth() })).status).toBe(201);
  });

  it('accepts the API key in the configured custom header', async () => {
    expect((await createAccount({ 'x-api-key': CRM_API_KEY })).status).toBe(201);
  });

  it('issues client-credentials tokens (Basic or form client auth) and accepts them as Bearer', async () => {
    const viaBasic = await token('grant_type=client_credentials', {
      authorization: `Basic ${Buffer.from(`${CRM_CLIENT_ID}:${CRM_CLIENT_SECRET}`).toString('base64')}`,
    });
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.headers.get('cache-control')).toBe('no-store');
    const issued = (await viaBasic.json()) as { access_token: string; token_type: string; expires_in: number };
    expect(issued).toMatchObject({ token_type: 'Bearer', expires_in: 3600 });
    expect(decodeJwt(issued.access_token)).toMatchObject({ sub: CRM_CLIENT_ID, iss: 'ccbridge-crm' });
    expect((await createAccount({ authorization: `Bearer ${issued.access_token}` })).status).toBe(201);

    const viaForm = await token(`grant_type=client_credentials&client_id=${CRM_CLIENT_ID}&client_secret=${CRM_CLIENT_SECRET}`);
    expect(viaForm.status).toBe(200);
  });

  it('answers token-endpoint failures in the OAuth error shape', async () => {
    const wrongSecret = await token(`grant_type=client_credentials&client_id=${CRM_CLIENT_ID}&client_secret=nope`);
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toEqual({ error: 'invalid_client', error_description: 'client authentication failed' });
    const wrongGrant = await token(`grant_type=password&client_id=${CRM_CLIENT_ID}&client_secret=${CRM_CLIENT_SECRET}`);
    expect(wrongGrant.status).toBe(400);
    expect(await wrongGrant.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it.each([
    ['no credentials', {}],
    ['a wrong password', { authorization: basicAuth('ccaip', 'wrong-password') }],
    ['a wrong user', { authorization: basicAuth('someone', 'test-crm-password') }],
    ['a wrong API key', { 'x-api-key': 'wrong-key-0123456789' }],
    ['a forged bearer token', { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjY2FpcC1jbGllbnQifQ.c2lnbmF0dXJl' }],
    ['the admin token', adminHeaders],
  ])('refuses %s with 401, a challenge, and nothing written', async (_what, headers: Record<string, string>) => {
    const res = await createAccount(headers);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Basic realm="ccbridge-crm"');
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(await res.json()).toMatchObject({ code: 'unauthenticated' });
    expect(app.data()['crmMockAccounts']).toBe(0);
  });

  it('keeps admin endpoints behind the admin token, not the CCAI Platform credentials', async () => {
    expect((await fetch(`${app.url}/admin/journal`, { headers: { authorization: basicAuth() } })).status).toBe(401);
    expect((await fetch(`${app.url}/admin/journal`, { headers: adminHeaders })).status).toBe(200);
    expect((await fetch(`${app.url}/admin/journal`, { headers: { 'x-admin-token': 'test-crm-admin-token-0123' } })).status).toBe(200);
  });
});

describe('crm authentication settings', () => {
  it('rejects tokens once they expire', async () => {
    let clock = Date.parse('2026-11-20T10:00:00Z');
    app = await startCrm({ env: { CRM_OAUTH_TOKEN_TTL_SECONDS: '60' }, now: () => clock });
    const res = await token(`grant_type=client_credentials&client_id=${CRM_CLIENT_ID}&client_secret=${CRM_CLIENT_SECRET}`);
    const { access_token, expires_in } = (await res.json()) as { access_token: string; expires_in: number };
    expect(expires_in).toBe(60);
    clock += 59_000;
    expect((await createAccount({ authorization: `Bearer ${access_token}` })).status).toBe(201);
    clock += 2_000;
    expect((await createAccount({ authorization: `Bearer ${access_token}` })).status).toBe(401);
  });

  it('enables only the configured methods', async () => {
    app = await startCrm({ env: { CRM_AUTH_METHODS: 'header' } });
    expect((await createAccount({ authorization: basicAuth() })).status).toBe(401);
    expect((await createAccount({ 'x-api-key': CRM_API_KEY })).status).toBe(201);
    expect((await token(`grant_type=client_credentials&client_id=${CRM_CLIENT_ID}&client_secret=${CRM_CLIENT_SECRET}`)).status).toBe(400);
  });

  it('uses a custom header name when configured', async () => {
    app = await startCrm({ env: { CRM_AUTH_METHODS: 'header', CRM_API_KEY_HEADER: 'X-CCAIP-Key' } });
    expect((await createAccount({ 'x-api-key': CRM_API_KEY })).status).toBe(401);
    expect((await createAccount({ 'x-ccaip-key': CRM_API_KEY })).status).toBe(201);
  });

  it('fails fast listing every missing credential of the enabled methods', () => {
    const env = crmEnv({ CRM_BASIC_PASSWORD: undefined, CRM_OAUTH_CLIENT_SECRET: undefined, CRM_API_KEY: undefined, CRM_ADMIN_TOKEN: undefined });
    let error: unknown;
    try {
      composeCrm(env);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'CRM_BASIC_PASSWORD: required when CRM_AUTH_METHODS includes basic',
      'CRM_OAUTH_CLIENT_SECRET: required when CRM_AUTH_METHODS includes oauth',
      'CRM_API_KEY: required when CRM_AUTH_METHODS includes header',
      'CRM_ADMIN_TOKEN: required in mock mode (journal, faults and reset are behind it)',
    ]);
  });
});
