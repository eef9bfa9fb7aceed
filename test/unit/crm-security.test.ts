/**
 * Issue #13 on the crm function: the mock journals only what passed authentication (a
 * refused request is counted, its body never stored), faults never run on the public token
 * route, CRM_MODE is chosen explicitly, state-changing admin calls need the bearer header
 * (Basic is what a browser caches and replays cross-site), a 401 does not name the custom
 * API-key header, a malformed RFC 5987 `filename*` is a 400, and an `object` attachment can
 * only copy the record's own artifacts.
 */
import { ConfigError } from '../../shared/config';
import { composeCrm } from '../../functions/crm/compose';
import {
  adminHeaders,
  basicAuth,
  CRM_ADMIN_TOKEN,
  CRM_API_KEY,
  CRM_CLIENT_ID,
  CRM_CLIENT_SECRET,
  type CrmUnderTest,
  crmEnv,
  startCrm,
} from '../support/crm-harness';

let app: CrmUnderTest;
afterEach(() => app?.stop());

const journal = () => Object.values(app.docs.dump('crmMockJournal'));
const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });
const post = (path: string, headers: Record<string, string>, body: unknown) =>
  fetch(`${app.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

describe('crm mock journal and faults', () => {
  beforeEach(async () => {
    app = await startCrm();
  });

  it('journals no request that failed authentication, counts it, and stores nothing of its body', async () => {
    const body = { phone: '+14155550123', name: 'Intruder Payload' };
    expect((await post('/accounts', { 'x-api-key': 'wrong-key-0123456789' }, body)).status).toBe(401);
    expect((await post('/accounts', {}, body)).status).toBe(401);
    expect((await post('/accounts', { authorization: basicAuth('ccaip', 'wrong') }, body)).status).toBe(401);
    expect(journal()).toHaveLength(0);
    expect(JSON.stringify(app.docs.dump('crmMockJournal'))).not.toContain('Intruder');

    const listed = (await (await fetch(`${app.url}/admin/journal`, { headers: adminHeaders })).json()) as {
      entries: unknown[];
      refused: { total: number; byOperation: Record<string, number> };
    };
    expect(listed.entries).toHaveLength(0);
    expect(listed.refused).toMatchObject({ total: 3, byOperation: { createAccount: 3 } });

    expect((await post('/accounts', { 'x-api-key': CRM_API_KEY }, body)).status).toBe(201);
    expect(journal()).toHaveLength(1);
  });

  it('journals a token request only once its client credentials are accepted', async () => {
    const token = (secret: string) =>
      fetch(`${app.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${CRM_CLIENT_ID}&client_secret=${secret}`,
      });
    expect((await token('guessed-secret-0000')).status).toBe(401);
    expect(journal()).toHaveLength(0);
    expect((await token(CRM_CLIENT_SECRET)).status).toBe(200);
    expect(journal()).toHaveLength(1);
  });

  it('runs no fault on the public token route, and leaves the fault for the authenticated call', async () => {
    const added = await fetch(`${app.url}/admin/faults`, { method: 'POST', headers: adminHeaders, ...json({ operation: '*', status: 500, times: 1 }) });
    expect(added.status).toBe(201);
    const token = await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${CRM_CLIENT_ID}&client_secret=${CRM_CLIENT_SECRET}`,
    });
    expect(token.status).toBe(200);
    expect((await post('/accounts', { 'x-api-key': 'wrong-key-0123456789' }, { phone: '+14155550123' })).status).toBe(401);
    expect((await post('/accounts', { 'x-api-key': CRM_API_KEY }, { phone: '+14155550123' })).status).toBe(500);
  });

  it('refuses a fault scripted for the public token route', async () => {
    const res = await fetch(`${app.url}/admin/faults`, { method: 'POST', headers: adminHeaders, ...json({ operation: 'token', status: 500 }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/token/);
  });
});

describe('crm admin endpoints', () => {
  beforeEach(async () => {
    app = await startCrm();
  });
  const basicAdmin = { authorization: `Basic ${Buffer.from(`admin:${CRM_ADMIN_TOKEN}`).toString('base64')}` };

  it('refuses state-changing calls with Basic credentials (what a browser replays cross-site) and changes nothing', async () => {
    expect((await post('/accounts', { 'x-api-key': CRM_API_KEY }, { phone: '+14155550123' })).status).toBe(201);
    for (const [method, path] of [
      ['POST', '/admin/reset'],
      ['POST', '/admin/faults'],
      ['DELETE', '/admin/faults'],
      ['DELETE', '/admin/faults/f-1'],
    ] as const) {
      const res = await fetch(`${app.url}${path}`, {
        method,
        headers: { ...basicAdmin, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 });
      expect(((await res.json()) as { message: string }).message).toMatch(/Bearer/);
      expect(res.headers.get('www-authenticate')).toBeNull();
    }
    expect(app.data()['crmMockAccounts']).toBe(1);
    expect((await fetch(`${app.url}/admin/reset`, { method: 'POST', headers: adminHeaders })).status).toBe(200);
    expect(app.data()['crmMockAccounts']).toBe(0);
  });

  it('still lets a browser read the pages with Basic', async () => {
    expect((await fetch(`${app.url}/admin/view`, { headers: basicAdmin })).status).toBe(200);
  });
});

describe('crm answers', () => {
  it('a 401 does not name the custom API-key header', async () => {
    app = await startCrm({ env: { CRM_AUTH_METHODS: 'header,basic', CRM_API_KEY_HEADER: 'X-Secret-Ccaip-Key' } });
    for (const headers of [{}, { 'x-secret-ccaip-key': 'wrong-wrong-wrong' }, { authorization: basicAuth('a', 'b') }]) {
      const res = await post('/accounts', headers, { phone: '+14155550123' });
      expect(res.status).toBe(401);
      const text = `${await res.text()} ${res.headers.get('www-authenticate')}`;
      expect(text.toLowerCase()).not.toContain('x-secret-ccaip-key');
    }
  });

  it.each([
    ["filename*=UTF-8''%E0%A4%A", 'broken percent-encoding'],
    ["filename*=UTF-8''%FF%FE", 'bytes that are not UTF-8'],
    ["filename*=KOI8-R''%C1", 'a charset RFC 5987 does not require'],
    ['filename*=no-quotes-at-all', 'no charset and language'],
  ])('a multipart upload with %s (%s) is a 400 and writes nothing', async (param) => {
    app = await startCrm();
    const record = (await (await post('/records', { authorization: basicAuth() }, { channel: 'voice', sessionId: 's-1', subject: 'x' })).json()) as {
      data: { id: string };
    };
    const boundary = 'b0undary';
    const body = Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; ${param}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--${boundary}--\r\n`,
    );
    const res = await fetch(`${app.url}/records/${record.data.id}/attachments`, {
      method: 'POST',
      headers: { authorization: basicAuth(), 'content-type': `multipart/form-data; boundary=${boundary}` },
      body,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/filename\*/);
    expect(app.data()['crmMockAttachments']).toBe(0);
  });

  it('a valid RFC 5987 filename* (UTF-8 or ISO-8859-1) names the file', async () => {
    app = await startCrm();
    const record = (await (await post('/records', { authorization: basicAuth() }, { channel: 'voice', sessionId: 's-1', subject: 'x' })).json()) as {
      data: { id: string };
    };
    for (const [param, expected] of [
      ["filename*=UTF-8''na%C3%AFve%20notes.txt", 'naïve notes.txt'],
      ["filename*=iso-8859-1'en'caf%E9.txt", 'café.txt'],
    ]) {
      const boundary = 'b0undary';
      const body = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; ${param}\r\n\r\nhello\r\n--${boundary}--\r\n`);
      const res = await fetch(`${app.url}/records/${record.data.id}/attachments`, {
        method: 'POST',
        headers: { authorization: basicAuth(), 'content-type': `multipart/form-data; boundary=${boundary}` },
        body,
      });
      expect(await res.json()).toMatchObject({ data: { fileName: expected } });
    }
  });
});

describe('crm object attachments copy only the record’s own artifacts', () => {
  let recordId: string;
  beforeEach(async () => {
    app = await startCrm();
    const res = await post('/records', { authorization: basicAuth() }, { channel: 'voice', sessionId: 'eng-1', subject: 'x' });
    recordId = ((await res.json()) as { data: { id: string } }).data.id;
    // The interaction worker's layout: <prefix>/yyyy/mm/dd/<engagementId>/<key>.<ext>, metadata engagementId.
    await app.bucket.write('zoom/2026/11/20/eng-1/recording-r1.mp3', Buffer.from('own'), { contentType: 'audio/mpeg', metadata: { engagementId: 'eng-1' } });
    await app.bucket.write('zoom/2026/11/20/eng-2/recording-r2.mp3', Buffer.from('foreign'), {
      contentType: 'audio/mpeg',
      metadata: { engagementId: 'eng-2' },
    });
    // An object placed under this engagement's folder by hand, without the worker's metadata.
    await app.bucket.write('zoom/2026/11/20/eng-1/planted.mp3', Buffer.from('planted'), { contentType: 'audio/mpeg', metadata: { engagementId: 'eng-2' } });
    // CCAI Platform's external storage naming: call-{id}.mp3, chat-{id}.txt, metadata-{id}.json.
    await app.bucket.write('ccai/chat-eng-1.txt', Buffer.from('chat'), { contentType: 'text/plain' });
    await app.bucket.write('ccai/chat-eng-10.txt', Buffer.from('other chat'), { contentType: 'text/plain' });
  });
  const attach = (object: string) => post(`/records/${recordId}/attachments`, { authorization: basicAuth() }, { fileName: 'a.bin', object });

  it('copies an artifact the worker archived for this record’s engagement', async () => {
    expect((await attach('gs://ccbridge-test-archive/zoom/2026/11/20/eng-1/recording-r1.mp3')).status).toBe(201);
    expect((await attach('gs://ccbridge-test-archive/ccai/chat-eng-1.txt')).status).toBe(201);
    expect(app.data()['crmMockAttachments']).toBe(2);
  });

  it.each([
    'gs://ccbridge-test-archive/zoom/2026/11/20/eng-2/recording-r2.mp3',
    'gs://ccbridge-test-archive/zoom/2026/11/20/eng-1/planted.mp3',
    'gs://ccbridge-test-archive/ccai/chat-eng-10.txt',
    'gs://ccbridge-test-archive/ccai/missing-eng-1.txt',
  ])('refuses %s as not found among the record’s artifacts, and copies nothing', async (object) => {
    const res = await attach(object);
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/not among the artifacts of record/);
    expect(app.data()['crmMockAttachments']).toBe(0);
  });
});

describe('crm configuration', () => {
  it('needs CRM_MODE chosen explicitly: no silent default to the mock', () => {
    let error: unknown;
    try {
      composeCrm(crmEnv({ CRM_MODE: undefined }));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String((error as Error).message)).toMatch(/CRM_MODE/);
  });
});
