/**
 * The Salesforce identity stand-in refuses what Salesforce refuses (docs/contracts/agent-assist.md):
 * a grant other than client_credentials, a wrong consumer secret, a userinfo call without a
 * live token — so a client bug cannot hide behind it.
 */
import { caseSafeId, type SalesforceIdentityMock, startSalesforceIdentityMock } from '../../local/mocks/salesforce-identity';

const APP = {
  consumerKey: 'key-1',
  consumerSecret: 'secret-1-0123456789',
  organizationId: caseSafeId('00D5g000004ABcD'),
  userId: caseSafeId('0055g00000AbCdE'),
  username: 'u@acme.example',
};
let sf: SalesforceIdentityMock;
let now = 1_000_000;
beforeEach(async () => {
  sf = await startSalesforceIdentityMock({ apps: [APP], now: () => now, tokenTtlSeconds: 60 });
});
afterEach(() => sf.stop());

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

it('issues a Bearer token for the documented form POST and for the component query-string call', async () => {
  const posted = await fetch(
    `${sf.baseUrl}/services/oauth2/token`,
    form({ grant_type: 'client_credentials', client_id: 'key-1', client_secret: 'secret-1-0123456789' }),
  );
  expect(posted.status).toBe(200);
  expect(await posted.json()).toMatchObject({ token_type: 'Bearer', instance_url: sf.baseUrl, id: `${sf.baseUrl}/id/${APP.organizationId}/${APP.userId}` });
  const query = new URLSearchParams({ grant_type: 'client_credentials', client_id: 'key-1', client_secret: 'secret-1-0123456789' });
  expect((await fetch(`${sf.baseUrl}/services/oauth2/token?${query}`)).status).toBe(200);
});

it.each([
  ['another grant type', { grant_type: 'password', client_id: 'key-1', client_secret: 'secret-1-0123456789' }, 'unsupported_grant_type'],
  ['a wrong secret', { grant_type: 'client_credentials', client_id: 'key-1', client_secret: 'nope' }, 'invalid_client'],
  ['an unknown consumer key', { grant_type: 'client_credentials', client_id: 'key-2', client_secret: 'secret-1-0123456789' }, 'invalid_client'],
])('refuses %s with 400 and an OAuth error', async (_what, fields, error) => {
  const res = await fetch(`${sf.baseUrl}/services/oauth2/token`, form(fields));
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ error });
});

it('answers userinfo for a live token only (Bearer header or oauth_token), with the 18-character org id', async () => {
  const res = await fetch(
    `${sf.baseUrl}/services/oauth2/token`,
    form({ grant_type: 'client_credentials', client_id: 'key-1', client_secret: 'secret-1-0123456789' }),
  );
  const { access_token: token } = (await res.json()) as { access_token: string };
  const info = await fetch(`${sf.baseUrl}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  expect(info.status).toBe(200);
  expect(await info.json()).toMatchObject({ organization_id: APP.organizationId, user_id: APP.userId });
  expect((await fetch(`${sf.baseUrl}/services/oauth2/userinfo?oauth_token=${encodeURIComponent(token)}`)).status).toBe(200);
  expect((await fetch(`${sf.baseUrl}/services/oauth2/userinfo`)).status).toBe(403);
  now += 61_000;
  expect((await fetch(`${sf.baseUrl}/services/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
});

it('makes 18-character ids whose suffix encodes the capitals of the 15', () => {
  expect(caseSafeId('000000000000000')).toBe('000000000000000AAA');
  expect(caseSafeId('A00000000000000')).toBe('A00000000000000BAA');
  expect(caseSafeId('0000A0000000000')).toBe('0000A0000000000QAA');
  expect(caseSafeId('00000000000000Z')).toBe('00000000000000ZAAQ');
});
