/**
 * ui-connector over HTTP on the Functions Framework, replaying what the reference's clients
 * send byte for byte: the Twilio Function (raw token, JSON), the Lightning component
 * (GET/DELETE polling with an unencoded "+"), Studio's Make HTTP Request widget (signed,
 * form or JSON with bodySHA256). Ports are in memory, so "nothing written" is checkable.
 */
import { decodeJwt } from 'jose';
import { ConfigError } from '../../shared/config';
import { composeUiConnector } from '../../functions/ui-connector/compose';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  baseEnv,
  issuedToken,
  OTHER_ACCOUNT_SID,
  PUBLIC_URL,
  signedJsonRequest,
  startUiConnector,
  twilioSignature,
  type UiConnectorUnderTest,
} from '../support/ui-connector-fixture';

const CONVERSATION = 'projects/ccbridge-test/locations/global/conversations/CA0123456789abcdef0123456789abcdef';
const PHONE = '+14155550100';

/** The settings an operator keeps while the reference's unsigned Twilio Function and component are still in use. */
const REFERENCE_COMPATIBLE = { UI_CONNECTOR_UNSIGNED_REQUESTS: 'accept', UI_CONNECTOR_AGENT_MAY_DELETE: 'true' };

let app: UiConnectorUnderTest;
beforeEach(async () => {
  app = await startUiConnector(REFERENCE_COMPATIBLE);
});
afterEach(() => app.stop());

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

async function registerApp(): Promise<string> {
  const res = await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }));
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** Exactly what the reference ui-connector-auth.js sends. */
const twilioFunctionRequest = (token: string, phone: string, conversationName: string) =>
  fetch(`${app.url}/conversation-name`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `${token}` },
    body: JSON.stringify({ conversationIntegrationKey: `${phone}`, conversationName: `${conversationName}` }),
  });

/** Exactly what the Lightning component's fetchConversationName / deleteConversationName send. */
const lightningRequest = async (method: 'GET' | 'DELETE', token: string | undefined, key: string, origin = 'https://acme.lightning.force.com') =>
  fetch(`${app.url}/conversation-name?conversationIntegrationKey=${key}`, {
    method,
    headers: { 'Content-Type': 'application/json', Authorization: `${token ?? (await issuedToken('agent'))}`, Origin: origin },
  });

const nothingWritten = () => {
  expect(app.docs.dump('conversations')).toEqual({});
  expect(app.bus.published).toEqual([]);
};

describe('POST /register-app', () => {
  test('a valid pair gets a 60-minute HS256 token with the reference claims plus iat', async () => {
    const token = await registerApp();
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ gcp_agent_assist_project: 'ccbridge-test', gcp_agent_assist_user: `twilio:${ACCOUNT_SID}` });
    expect(claims.exp! - claims.iat!).toBe(3600);
    expect(app.logs.join('\n')).not.toContain(AUTH_TOKEN);
  });

  test("Studio's default form body, signed, is accepted", async () => {
    const params = { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN };
    const res = await fetch(`${app.url}/register-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/register-app`, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ token: expect.any(String) });
  });

  test('a wrong token is a 401; an unconfigured account is a 401 without asking Twilio', async () => {
    const wrong = await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: 'wrong-token-wrong-token-wrong-tok' }));
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toMatchObject({ message: 'Could not authenticate user' });
    const other = await fetch(`${app.url}/register-app`, json({ accountSid: OTHER_ACCOUNT_SID, authToken: AUTH_TOKEN }));
    expect(other.status).toBe(401);
    expect(app.accountChecks.map((c) => c.sid)).toEqual([ACCOUNT_SID]);
  });

  test('a verified pair is cached briefly: a burst costs one Twilio request', async () => {
    await Promise.all([registerApp(), registerApp(), registerApp()]);
    await registerApp();
    expect(app.accountChecks).toHaveLength(1);
    app.clock.now = new Date(app.clock.now.getTime() + 61_000);
    await registerApp();
    expect(app.accountChecks).toHaveLength(2);
  });

  test('Twilio down is a 503 (the widget fails and may retry), not a 401', async () => {
    app.accountsAnswer.mode = 'down';
    const res = await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }));
    expect(res.status).toBe(503);
  });

  test.each([
    [{}, ['accountSid', 'authToken']],
    [{ accountSid: 'undefined', authToken: 'undefined' }, ['accountSid', 'authToken']],
    [{ accountSid: 'AC123', authToken: 'x' }, ['accountSid']],
  ])('a malformed body %j is a 400 naming %j, and Twilio is not asked', async (body, fields) => {
    const res = await fetch(`${app.url}/register-app`, json(body));
    expect(res.status).toBe(400);
    const problems = ((await res.json()) as { details: Array<{ path: string }> }).details.map((d) => d.path);
    expect(problems).toEqual(fields);
    expect(app.accountChecks).toEqual([]);
  });
});

describe('POST /conversation-name', () => {
  test('the reference Twilio Function request (raw token) stores the mapping, with its expiry, and publishes conversation.registered', async () => {
    const token = await registerApp();
    const res = await twilioFunctionRequest(token, PHONE, CONVERSATION);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ [PHONE]: CONVERSATION });

    const docs = Object.entries(app.docs.dump('conversations'));
    expect(docs).toHaveLength(1);
    const [id, doc] = docs[0]!;
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(doc).toMatchObject({ conversationName: CONVERSATION, keyKind: 'phone', registeredBy: `twilio:${ACCOUNT_SID}` });
    expect((doc['expireAt'] as Date).getTime() - app.clock.now.getTime()).toBe(4 * 3600 * 1000);
    // Stored hashed: the phone is nowhere in the document.
    expect(JSON.stringify(doc)).not.toContain('4155550100');

    expect(app.bus.published).toHaveLength(1);
    expect(app.bus.published[0]).toMatchObject({
      topic: 'conversation-events',
      attributes: { type: 'conversation.registered', keyKind: 'phone' },
      data: { type: 'conversation.registered', version: 1, conversationName: CONVERSATION, conversationIntegrationKey: PHONE, keyHash: id },
    });
    // Phone numbers never in clear in the logs.
    expect(app.logs.join('\n')).not.toMatch(/4155550100/);
  });

  test('"Bearer <token>" works as well as the raw token', async () => {
    const token = await registerApp();
    const res = await fetch(
      `${app.url}/conversation-name`,
      json({ conversationIntegrationKey: PHONE, conversationName: CONVERSATION }, { authorization: `Bearer ${token}` }),
    );
    expect(res.status).toBe(200);
  });

  test.each([
    [
      'the reference function with missing parameters ("undefined")',
      { conversationIntegrationKey: 'undefined', conversationName: 'undefined' },
      ['conversationIntegrationKey', 'conversationName'],
    ],
    ['no key', { conversationName: CONVERSATION }, ['conversationIntegrationKey']],
    ['a blank key', { conversationIntegrationKey: '  ', conversationName: CONVERSATION }, ['conversationIntegrationKey']],
    ['"null" as name', { conversationIntegrationKey: PHONE, conversationName: 'null' }, ['conversationName']],
    ['a name that is not a conversation', { conversationIntegrationKey: PHONE, conversationName: 'projects/p/conversationProfiles/x' }, ['conversationName']],
    ['a name with a path injection', { conversationIntegrationKey: PHONE, conversationName: 'projects/p/conversations/../../x' }, ['conversationName']],
  ])('%s is a 400 naming the field, and nothing is written', async (_what, body, fields) => {
    const token = await registerApp();
    const res = await fetch(`${app.url}/conversation-name`, json(body, { authorization: token }));
    expect(res.status).toBe(400);
    const payload = (await res.json()) as { message: string; details: Array<{ path: string }> };
    expect(payload.details.map((d) => d.path)).toEqual(fields);
    for (const f of fields) expect(payload.message).toContain(f);
    nothingWritten();
  });

  test('a body that is not JSON is a 400, nothing written', async () => {
    const token = await registerApp();
    const res = await fetch(`${app.url}/conversation-name`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', authorization: token },
      body: 'key=+1415',
    });
    expect(res.status).toBe(400);
    nothingWritten();
  });

  test('token errors are 401 {"message"} like the reference, and nothing is written', async () => {
    const body = { conversationIntegrationKey: PHONE, conversationName: CONVERSATION };
    const missing = await fetch(`${app.url}/conversation-name`, json(body));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ message: 'Token is missing.' });
    const undef = await twilioFunctionRequest('undefined', PHONE, CONVERSATION);
    expect(await undef.json()).toMatchObject({ message: 'Token is missing.' });
    const token = await registerApp();
    app.clock.now = new Date(app.clock.now.getTime() + 61 * 60 * 1000);
    const expired = await twilioFunctionRequest(token, PHONE, CONVERSATION);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ message: 'Your token has expired.' });
    nothingWritten();
  });

  test('a signed Studio JSON request (bodySHA256) is accepted; a tampered body or signature is a 401 and nothing is written', async () => {
    const token = await registerApp();
    const body = { conversationIntegrationKey: PHONE, conversationName: CONVERSATION };
    const signed = signedJsonRequest('/conversation-name', body);
    const send = (text: string, signature: string) =>
      fetch(`${app.url}${signed.pathWithQuery}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: token, 'x-twilio-signature': signature },
        body: text,
      });

    const tampered = await send(signed.text.replace('0100', '0199'), signed.signature);
    expect(tampered.status).toBe(401);
    expect(await tampered.json()).toMatchObject({ message: 'the body does not match its bodySHA256' });
    const forged = await send(signed.text, twilioSignature('0'.repeat(32), `${PUBLIC_URL}${signed.pathWithQuery}`));
    expect(forged.status).toBe(401);
    nothingWritten();

    const ok = await send(signed.text, signed.signature);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ [PHONE]: CONVERSATION });
  });

  test('two Studio calls for the same caller at once leave one consistent mapping', async () => {
    const token = await registerApp();
    const names = [`${CONVERSATION}-a`, 'projects/ccbridge-test/conversations/CAffff'];
    const results = await Promise.all([twilioFunctionRequest(token, PHONE, names[0]!), twilioFunctionRequest(token, '(415) 555-0100', names[1]!)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const docs = Object.values(app.docs.dump('conversations'));
    expect(docs).toHaveLength(1);
    const doc = docs[0]!;
    // The surviving document is one registration, whole: its name and id belong together.
    const event = app.bus.published.find((m) => (m.data as { registrationId: string }).registrationId === doc['registrationId']);
    expect(event).toBeDefined();
    expect((event!.data as { conversationName: string }).conversationName).toBe(doc['conversationName']);
    const read = await lightningRequest('GET', undefined, PHONE);
    expect(await read.json()).toEqual({ conversationName: doc['conversationName'] });
  });

  test('an event bus failure is a 503 (the mapping is idempotent, so the caller may retry)', async () => {
    const token = await registerApp();
    app.bus.failNext(1);
    const failed = await twilioFunctionRequest(token, PHONE, CONVERSATION);
    expect(failed.status).toBe(503);
    const retried = await twilioFunctionRequest(token, PHONE, CONVERSATION);
    expect(retried.status).toBe(200);
    expect(app.bus.published).toHaveLength(1);
    expect(Object.keys(app.docs.dump('conversations'))).toHaveLength(1);
  });

  test('a body over 16 KiB is a 413', async () => {
    const token = await registerApp();
    const res = await twilioFunctionRequest(token, PHONE, `projects/p/conversations/${'x'.repeat(20_000)}`);
    expect(res.status).toBe(413);
    nothingWritten();
  });
});

describe('GET and DELETE /conversation-name (the Lightning component)', () => {
  test('polling: 404 until registered, then the name for every spelling of the number, then DELETE, then 404', async () => {
    const token = await registerApp();
    const before = await lightningRequest('GET', undefined, PHONE);
    expect(before.status).toBe(404);

    await twilioFunctionRequest(token, PHONE, CONVERSATION);
    // The component does not URL-encode: "+14155550100" arrives as " 14155550100".
    for (const spelling of [PHONE, encodeURIComponent(PHONE), '14155550100', '415-555-0100', encodeURIComponent('(415) 555-0100')]) {
      const res = await lightningRequest('GET', undefined, spelling);
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ conversationName: CONVERSATION });
      expect(res.headers.get('access-control-allow-origin')).toBe('https://acme.lightning.force.com');
    }

    const deleted = await lightningRequest('DELETE', undefined, PHONE);
    expect(deleted.status).toBe(200);
    expect(app.docs.dump('conversations')).toEqual({});
    expect((await lightningRequest('GET', undefined, PHONE)).status).toBe(404);
    expect((await lightningRequest('DELETE', undefined, PHONE)).status).toBe(404);
  });

  test('a mapping is gone after its TTL even before Firestore deletes it, and a DELETE then writes nothing', async () => {
    const token = await registerApp();
    await twilioFunctionRequest(token, PHONE, CONVERSATION);
    app.clock.now = new Date(app.clock.now.getTime() + 4 * 3600 * 1000 + 1);
    expect((await lightningRequest('GET', undefined, PHONE)).status).toBe(404);
    expect((await lightningRequest('DELETE', undefined, PHONE)).status).toBe(404);
    expect(Object.keys(app.docs.dump('conversations'))).toHaveLength(1);
  });

  test('non-phone keys are used as given', async () => {
    const token = await registerApp();
    await twilioFunctionRequest(token, 'case-00042', CONVERSATION);
    expect(await (await lightningRequest('GET', undefined, 'case-00042')).json()).toEqual({ conversationName: CONVERSATION });
    expect((await lightningRequest('GET', undefined, 'CASE-00042')).status).toBe(404);
  });

  test('a missing key is a 400; a missing token a 401', async () => {
    const noKey = await fetch(`${app.url}/conversation-name`, { headers: { authorization: await issuedToken('agent') } });
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ details: [{ path: 'conversationIntegrationKey' }] });
    const noToken = await fetch(`${app.url}/conversation-name?conversationIntegrationKey=${PHONE}`);
    expect(noToken.status).toBe(401);
    expect(await noToken.json()).toMatchObject({ message: 'Token is missing.' });
  });

  test('CORS: the configured Salesforce origin gets its preflight answered; other origins get no CORS headers', async () => {
    const preflight = await fetch(`${app.url}/conversation-name?conversationIntegrationKey=1`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://acme.lightning.force.com',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://acme.lightning.force.com');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('DELETE');
    const other = await lightningRequest('GET', undefined, PHONE, 'https://evil.example');
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

const signedForm = (url: string, params: Record<string, string>, authToken = AUTH_TOKEN, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(authToken, url, params), ...headers },
  body: new URLSearchParams(params).toString(),
});

describe('signatures: only the configured public URLs count', () => {
  test('a signature Twilio made for a foreign host, replayed with X-Forwarded-Host/Host spoofed to that host, is a 401 and nothing is written', async () => {
    const token = await issuedToken('twilio');
    const body = { conversationIntegrationKey: PHONE, conversationName: CONVERSATION };
    // What an attacker gets from Twilio by pointing a Studio flow or a Function at their own server.
    const foreign = signedJsonRequest('/conversation-name', body, { publicUrl: 'https://evil.example/ui-connector' });
    for (const headers of [
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example/ui-connector' },
      { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' },
      { host: 'evil.example' },
    ]) {
      const res = await fetch(`${app.url}${foreign.pathWithQuery}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: token, 'x-twilio-signature': foreign.signature, ...headers },
        body: foreign.text,
      });
      expect(res.status).toBe(401);
    }
    nothingWritten();
  });

  test('every configured public URL is accepted (UI_CONNECTOR_PUBLIC_URL and UI_CONNECTOR_PUBLIC_URLS), with or without the default port', async () => {
    await app.stop();
    app = await startUiConnector({ UI_CONNECTOR_PUBLIC_URLS: 'https://connector.example.com' });
    const params = { accountSid: ACCOUNT_SID };
    for (const url of [`${PUBLIC_URL}/register-app`, 'https://connector.example.com/register-app', 'https://connector.example.com:443/register-app']) {
      expect((await fetch(`${app.url}/register-app`, signedForm(url, params))).status).toBe(200);
    }
    expect((await fetch(`${app.url}/register-app`, signedForm('http://connector.example.com/register-app', params))).status).toBe(401);
  });

  test('with an auth token to verify signatures, a public URL is required at start', () => {
    expect(() => composeUiConnector(baseEnv({ UI_CONNECTOR_PUBLIC_URL: undefined }))).toThrow(ConfigError);
  });

  test('a JSON body signed without bodySHA256 is covered by no signature: a write is refused as unsigned, nothing written', async () => {
    await app.stop();
    app = await startUiConnector();
    const token = await issuedToken('twilio');
    const text = JSON.stringify({ conversationIntegrationKey: PHONE, conversationName: CONVERSATION });
    const res = await fetch(`${app.url}/conversation-name`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: token,
        'x-twilio-signature': twilioSignature(AUTH_TOKEN, `${PUBLIC_URL}/conversation-name`),
      },
      body: text,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ message: expect.stringContaining('bodySHA256') });
    nothingWritten();
  });
});

describe('defaults: unsigned writes refused, roles enforced', () => {
  beforeEach(async () => {
    await app.stop();
    app = await startUiConnector();
  });

  test('an unsigned registration with a valid twilio token is a 401, nothing written; the same request signed is accepted', async () => {
    const token = await issuedToken('twilio');
    const unsigned = await twilioFunctionRequest(token, PHONE, CONVERSATION);
    expect(unsigned.status).toBe(401);
    nothingWritten();
    const signed = signedJsonRequest('/conversation-name', { conversationIntegrationKey: PHONE, conversationName: CONVERSATION });
    const ok = await fetch(`${app.url}${signed.pathWithQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: token, 'x-twilio-signature': signed.signature },
      body: signed.text,
    });
    expect(ok.status).toBe(200);
  });

  test('an agent token cannot register or delete a mapping, even signed (403, nothing written); it reads', async () => {
    const agent = await issuedToken('agent');
    const signed = signedJsonRequest('/conversation-name', { conversationIntegrationKey: PHONE, conversationName: CONVERSATION });
    const write = await fetch(`${app.url}${signed.pathWithQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: agent, 'x-twilio-signature': signed.signature },
      body: signed.text,
    });
    expect(write.status).toBe(403);
    nothingWritten();
    expect((await lightningRequest('GET', agent, PHONE)).status).toBe(404);
    expect((await lightningRequest('DELETE', agent, PHONE)).status).toBe(403);
  });

  test('a twilio token cannot read mappings (403): it is not an agent', async () => {
    expect((await lightningRequest('GET', await issuedToken('twilio'), PHONE)).status).toBe(403);
  });

  test('a role-less token (old, or from a reference /register) reads but cannot write', async () => {
    const { SignJWT } = await import('jose');
    const now = Math.floor(Date.now() / 1000);
    const old = await new SignJWT({ gcp_agent_assist_project: 'ccbridge-test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(baseEnv()['UI_CONNECTOR_JWT_SECRET']!));
    const signed = signedJsonRequest('/conversation-name', { conversationIntegrationKey: PHONE, conversationName: CONVERSATION });
    const write = await fetch(`${app.url}${signed.pathWithQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: old, 'x-twilio-signature': signed.signature },
      body: signed.text,
    });
    expect(write.status).toBe(403);
    nothingWritten();
    expect((await lightningRequest('GET', old, PHONE)).status).toBe(404);
  });

  test('reject: even reads must be signed', async () => {
    await app.stop();
    app = await startUiConnector({ UI_CONNECTOR_UNSIGNED_REQUESTS: 'reject' });
    expect((await lightningRequest('GET', undefined, PHONE)).status).toBe(401);
    expect((await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }))).status).toBe(401);
  });
});

describe('register-app, signed by Twilio (no auth token in the body)', () => {
  test('a Studio JSON request (bodySHA256) naming an allowed account gets a twilio token without asking Twilio', async () => {
    const signed = signedJsonRequest('/register-app', { accountSid: ACCOUNT_SID });
    const res = await fetch(`${app.url}${signed.pathWithQuery}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twilio-signature': signed.signature },
      body: signed.text,
    });
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    expect(decodeJwt(token)).toMatchObject({ ccbridge_role: 'twilio', gcp_agent_assist_user: `twilio:${ACCOUNT_SID}` });
    expect(app.accountChecks).toEqual([]);
  });

  test('signed, but for an account that is not allowed: 401', async () => {
    const res = await fetch(`${app.url}/register-app`, signedForm(`${PUBLIC_URL}/register-app`, { accountSid: OTHER_ACCOUNT_SID }));
    expect(res.status).toBe(401);
    expect(app.accountChecks).toEqual([]);
  });

  test('signed with a token that is not configured: 401, and nothing asked of Twilio', async () => {
    const res = await fetch(`${app.url}/register-app`, signedForm(`${PUBLIC_URL}/register-app`, { accountSid: ACCOUNT_SID }, '0'.repeat(32)));
    expect(res.status).toBe(401);
    expect(app.accountChecks).toEqual([]);
  });
});

describe('register-app rate limits (per instance, on the injected clock)', () => {
  test('unsigned requests from one source: 429 with Retry-After past the burst; another source and signed requests still pass; refilled in time', async () => {
    await app.stop();
    app = await startUiConnector({ UI_CONNECTOR_REGISTER_SOURCE_BURST: '3', UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE: '60' });
    const from = (ip: string) => json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, { 'x-forwarded-for': `203.0.113.99, ${ip}` });
    for (let i = 0; i < 3; i++) expect((await fetch(`${app.url}/register-app`, from('198.51.100.7'))).status).toBe(200);
    const limited = await fetch(`${app.url}/register-app`, from('198.51.100.7'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    // The first X-Forwarded-For entries are the caller's to write: only the last one counts.
    expect(
      (await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, { 'x-forwarded-for': '198.51.100.8, 198.51.100.7' })))
        .status,
    ).toBe(429);
    expect((await fetch(`${app.url}/register-app`, from('198.51.100.8'))).status).toBe(200);
    app.clock.now = new Date(app.clock.now.getTime() + 1000);
    expect((await fetch(`${app.url}/register-app`, from('198.51.100.7'))).status).toBe(200);
  });

  test(
    'bad signatures relayed from one address (an attacker’s flow through Twilio) ' +
      'exhaust that address for unsigned requests, ' +
      'never for Twilio-signed ones',
    async () => {
      await app.stop();
      app = await startUiConnector({ UI_CONNECTOR_REGISTER_SOURCE_BURST: '2', UI_CONNECTOR_REGISTER_SOURCE_PER_MINUTE: '60' });
      const twilioEdge = { 'x-forwarded-for': '54.172.60.1' };
      for (let i = 0; i < 3; i++) {
        const forged = await fetch(
          `${app.url}/register-app`,
          signedForm(`${PUBLIC_URL}/register-app`, { accountSid: ACCOUNT_SID }, '9'.repeat(32), twilioEdge),
        );
        expect(forged.status).toBe(401);
      }
      expect((await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, twilioEdge))).status).toBe(429);
      expect(
        (await fetch(`${app.url}/register-app`, signedForm(`${PUBLIC_URL}/register-app`, { accountSid: ACCOUNT_SID }, AUTH_TOKEN, twilioEdge))).status,
      ).toBe(200);
    },
  );

  test('failed authentications per account: past the burst, the account is refused 429 before Twilio is asked; signed requests for it still pass', async () => {
    await app.stop();
    app = await startUiConnector({ UI_CONNECTOR_REGISTER_ACCOUNT_FAILURE_BURST: '2', UI_CONNECTOR_REGISTER_ACCOUNT_FAILURES_PER_MINUTE: '6' });
    const guess = (i: number) => json({ accountSid: ACCOUNT_SID, authToken: `wrong-token-${i}-wrong-token-wrong` }, { 'x-forwarded-for': `198.51.100.${i}` });
    expect((await fetch(`${app.url}/register-app`, guess(1))).status).toBe(401);
    expect((await fetch(`${app.url}/register-app`, guess(2))).status).toBe(401);
    const limited = await fetch(`${app.url}/register-app`, guess(3));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(app.accountChecks).toHaveLength(2);
    expect((await fetch(`${app.url}/register-app`, signedForm(`${PUBLIC_URL}/register-app`, { accountSid: ACCOUNT_SID }))).status).toBe(200);
    app.clock.now = new Date(app.clock.now.getTime() + 10_000);
    expect((await fetch(`${app.url}/register-app`, json({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }))).status).toBe(200);
  });
});

describe('conversation names as Dialogflow validates conversation IDs ([a-zA-Z][a-zA-Z0-9_-]*, 3-64)', () => {
  test.each([
    ['the seed naming with the "+" of the number', 'projects/p/locations/global/conversations/TW-+14155550100-CA0123456789abcdef0123456789abcdef'],
    ['an id starting with a digit', 'projects/p/conversations/1CA0123'],
    ['a 2-character id', 'projects/p/conversations/CA'],
    ['a 65-character id', `projects/p/conversations/C${'a'.repeat(64)}`],
    ['an id with a dot', 'projects/p/conversations/CA.1'],
  ])('%s is a 400 and nothing is written', async (_what, conversationName) => {
    const token = await registerApp();
    const res = await twilioFunctionRequest(token, PHONE, conversationName);
    expect(res.status).toBe(400);
    nothingWritten();
  });

  test.each([
    ['the CallSid', 'projects/p/locations/global/conversations/CA0123456789abcdef0123456789abcdef'],
    ['the seed naming without the "+"', 'projects/p/locations/global/conversations/TW-14155550100-CA0123456789abcdef0123456789abcdef'],
    ['a 3-character id', 'projects/p/conversations/a_1'],
    ['a 64-character id', `projects/p/conversations/C${'a'.repeat(63)}`],
  ])('%s is accepted', async (_what, conversationName) => {
    const token = await registerApp();
    expect((await twilioFunctionRequest(token, PHONE, conversationName)).status).toBe(200);
  });
});

describe('configuration', () => {
  test('a short JWT key, a bad SID and an unknown country are all reported at once', () => {
    let error: unknown;
    try {
      composeUiConnector(baseEnv({ UI_CONNECTOR_JWT_SECRET: 'short', TWILIO_ACCOUNT_SID: 'AC1', UI_CONNECTOR_DEFAULT_COUNTRY: 'XX' }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const keys = (error as ConfigError).problems.map((p) => p.split(':')[0]);
    expect(keys).toEqual(expect.arrayContaining(['UI_CONNECTOR_JWT_SECRET', 'TWILIO_ACCOUNT_SID.0', 'UI_CONNECTOR_DEFAULT_COUNTRY']));
    expect((error as Error).message).not.toContain('short');
  });

  test('requiring signatures (the default) without an auth token to check them is refused at start', () => {
    expect(() => composeUiConnector(baseEnv({ TWILIO_AUTH_TOKEN: undefined }))).toThrow(ConfigError);
    expect(() => composeUiConnector(baseEnv({ TWILIO_AUTH_TOKEN: undefined, UI_CONNECTOR_UNSIGNED_REQUESTS: 'accept' }))).not.toThrow();
  });
});
