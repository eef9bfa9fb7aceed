/**
 * The CCAI Platform custom-CRM sequence against the crm function in mock mode, over HTTP on
 * the Functions Framework: find account → create → find record → create → comment →
 * attachment → wrap-up, with the answers at the JSON paths the CCAI Platform config reads.
 */
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

let app: CrmUnderTest;
beforeEach(async () => {
  app = await startCrm();
});
afterEach(() => app.stop());

const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const init: RequestInit = { method, headers: { authorization: basicAuth(), ...headers } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(`${app.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Answer) : undefined };
};

interface Answer {
  found?: boolean;
  data: ({ id: string } & Record<string, unknown>) | null;
}
/** The `data` of an answer that has one. */
const data = (r: { json?: Answer | undefined }) => r.json!.data!;

describe('crm mock mode: the CCAI Platform sequence', () => {
  it('finds nothing, creates, finds again, and records the post-session steps', async () => {
    // 1. account lookup: a miss is a 200 with data null (CCAI Platform's "not found")
    const miss = await call('GET', '/accounts?phone=%28415%29%20555-0100');
    expect(miss).toMatchObject({ status: 200, json: { found: false, data: null } });

    // 2. account create: id at data.id, phone normalised to E.164
    const account = await call('POST', '/accounts', { name: 'Ada Lovelace', phone: '(415) 555-0100', email: 'Ada@Example.com' });
    expect(account.status).toBe(201);
    const accountId = data(account).id;
    expect(data(account)).toMatchObject({ phone: '+14155550100', email: 'ada@example.com' });

    const hit = await call('GET', '/accounts?phone=%2B14155550100');
    expect(hit.json).toEqual({ found: true, data: data(account) });
    expect(data(await call('POST', '/accounts/search', { email: 'ada@example.com' })).id).toBe(accountId);

    // 3. record lookup: the account has no open record yet
    expect((await call('GET', `/records?accountId=${accountId}`)).json).toEqual({ found: false, data: null });

    // 4. record create
    const record = await call('POST', '/records', { accountId, channel: 'voice_call', sessionId: 'ccaip-1001', queue: 'Support', subject: 'Inbound call' });
    expect(record.status).toBe(201);
    const recordId = data(record).id;
    expect(data(record)).toMatchObject({ accountId, channel: 'voice', sessionId: 'ccaip-1001', status: 'open', queue: 'Support' });
    expect(data(record).url).toMatch(/\/crm\/admin\/view\/records\//);
    expect(data(await call('GET', `/records?accountId=${accountId}`)).id).toBe(recordId);
    expect(data(await call('GET', '/records?sessionId=ccaip-1001')).id).toBe(recordId);
    expect((await call('GET', `/records/${recordId}`)).json!.found).toBe(true);

    // 5. comment
    const comment = await call('POST', `/records/${recordId}/comments`, { body: 'Caller asked about billing', author: 'agent-7' });
    expect(comment).toMatchObject({ status: 201, json: { data: { recordId } } });
    expect(data(comment).id).toMatch(/^COM-/);

    // 6. attachment: raw bytes
    const bytes = Buffer.from('chat transcript\n');
    const attachment = await fetch(`${app.url}/records/${recordId}/attachments?fileName=chat-1001.txt`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': 'text/plain' },
      body: bytes,
    });
    expect(attachment.status).toBe(201);
    expect(await attachment.json()).toMatchObject({ data: { recordId, fileName: 'chat-1001.txt', size: bytes.length, contentType: 'text/plain' } });

    // 7. wrap-up (durations arrive as strings from templates)
    const wrapUp = await call('PATCH', `/records/${recordId}`, { status: 'closed', disposition: 'Resolved', notes: 'Refund issued', durationSeconds: '312' });
    expect(wrapUp).toMatchObject({ status: 200, json: { data: { id: recordId, status: 'closed', disposition: 'Resolved', durationSeconds: 312 } } });
    expect((await call('GET', `/records?accountId=${accountId}`)).json).toEqual({ found: false, data: null });

    expect(app.data()).toEqual({ crmMockAccounts: 1, crmMockRecords: 1, crmMockComments: 1, crmMockAttachments: 1, crmMockKeys: 0 });
  });

  it('makes repeated creates no-ops: same session, same Idempotency-Key', async () => {
    const first = await call('POST', '/records', { channel: 'chat', sessionId: 's-2', subject: 'Chat' });
    const again = await call('POST', '/records', { channel: 'chat', sessionId: 's-2', subject: 'Chat (retried)' });
    expect(data(again)).toEqual(data(first));
    const recordId = data(first).id;
    const c1 = await call('POST', `/records/${recordId}/comments`, { body: 'note' }, { 'idempotency-key': 'note-1' });
    const c2 = await call('POST', `/records/${recordId}/comments`, { body: 'note', idempotencyKey: 'note-1' });
    expect(data(c2).id).toBe(data(c1).id);
    const keyed = await call('POST', '/records', { channel: 'chat', sessionId: 's-3', subject: 'x', idempotencyKey: 'rec-k' });
    const keyedAgain = await call('POST', '/records', { channel: 'chat', sessionId: 's-4', subject: 'x' }, { 'idempotency-key': 'rec-k' });
    expect(data(keyedAgain).id).toBe(data(keyed).id);
    expect(app.data()).toMatchObject({ crmMockRecords: 2, crmMockComments: 1 });
  });

  it('accepts attachments as multipart, JSON link, base64 and a reference to an object in the bucket', async () => {
    const recordId = data(await call('POST', '/records', { channel: 'voice', sessionId: 's-5', subject: 'x' })).id;
    const form = new FormData();
    form.append('idempotencyKey', 'up-1');
    form.append('file', new Blob([Buffer.from([0xff, 0xfb, 0x90])], { type: 'audio/mpeg' }), 'call-5.mp3');
    const multipart = await fetch(`${app.url}/records/${recordId}/attachments`, { method: 'POST', headers: { authorization: basicAuth() }, body: form });
    expect(multipart.status).toBe(201);
    expect(await multipart.json()).toMatchObject({ data: { fileName: 'call-5.mp3', contentType: 'audio/mpeg', size: 3 } });

    const link = await call('POST', `/records/${recordId}/attachments`, {
      fileName: 'recording.mp3',
      contentType: 'audio/mpeg',
      url: 'https://files.example.com/r/5',
    });
    expect(link).toMatchObject({ status: 201, json: { data: { url: 'https://files.example.com/r/5' } } });

    const inline = await call('POST', `/records/${recordId}/attachments`, {
      fileName: 'note.txt',
      contentType: 'text/plain',
      contentBase64: Buffer.from('hi').toString('base64'),
    });
    expect(inline).toMatchObject({ status: 201, json: { data: { size: 2 } } });

    // CCAI Platform's external-storage name for session s-5: only the record's own files can be referenced.
    await app.bucket.write('sessions/s-5/metadata-s-5.json', Buffer.from('{"a":1}'), { contentType: 'application/json' });
    const object = await call('POST', `/records/${recordId}/attachments`, {
      fileName: 'metadata-5.json',
      object: 'gs://ccbridge-test-archive/sessions/s-5/metadata-s-5.json',
    });
    expect(object).toMatchObject({ status: 201, json: { data: { contentType: 'application/json', size: 7 } } });

    const stored = Object.values(app.docs.dump('crmMockAttachments'));
    expect(stored).toHaveLength(4);
    expect(stored.find((a) => a['fileName'] === 'metadata-5.json')).toMatchObject({ sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('is driven end to end by the checked-in CCAI Platform configuration (ccaip-config.json)', async () => {
    const result = await runCcaipSequence(app.url, { authorization: basicAuth() }, sampleSequence('ccaip-cfg-1'));
    expect(result.steps.map((s) => `${s.operation} ${s.status}`)).toEqual([
      'findAccount 200',
      'createAccount 201',
      'findRecord 200',
      'createRecord 201',
      'addComment 201',
      'addAttachment 201',
      'wrapUp 200',
    ]);
    expect(result.accountId).toMatch(/^ACC-/);
    expect(result.recordId).toMatch(/^REC-/);
    // a second session of the same caller finds the account; the closed record is not reused
    const again = await runCcaipSequence(app.url, { authorization: basicAuth() }, sampleSequence('ccaip-cfg-2'));
    expect(again.accountId).toBe(result.accountId);
    expect(again.steps.map((s) => s.operation)).not.toContain('createAccount');
    expect(again.recordId).not.toBe(result.recordId);
  });
});
