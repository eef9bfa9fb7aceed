import { Secret } from '../../shared/config';
import { createContractCrmClient } from '../../shared/crm/contract-client';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import { silentLogger } from '../support/doubles/silent-logger';
import { type MockRequest, type MockServer, sendJson, startMockServer } from '../../local/mocks/http-mock';

type Script = (req: MockRequest) => { status: number; body?: unknown; raw?: string; headers?: Record<string, string> };

describe('contract CRM client', () => {
  let server: MockServer;
  let script: Script;
  const seen: MockRequest[] = [];

  beforeAll(async () => {
    const handle = (req: MockRequest, res: import('node:http').ServerResponse) => {
      seen.push(req);
      const out = script(req);
      if (out.raw !== undefined) {
        res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) }).end(out.raw);
        return;
      }
      sendJson(res, out.status, out.body ?? {}, out.headers ?? {});
    };
    server = await startMockServer(
      'contract',
      ['GET', 'POST', 'PATCH'].flatMap((method) =>
        ['/oauth/token', '/accounts', '/accounts/:id', '/records', '/records/:id', '/records/:id/comments', '/records/:id/attachments'].map((path) => ({
          method,
          path,
          handle,
        })),
      ),
    );
  });
  afterAll(() => server.stop());
  beforeEach(() => {
    seen.length = 0;
  });

  const basicClient = (retryLimit = 2) =>
    createContractCrmClient({
      baseUrl: `${server.baseUrl}/`,
      auth: { kind: 'basic', user: 'u', password: new Secret('password1') },
      retryLimit,
      timeoutMs: 2000,
    });

  it('reads "not found" from a 200 with data null and the id from data.id', async () => {
    script = (req) =>
      req.method === 'GET'
        ? { status: 200, body: { found: false, data: null } }
        : { status: 201, body: { data: { id: 'A1', phone: '+14155550100', email: null } } };
    const crm = basicClient();
    expect(await crm.findAccount({ phone: '+14155550100' })).toBeUndefined();
    expect(seen[0]!.query.get('phone')).toBe('+14155550100');
    expect(seen[0]!.headers.authorization).toBe(`Basic ${Buffer.from('u:password1').toString('base64')}`);
    expect(await crm.createAccount({ phone: '+14155550100' })).toEqual({ id: 'A1', phone: '+14155550100' });
  });

  it('retries lookups and keyed creates on 503, but never an unkeyed comment', async () => {
    let calls = 0;
    script = () => (++calls < 2 ? { status: 503, body: { code: 'unavailable', message: 'down' } } : { status: 200, body: { found: false, data: null } });
    const crm = basicClient();
    expect(await crm.findRecord({ sessionId: 's' })).toBeUndefined();
    expect(calls).toBe(2);

    calls = 0;
    script = () => (++calls < 2 ? { status: 503, body: {} } : { status: 201, body: { data: { id: 'R1', status: 'open' } } });
    expect(await crm.createRecord({ channel: 'voice', sessionId: 's', subject: 'x', idempotencyKey: 'k1' })).toEqual({ id: 'R1', status: 'open' });
    expect(seen.at(-1)!.headers['idempotency-key']).toBe('k1');
    expect(calls).toBe(2);

    calls = 0;
    script = () => {
      calls++;
      return { status: 503, body: {} };
    };
    await expect(crm.addComment('R1', { body: 'x' })).rejects.toMatchObject({ status: 503, retryable: true });
    expect(calls).toBe(1);
  });

  it('maps contract errors onto AppErrors, keeping details and Retry-After', async () => {
    const crm = basicClient(0);
    script = () => ({ status: 404, body: { code: 'not_found', message: 'record R9 not found' } });
    await expect(crm.updateRecord('R9', { status: 'closed' })).rejects.toMatchObject({ status: 404, code: 'not_found', retryable: false });
    script = () => ({
      status: 409,
      body: { code: 'conflict', message: 'ambiguous', details: { reason: 'ambiguous', candidates: [{ id: 'a' }, { id: 'b' }] } },
    });
    await expect(crm.findAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 409, details: { reason: 'ambiguous' } });
    script = () => ({ status: 429, body: { code: 'rate_limited', message: 'slow down' }, headers: { 'retry-after': '7' } });
    await expect(crm.findAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 429, retryAfterSeconds: 7, retryable: true });
    script = () => ({ status: 401, body: { code: 'unauthenticated', message: 'no' } });
    await expect(crm.findAccount({ phone: '+14155550100' })).rejects.toMatchObject({ status: 502, retryable: false });
  });

  it('treats a malformed 2xx or a create without an id as a contract violation, not retried', async () => {
    const crm = basicClient();
    let calls = 0;
    script = () => {
      calls++;
      return { status: 201, raw: '{"data": {"id": ' };
    };
    await expect(crm.createRecord({ channel: 'voice', sessionId: 's', subject: 'x' })).rejects.toMatchObject({
      status: 502,
      code: 'upstream_error',
      retryable: false,
    });
    expect(calls).toBe(1);
    script = () => ({ status: 201, body: { data: { status: 'open' } } });
    await expect(crm.createRecord({ channel: 'voice', sessionId: 's', subject: 'x' })).rejects.toThrow(/data\.id/);
  });

  it('gets an OAuth token once, reuses it, and renews it after a 401', async () => {
    let issued = 0;
    let valid = '';
    script = (req) => {
      if (req.path === '/oauth/token') {
        expect(req.body.toString()).toBe('grant_type=client_credentials');
        expect(req.headers.authorization).toBe(`Basic ${Buffer.from('cid:client-secret-0123456789').toString('base64')}`);
        valid = `t${++issued}`;
        return { status: 200, body: { access_token: valid, token_type: 'Bearer', expires_in: 3600 } };
      }
      if (req.headers.authorization !== `Bearer ${valid}`) return { status: 401, body: { code: 'unauthenticated', message: 'bad token' } };
      return { status: 200, body: { found: false, data: null } };
    };
    const crm = createContractCrmClient({
      baseUrl: server.baseUrl,
      auth: { kind: 'oauth', clientId: 'cid', clientSecret: new Secret('client-secret-0123456789') },
    });
    await crm.findAccount({ email: 'a@b.co' });
    await crm.findAccount({ email: 'a@b.co' });
    expect(issued).toBe(1);
    valid = 'rotated';
    await crm.findAccount({ email: 'a@b.co' });
    expect(issued).toBe(2);
  });

  it('sends attachment bytes as the raw body with the file name in the query', async () => {
    script = () => ({ status: 201, body: { data: { id: 'AT1', recordId: 'R1' } } });
    const crm = createContractCrmClient({ baseUrl: server.baseUrl, auth: { kind: 'header', header: 'X-Api-Key', value: new Secret('key-0123456789abcdef') } });
    expect(await crm.addAttachment('R 1', { fileName: 'call.mp3', contentType: 'audio/mpeg', content: Buffer.from([1, 2, 3]) })).toEqual({ id: 'AT1' });
    const req = seen.at(-1)!;
    expect(req.path).toBe('/records/R%201/attachments');
    expect(req.query.get('fileName')).toBe('call.mp3');
    expect(req.headers['content-type']).toBe('audio/mpeg');
    expect(req.headers['x-api-key']).toBe('key-0123456789abcdef');
    expect([...req.body]).toEqual([1, 2, 3]);
  });

  it('is what the factory builds by default, and the factory lists every missing key', () => {
    const config = parseCrmClientConfig({ CRM_BASE_URL: server.baseUrl, CRM_BASIC_USER: 'u', CRM_BASIC_PASSWORD: 'password1' });
    expect(createCrmClient(config, { log: silentLogger }).kind).toBe('contract');
    expect(() => createCrmClient(parseCrmClientConfig({ CRM_CLIENT_AUTH: 'oauth' }), { log: silentLogger })).toThrow(
      /CRM_BASE_URL[\s\S]*CRM_OAUTH_CLIENT_ID[\s\S]*CRM_OAUTH_CLIENT_SECRET/,
    );
    expect(() => createCrmClient(parseCrmClientConfig({ CRM_ADAPTER: 'zendesk' }), { log: silentLogger })).toThrow(/ZENDESK_BASE_URL[\s\S]*ZENDESK_API_TOKEN/);
  });
});
