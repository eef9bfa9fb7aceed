/**
 * The crm function in mock mode on the local stack — the Firestore stand-in behind it, the
 * Storage emulator for bucket references, the gateway in front — exercised the way CCAI
 * Platform and the Zoom interaction worker use it: the sequence with every auth variant,
 * the contract client, fault scripts, the journal with its TTL field, and reset.
 */
import { Secret } from '../../shared/config';
import { createContractCrmClient } from '../../shared/crm/contract-client';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import { createStorage } from '../../shared/google';
import { silentLogger } from '../support/doubles/silent-logger';
import { type Stack, startStack } from '../../local/stack';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

let stack: Stack;
let crmUrl: string;
let admin: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ functions: ['crm'] });
  crmUrl = stack.functions['crm']!;
  admin = { authorization: `Bearer ${stack.credentials.crmAdminToken}` };
});
afterAll(() => stack.stop());

const adminCall = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${crmUrl}${path}`, {
    method,
    headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

const OK_SEQUENCE = ['findAccount 200', 'createAccount 201', 'findRecord 200', 'createRecord 201', 'addComment 201', 'addAttachment 201', 'wrapUp 200'];

describe('crm on the local stack (mock mode, Firestore stand-in)', () => {
  beforeEach(async () => {
    expect((await adminCall('POST', '/admin/reset')).status).toBe(200);
  });

  it('runs the CCAI Platform sequence with Basic, OAuth client credentials and the API-key header', async () => {
    const c = stack.credentials;
    const basic = { authorization: `Basic ${Buffer.from(`${c.crmBasicUser}:${c.crmBasicPassword}`).toString('base64')}` };
    const tokenRes = await fetch(`${crmUrl}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${c.crmOauthClientId}:${c.crmOauthClientSecret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    expect(tokenRes.status).toBe(200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const variants: Array<[string, Record<string, string>]> = [
      ['basic', basic],
      ['oauth', { authorization: `Bearer ${access_token}` }],
      ['header', { 'x-api-key': c.crmApiKey }],
    ];
    for (const [name, headers] of variants) {
      const n = variants.findIndex((v) => v[0] === name);
      const input = { ...sampleSequence(`stack-${name}`), phone: `+1415555${String(n).padStart(4, '0')}`, email: `caller${n}@example.com` };
      const result = await runCcaipSequence(crmUrl, headers, input);
      expect({ name, steps: result.steps.map((s) => `${s.operation} ${s.status}`) }).toEqual({ name, steps: OK_SEQUENCE });
    }
    const data = await adminCall('GET', '/admin/data');
    expect(data.json['records']).toHaveLength(3);
    expect(data.json['comments']).toHaveLength(3);
    expect(data.json['attachments']).toHaveLength(3);
    const { json } = await adminCall('GET', '/admin/journal?limit=100');
    const auths = new Set((json['entries'] as Array<{ auth: string }>).map((e) => e.auth));
    expect([...auths].sort()).toEqual(['basic', 'header', 'oauth', 'public']);
  });

  it('serves the Zoom worker through the contract client the factory builds from the stack env', async () => {
    const crm = createCrmClient(parseCrmClientConfig(stack.env), { log: silentLogger });
    expect(crm.kind).toBe('contract');
    const account = await crm.createAccount({ phone: '+14155550177', name: 'Worker Test' });
    const record = await crm.createRecord({
      accountId: account.id,
      channel: 'voice',
      sessionId: 'zoom-eng-1',
      subject: 'Zoom call',
      idempotencyKey: 'zoom:eng-1',
    });
    expect(await crm.findRecord({ sessionId: 'zoom-eng-1' })).toMatchObject({ id: record.id });
    const n1 = await crm.addComment(record.id, { body: 'note', idempotencyKey: 'zoom:note:1' });
    expect(await crm.addComment(record.id, { body: 'note', idempotencyKey: 'zoom:note:1' })).toEqual(n1);
    await crm.addAttachment(record.id, {
      fileName: 'recording.mp3',
      contentType: 'audio/mpeg',
      url: 'https://ccbridge.example/a/1',
      idempotencyKey: 'zoom:rec:1',
    });
    await crm.addAttachment(record.id, {
      fileName: 'voicemail.mp3',
      contentType: 'audio/mpeg',
      content: Buffer.from([1, 2, 3, 4]),
      idempotencyKey: 'zoom:vm:1',
    });
    expect(await crm.updateRecord(record.id, { disposition: 'Callback' })).toMatchObject({ disposition: 'Callback', status: 'open' });
    const data = await adminCall('GET', '/admin/data');
    expect(data.json['comments']).toHaveLength(1);
    expect(data.json['attachments']).toHaveLength(2);

    // OAuth from the client side too: token fetched once from the function, then reused.
    const oauth = createContractCrmClient({
      baseUrl: crmUrl,
      auth: { kind: 'oauth', clientId: stack.credentials.crmOauthClientId, clientSecret: new Secret(stack.credentials.crmOauthClientSecret) },
    });
    expect(await oauth.findRecord({ sessionId: 'zoom-eng-1' })).toMatchObject({ id: record.id });
  });

  it('attaches one of the record’s own files from the archive bucket by reference', async () => {
    const storage = createStorage(stack.env['GCP_PROJECT']!);
    await storage.bucket('ccbridge-archive').file('ccai/call-obj-1.mp3').save(Buffer.from('ID3 fake mp3'), { contentType: 'audio/mpeg', resumable: false });
    const crm = createCrmClient(parseCrmClientConfig(stack.env), { log: silentLogger });
    const record = await crm.createRecord({ channel: 'voice', sessionId: 'obj-1', subject: 'x' });
    const res = await fetch(`${crmUrl}/records/${record.id}/attachments`, {
      method: 'POST',
      headers: { 'x-api-key': stack.credentials.crmApiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ fileName: 'call-42.mp3', object: 'gs://ccbridge-archive/ccai/call-obj-1.mp3' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ data: { contentType: 'audio/mpeg', size: 12 } });
  });

  it('applies fault scripts and journals what CCAI Platform received, with a TTL field in Firestore', async () => {
    await adminCall('POST', '/admin/faults', {
      faults: [
        { endpoint: 'POST /records', status: 503, times: 1 },
        { endpoint: 'POST /records', missingId: true, times: 1 },
      ],
    });
    const headers = { 'x-api-key': stack.credentials.crmApiKey };
    const result = await runCcaipSequence(crmUrl, headers, sampleSequence('faulty-1'));
    // the 503, then the create "succeeds" without an id: every later step cascades
    expect(result.steps.map((s) => `${s.operation} ${s.status}`)).toEqual([
      'findAccount 200',
      'createAccount 201',
      'findRecord 200',
      'createRecord 503',
      'addComment 400',
      'addAttachment 400',
      'wrapUp 400',
    ]);
    expect(result.steps.at(-1)!.body).toMatchObject({ message: expect.stringMatching(/record id is missing from the path/) });
    const second = await runCcaipSequence(crmUrl, headers, sampleSequence('faulty-1'));
    expect(second.recordId).toBeUndefined();
    expect(second.steps.find((s) => s.operation === 'createRecord')!.status).toBe(201);

    const session = await adminCall('GET', '/admin/sessions/faulty-1');
    const entries = session.json['entries'] as Array<{ operation: string; status: number; fault?: string; expireAt: string; at: string }>;
    expect(entries.filter((e) => e.fault !== undefined).map((e) => e.fault)).toEqual([
      expect.stringMatching(/status 503/),
      expect.stringMatching(/id removed/),
    ]);
    const ttlHours = (Date.parse(entries[0]!.expireAt) - Date.parse(entries[0]!.at)) / 3_600_000;
    expect(ttlHours).toBe(72);
  });

  it('rejects bad input through the gateway without writing', async () => {
    const headers = { 'x-api-key': stack.credentials.crmApiKey, 'content-type': 'application/json' };
    const bad = await fetch(`${crmUrl}/records`, { method: 'POST', headers, body: JSON.stringify({ channel: 'pigeon', sessionId: 7 }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/channel.*sessionId.*subject|channel/);
    const unknown = await fetch(`${crmUrl}/records/REC-NOPE/comments`, { method: 'POST', headers, body: JSON.stringify({ body: 'x' }) });
    expect(unknown.status).toBe(404);
    const data = await adminCall('GET', '/admin/data');
    expect(data.json).toEqual({ accounts: [], records: [], comments: [], attachments: [] });
  });
});
