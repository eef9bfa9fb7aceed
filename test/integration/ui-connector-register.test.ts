/**
 * POST /register as the Lightning component calls it: a client-credentials token from the
 * Salesforce stand-in as `Bearer`, no body → a ui-connector token for the agent. Salesforce
 * really answers over HTTP (the stand-in); the ui-connector runs on the Functions Framework.
 */
import { decodeJwt } from 'jose';
import { AGENT_APP, type AgentAssistUnderTest, FOREIGN_APP, ORG_ID_18, startAgentAssist } from '../support/agent-assist-fixture';
import { PROJECT } from '../support/ui-connector-fixture';

let aa: AgentAssistUnderTest;
afterEach(() => aa.stop());

const register = (authorization?: string, init: RequestInit = {}) =>
  fetch(`${aa.url}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(authorization === undefined ? {} : { Authorization: authorization }) },
    ...init,
  });

describe('POST /register (Salesforce Lightning component)', () => {
  beforeEach(async () => {
    aa = await startAgentAssist();
  });

  it('gives a token with register-app claims, the Salesforce user and the agent role to a token of the configured org', async () => {
    const res = await register(`Bearer ${await aa.salesforceToken()}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token } = (await res.json()) as { token: string };
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({
      gcp_agent_assist_project: PROJECT,
      gcp_agent_assist_user: `salesforce:${ORG_ID_18}/${AGENT_APP.userId}`,
      ccbridge_role: 'agent',
    });
    expect(claims.exp! - claims.iat!).toBe(3600);
    // The token opens conversation-name exactly as the component sends it (raw, no Bearer).
    const poll = await fetch(`${aa.url}/conversation-name?conversationIntegrationKey= 14155550100`, { headers: { Authorization: token } });
    expect(poll.status).toBe(404);
  });

  it('matches 15- and 18-character forms of the org id (config 15, Salesforce 18, and 18 vs 18)', async () => {
    expect((await register(`Bearer ${await aa.salesforceToken()}`)).status).toBe(200);
    await aa.stop();
    aa = await startAgentAssist({ env: { SALESFORCE_ORGANIZATION_ID: ORG_ID_18 } });
    expect((await register(`Bearer ${await aa.salesforceToken()}`)).status).toBe(200);
    await aa.stop();
    // Same first 15 characters, different case-safe suffix: not the same org.
    const lookalike = `${ORG_ID_18.slice(0, 15)}${ORG_ID_18.slice(15) === 'AAA' ? 'BBB' : 'AAA'}`;
    aa = await startAgentAssist({ env: { SALESFORCE_ORGANIZATION_ID: lookalike } });
    expect((await register(`Bearer ${await aa.salesforceToken()}`)).status).toBe(401);
  });

  it('refuses a token of another org with 401 {message}', async () => {
    const res = await register(`Bearer ${await aa.salesforceToken(FOREIGN_APP)}`);
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: 'Could not authenticate user' });
  });

  it.each([
    ['no header', undefined],
    ['an empty bearer', 'Bearer '],
    ['Basic credentials', `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a template-string placeholder', 'Bearer undefined'],
    ['a token with a space', 'Bearer abc def'],
  ])('refuses %s with 401 without asking Salesforce', async (_what, header) => {
    const res = await register(header);
    expect(res.status).toBe(401);
    expect(((await res.json()) as { message: string }).message).toBe('Could not authenticate user');
    expect(aa.salesforce.userInfoCalls()).toBe(0);
  });

  it('refuses an unknown, expired or revoked Salesforce token with 401', async () => {
    expect((await register('Bearer 00D5g000004ABcD!not-a-token')).status).toBe(401);
    const token = await aa.salesforceToken();
    aa.salesforce.revoke(token);
    expect((await register(`Bearer ${token}`)).status).toBe(401);
    const expiring = await aa.salesforceToken();
    aa.clock.now = new Date(aa.clock.now.getTime() + 3 * 3600_000);
    expect((await register(`Bearer ${expiring}`)).status).toBe(401);
  });

  it('answers 503 (not 401) when Salesforce fails, and when it answers only after the client timeout', async () => {
    const token = await aa.salesforceToken();
    aa.salesforce.failNext(1, 503);
    const failed = await register(`Bearer ${token}`);
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    await aa.stop();
    aa = await startAgentAssist({ env: { UI_CONNECTOR_SALESFORCE_TIMEOUT_MS: '300' } });
    aa.salesforce.setLatency(5000);
    const slowToken = await aa.salesforceToken();
    // Salesforce would accept the token, 5 s later: a 503 means the 300 ms timeout ended the wait.
    const slow = await register(`Bearer ${slowToken}`);
    expect(slow.status).toBe(503);
    expect(slow.headers.get('retry-after')).toBe('1');
  });

  it('remembers an accepted token briefly: the component reloading costs one Salesforce call; a revoked token stops after the cache window', async () => {
    const token = await aa.salesforceToken();
    for (let i = 0; i < 3; i++) expect((await register(`Bearer ${token}`)).status).toBe(200);
    expect(aa.salesforce.userInfoCalls()).toBe(1);
    aa.salesforce.revoke(token);
    expect((await register(`Bearer ${token}`)).status).toBe(200);
    aa.clock.now = new Date(aa.clock.now.getTime() + 61_000);
    expect((await register(`Bearer ${token}`)).status).toBe(401);
    expect(aa.salesforce.userInfoCalls()).toBe(2);
  });

  it('sends the Salesforce token only in the Authorization header, never in a URL or a log line', async () => {
    const token = await aa.salesforceToken();
    expect((await register(`Bearer ${token}`)).status).toBe(200);
    const call = aa.salesforce.requests.find((r) => r.path === '/services/oauth2/userinfo')!;
    expect(call.query).toBe('');
    expect(call.headers.authorization).toBe(`Bearer ${token}`);
    expect(aa.logs.join('\n')).not.toContain(token.split('!')[1]!);
  });

  it('answers 429 once one source has used its refusals, without asking Salesforce; other sources and genuine agents are not held back', async () => {
    await aa.stop();
    aa = await startAgentAssist({ env: { UI_CONNECTOR_REGISTER_SOURCE_BURST: '3', UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE: '1' } });
    const from = (ip: string, authorization: string) =>
      register(authorization, { headers: { 'Content-Type': 'application/json', Authorization: authorization, 'X-Forwarded-For': ip } });
    const good = `Bearer ${await aa.salesforceToken()}`;
    // Successes never count.
    for (let i = 0; i < 5; i++) expect((await from('203.0.113.7', good)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.7', `Bearer 00D5g000004ABcD!made-up-${i}`)).status).toBe(401);
    const calls = aa.salesforce.userInfoCalls();
    const limited = await from('203.0.113.7', 'Bearer 00D5g000004ABcD!made-up-4');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(aa.salesforce.userInfoCalls()).toBe(calls);
    expect((await from('198.51.100.9', good)).status).toBe(200);
    aa.clock.now = new Date(aa.clock.now.getTime() + 60_000);
    expect((await from('203.0.113.7', good)).status).toBe(200);
  });

  it('refuses everyone when no org is configured', async () => {
    await aa.stop();
    aa = await startAgentAssist({ env: { SALESFORCE_ORGANIZATION_ID: '' } });
    expect((await register(`Bearer ${await aa.salesforceToken()}`)).status).toBe(401);
    expect(aa.salesforce.userInfoCalls()).toBe(0);
  });

  it('answers CORS preflights from the configured Lightning origin', async () => {
    const res = await fetch(`${aa.url}/register`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://acme.lightning.force.com', 'Access-Control-Request-Method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://acme.lightning.force.com');
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization');
  });
});

describe('GET /status', () => {
  it('answers 200 in plain text like the reference health check', async () => {
    aa = await startAgentAssist();
    const res = await fetch(`${aa.url}/status`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect((await res.text()).length).toBeGreaterThan(0);
  });
});
