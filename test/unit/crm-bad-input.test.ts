/**
 * Bad input never reaches the CRM: missing or wrongly typed fields, oversized bodies and
 * unknown ids are answered 4xx with the problem named, and the store is unchanged.
 */
import { basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';

let app: CrmUnderTest;
let recordId: string;
let before: Record<string, number>;

beforeEach(async () => {
  app = await startCrm({ env: { CRM_MAX_ATTACHMENT_BYTES: '2048', CRM_MAX_JSON_BYTES: '4096' } });
  const res = await send('POST', '/records', { channel: 'voice', sessionId: 'existing', subject: 'x' });
  recordId = ((await res.json()) as { data: { id: string } }).data.id;
  before = app.data();
});
afterEach(async () => {
  expect(app.data()).toEqual(before);
  await app.stop();
});

function send(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { authorization: basicAuth(), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : Buffer.isBuffer(body) ? new Uint8Array(body) : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  return fetch(`${app.url}${path}`, init);
}

async function expectProblem(res: Response, status: number, ...mentions: RegExp[]) {
  const body = (await res.json()) as { code: string; message: string; details?: Array<{ path: string }> };
  expect({ status: res.status, body }).toMatchObject({ status, body: { code: expect.any(String), message: expect.any(String) } });
  for (const m of mentions) expect(body.message).toMatch(m);
  return body;
}

describe('crm rejects bad input and writes nothing', () => {
  it('lookups without a criterion or with a non-phone', async () => {
    await expectProblem(await send('GET', '/accounts'), 400, /at least one of phone, email, externalId/);
    await expectProblem(await send('GET', '/accounts?phone=call-me-maybe'), 400, /phone: is not a phone number/);
    await expectProblem(await send('GET', '/accounts?email=nope'), 400, /email: is not an email address/);
    await expectProblem(await send('GET', '/records'), 400, /give one of id, sessionId, accountId/);
  });

  it('ids in the path that no CRM uses and no document can be named by (a decoded ../, control characters, __name__) are refused', async () => {
    for (const id of ['..%2F..%2Fsecrets', 'a%00b', 'a%0Ab', '__name__']) {
      await expectProblem(await send('PATCH', `/accounts/${id}`, { name: 'x' }), 400, /id in the path must not contain/);
      await expectProblem(await send('POST', `/records/${id}/comments`, { body: 'x' }), 400, /id in the path must not contain/);
    }
  });

  it('account creates with missing or wrongly typed fields, every problem listed', async () => {
    await expectProblem(await send('POST', '/accounts', {}), 400, /at least one of phone, email, externalId/);
    const body = await expectProblem(await send('POST', '/accounts', { phone: 14155550100, name: ['Ada'] }), 400, /phone/, /name/);
    expect(body.details!.map((d) => d.path).sort()).toEqual(['name', 'phone']);
  });

  it('record creates: bad channel, missing session, empty subject, unknown account', async () => {
    const body = await expectProblem(
      await send('POST', '/records', { channel: 'fax', subject: '' }),
      400,
      /channel: must be one of/,
      /sessionId: required/,
      /subject/,
    );
    expect(body.details).toHaveLength(3);
    await expectProblem(
      await send('POST', '/records', { accountId: 'ACC-GHOST', channel: 'chat', sessionId: 'new', subject: 'x' }),
      404,
      /account ACC-GHOST not found/,
    );
    await expectProblem(
      await send('POST', '/records', { channel: 'chat', sessionId: 'new', subject: 'x', idempotencyKey: 'a' }, { 'idempotency-key': 'b' }),
      400,
      /Idempotency-Key header and body idempotencyKey differ/,
    );
  });

  it('updates: nothing to change, wrong types, unknown ids', async () => {
    await expectProblem(await send('PATCH', `/records/${recordId}`, {}), 400, /at least one of status, disposition, notes, durationSeconds/);
    await expectProblem(
      await send('PATCH', `/records/${recordId}`, { durationSeconds: 'long', status: 'done' }),
      400,
      /durationSeconds: must be a number of seconds/,
      /status: must be open or closed/,
    );
    await expectProblem(await send('PATCH', '/records/REC-GHOST', { status: 'closed' }), 404, /record REC-GHOST not found/);
    await expectProblem(await send('PATCH', '/accounts/ACC-GHOST', { name: 'x' }), 404, /account ACC-GHOST not found/);
  });

  it('comments and attachments on unknown records, or without their required parts', async () => {
    await expectProblem(await send('POST', '/records/REC-GHOST/comments', { body: 'x' }), 404, /record REC-GHOST not found/);
    await expectProblem(await send('POST', `/records/${recordId}/comments`, { author: 'a' }), 400, /body: required/);
    await expectProblem(await send('POST', '/records/REC-GHOST/attachments?fileName=a.txt', 'abc', { 'content-type': 'text/plain' }), 404, /REC-GHOST/);
    await expectProblem(await send('POST', `/records/${recordId}/attachments`, 'abc', { 'content-type': 'text/plain' }), 400, /fileName/);
    await expectProblem(await send('POST', `/records/${recordId}/attachments?fileName=a.txt`, '', { 'content-type': 'text/plain' }), 400, /empty/);
    await expectProblem(
      await send('POST', `/records/${recordId}/attachments`, { fileName: 'a', url: 'https://x.example/a', object: 'b' }),
      400,
      /exactly one of url, object, contentBase64/,
    );
    await expectProblem(await send('POST', `/records/${recordId}/attachments`, { fileName: '../etc/passwd', url: 'https://x.example/a' }), 400, /fileName/);
    await expectProblem(
      await send('POST', `/records/${recordId}/attachments`, { fileName: 'a', object: 'gs://someone-elses-bucket/a' }),
      400,
      /object: .*ccbridge-test-archive/,
    );
    await expectProblem(
      await send('POST', `/records/${recordId}/attachments`, { fileName: 'a', object: 'gs://ccbridge-test-archive/missing' }),
      404,
      /object gs:\/\/ccbridge-test-archive\/missing is not among the artifacts of record/,
    );
    await expectProblem(await send('POST', `/records/${recordId}/attachments`, { fileName: 'a', url: 'ftp://x.example/a' }), 400, /url/);
  });

  it('oversized bodies: JSON over its limit, files over theirs', async () => {
    await expectProblem(await send('PATCH', `/records/${recordId}`, { notes: 'n'.repeat(5000) }), 413, /exceeds 4096 bytes/);
    await expectProblem(
      await send('POST', `/records/${recordId}/attachments?fileName=big.bin`, Buffer.alloc(3000), { 'content-type': 'application/octet-stream' }),
      413,
      /2048/,
    );
    await app.bucket.write('call-existing.mp3', Buffer.alloc(3000));
    await expectProblem(await send('POST', `/records/${recordId}/attachments`, { fileName: 'big.bin', object: 'call-existing.mp3' }), 413, /2048/);
  });

  it('bodies that are not JSON where JSON is expected', async () => {
    const res = await send('POST', '/accounts', '{"phone": ', { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    const text = await send('POST', '/accounts', 'phone=+14155550100', { 'content-type': 'text/plain' });
    await expectProblem(text, 400, /not valid JSON/);
  });

  it('ids that are too long, and unknown endpoints', async () => {
    await expectProblem(await send('PATCH', `/records/${'x'.repeat(201)}`, { status: 'closed' }), 400, /id in the path/);
    await expectProblem(await send('DELETE', `/records/${recordId}`), 405, /DELETE is not allowed/);
    await expectProblem(await send('GET', '/tickets'), 404, /no such endpoint/);
  });
});
