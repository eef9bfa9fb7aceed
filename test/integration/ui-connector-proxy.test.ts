/**
 * The Dialogflow proxy as the UI modules use it (`custom-api-endpoint` = ui-connector, raw
 * JWT in Authorization), forwarded over real HTTP to the Dialogflow stand-in. Nothing
 * reaches Dialogflow unless the token, the route and the project are right.
 */
import { type DialogflowMock, startDialogflowMock } from '../../local/mocks/dialogflow';
import { dialogflowEndpoint, resolveProxyTarget } from '../../functions/ui-connector/proxy';
import { type AgentAssistUnderTest, startAgentAssist } from '../support/agent-assist-fixture';
import { issuedToken, PROJECT } from '../support/ui-connector-fixture';

let df: DialogflowMock;
let aa: AgentAssistUnderTest;
let token: string;
beforeEach(async () => {
  df = await startDialogflowMock({ projectId: PROJECT });
  aa = await startAgentAssist({ dialogflowUrl: df.baseUrl });
  token = await aa.agentToken();
});
afterEach(async () => {
  await aa.stop();
  await df.stop();
});

const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  fetch(`${aa.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: token, ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
const upstreamCalls = () => df.requests.filter((r) => r.path.startsWith('/v2')).length;

describe('Dialogflow proxy', () => {
  it('forwards the UI modules calls (create, get, participants, analyzeContent, complete) and passes status and JSON back', async () => {
    const created = await call('POST', `/v2beta1/projects/${PROJECT}/locations/global/conversations?conversationId=CA42`, {
      conversationProfile: df.defaultProfile,
    });
    expect(created.status).toBe(200);
    const conversation = (await created.json()) as { name: string; lifecycleState: string };
    expect(conversation).toMatchObject({ name: `projects/${PROJECT}/locations/global/conversations/CA42`, lifecycleState: 'IN_PROGRESS' });
    // Exactly the component's read: GET {endpoint}/v2/<conversationName>.
    const read = await call('GET', `/v2/${conversation.name}`);
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-control')).toBe('no-store');
    const participant = (await (await call('POST', `/v2beta1/${conversation.name}/participants`, { role: 'END_USER' })).json()) as { name: string };
    const analyzed = await call('POST', `/v2beta1/${participant.name}:analyzeContent`, {
      textInput: { text: 'my card was charged twice', languageCode: 'en-US' },
    });
    expect(analyzed.status).toBe(200);
    expect(await analyzed.json()).toMatchObject({ message: { content: 'my card was charged twice', participantRole: 'END_USER' } });
    const listed = (await (await call('GET', `/v2beta1/${conversation.name}/participants`)).json()) as { participants: unknown[] };
    expect(listed.participants).toHaveLength(1);
    expect((await call('POST', `/v2beta1/${conversation.name}:complete`)).status).toBe(200);
    expect(((await (await call('GET', `/v2/${conversation.name}`)).json()) as { lifecycleState: string }).lifecycleState).toBe('COMPLETED');
  });

  it('serves conversation names without a location (what Studio seeds) as the global location', async () => {
    await call('POST', `/v2beta1/projects/${PROJECT}/conversations?conversationId=TW-CA1`, { conversationProfile: df.defaultProfile });
    const read = await call('GET', `/v2/projects/${PROJECT}/conversations/TW-CA1`);
    expect(read.status).toBe(200);
  });

  it('passes Dialogflow errors through with their status and body', async () => {
    const res = await call('GET', `/v2/projects/${PROJECT}/locations/global/conversations/nope`);
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { status: 'NOT_FOUND' } });
    const patched = await call('PATCH', `/v2beta1/projects/${PROJECT}/locations/global/answerRecords/ar1?updateMask=answerFeedback`, {
      answerFeedback: { clicked: true },
    });
    expect(patched.status).toBe(404);
    expect(df.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/answerRecords/ar1') && r.query === '?updateMask=answerFeedback')).toBe(true);
  });

  it('sends nothing to Dialogflow without a valid token (401)', async () => {
    for (const auth of ['', 'not-a-jwt', `${token}x`]) {
      const res = await call('GET', `/v2/projects/${PROJECT}/locations/global/conversations/c1`, undefined, { Authorization: auth });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { message: string }).message.length).toBeGreaterThan(0);
    }
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses a register-app (twilio role) token with 403 and sends nothing', async () => {
    const res = await call('GET', `/v2/projects/${PROJECT}/locations/global/conversations/c1`, undefined, { Authorization: await issuedToken('twilio') });
    expect(res.status).toBe(403);
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses another project with 403 and sends nothing', async () => {
    const res = await call('GET', `/v2/projects/someone-else/locations/global/conversations/c1`);
    expect(res.status).toBe(403);
    expect((await call('POST', `/v2beta1/projects/someone-else/locations/us/suggestions:searchKnowledge`, { query: { text: 'x' } })).status).toBe(403);
    expect(upstreamCalls()).toBe(0);
  });

  it.each([
    ['DELETE', `/v2/projects/${PROJECT}/locations/global/conversations/c1`],
    ['GET', `/v2/projects/${PROJECT}/locations/global/agent`],
    ['GET', `/v2/projects/${PROJECT}/locations/global/answerRecords`],
    ['POST', `/v2/projects/${PROJECT}/locations/global/conversationProfiles/p1`],
    ['PATCH', `/v2/projects/${PROJECT}/locations/global/conversationProfiles/p1`],
    ['GET', `/v2/projects/${PROJECT}/locations/global/conversations`],
    ['GET', `/v3/projects/${PROJECT}/locations/global/conversations/c1`],
    ['GET', `/v2/projects/${PROJECT}/locations/global/conversations/..%2F..%2Fagent`],
    ['GET', `/v2/projects/${PROJECT}/locations/GLOBAL/conversations/c1`],
  ])('refuses %s %s (not a proxied route) and sends nothing', async (method, path) => {
    const res = await call(method, path);
    expect([400, 404, 405]).toContain(res.status);
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses a body that is not a JSON object with 400 and sends nothing', async () => {
    const res = await call('POST', `/v2beta1/projects/${PROJECT}/locations/global/conversations`, 'conversationProfile=x', { 'Content-Type': 'text/plain' });
    expect(res.status).toBe(400);
    expect(upstreamCalls()).toBe(0);
  });

  it('lets the Lightning origin PATCH (CORS preflight)', async () => {
    const res = await fetch(`${aa.url}/v2beta1/projects/${PROJECT}/locations/global/answerRecords/ar1`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'https://acme.lightning.force.com',
        'Access-Control-Request-Method': 'PATCH',
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-allow-origin')).toBe('https://acme.lightning.force.com');
  });

  it('never forwards the agent token to Dialogflow: no request it received carries it, in any header or the URL', async () => {
    const before = df.requests.length;
    await call('GET', `/v2/projects/${PROJECT}/locations/global/conversations/c1`);
    await call('POST', `/v2/projects/${PROJECT}/locations/global/conversations/c1/participants/a1:analyzeContent`, { textInput: { text: 'hello' } });
    const sent = df.requests.slice(before);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const secretPart = token
      .replace(/^Bearer\s+/i, '')
      .split('.')
      .at(-1)!;
    for (const r of df.requests) {
      const seen = [r.path, r.query, JSON.stringify(r.headers)].join('\n');
      expect({ path: r.path, carriesToken: seen.includes(secretPart) }).toEqual({ path: r.path, carriesToken: false });
      expect(r.headers.authorization).toBeUndefined();
    }
  });
});

describe('proxy routing', () => {
  it('picks the regional endpoint from the location', () => {
    expect(dialogflowEndpoint('global')).toBe('https://dialogflow.googleapis.com');
    expect(dialogflowEndpoint(undefined)).toBe('https://dialogflow.googleapis.com');
    expect(dialogflowEndpoint('europe-west1')).toBe('https://europe-west1-dialogflow.googleapis.com');
  });

  it.each([
    ['GET', '/v2/projects/p/locations/us-central1/conversationModels/m1'],
    ['GET', '/v2beta1/projects/p/locations/global/generators/g1'],
    ['POST', '/v2beta1/projects/p/locations/global/statelessSuggestion:generate'],
    ['POST', '/v2/projects/p/locations/global/conversations/c1/participants/a1/suggestions:suggestArticles'],
    ['POST', '/v2/projects/p/locations/global/conversations/c1/messages:batchCreate'],
    ['PATCH', '/v2/projects/p/locations/global/conversations/c1/participants/a1'],
  ] as const)('passes %s %s', (method, path) => {
    expect(resolveProxyTarget(method, path, 'p').upstreamPath).toBe(path);
  });
});
