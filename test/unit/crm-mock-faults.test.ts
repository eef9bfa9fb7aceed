/**
 * Scripted faults of the mock, per endpoint: status (with Retry-After), latency, malformed
 * body, missing id, "the next N calls" — and the journal that shows what CCAI Platform got.
 */
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createFaultBook } from '../../functions/crm/mock/faults';
import { adminHeaders, basicAuth, type CrmUnderTest, startCrm } from '../support/crm-harness';

let app: CrmUnderTest;
beforeEach(async () => {
  app = await startCrm();
});
afterEach(() => app.stop());

const admin = (method: string, path: string, body?: unknown) =>
  fetch(`${app.url}${path}`, {
    method,
    headers: { ...adminHeaders, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });

const createRecord = (sessionId: string) =>
  fetch(`${app.url}/records`, {
    method: 'POST',
    headers: { authorization: basicAuth(), 'content-type': 'application/json' },
    body: JSON.stringify({ channel: 'voice', sessionId, subject: 'Call' }),
  });

describe('crm mock fault scripts', () => {
  it('answers a scripted status for the next N calls of one endpoint only, without doing the operation', async () => {
    const added = await admin('POST', '/admin/faults', { endpoint: 'POST /records', status: 503, retryAfterSeconds: 2, times: 2 });
    expect(added.status).toBe(201);
    for (let i = 0; i < 2; i++) {
      const res = await createRecord('s-1');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(await res.json()).toMatchObject({ code: 'unavailable', message: expect.stringMatching(/fault injected/) });
    }
    expect(app.data()['crmMockRecords']).toBe(0);
    // other endpoints are untouched, and the third call goes through
    expect((await fetch(`${app.url}/records?sessionId=s-1`, { headers: { authorization: basicAuth() } })).status).toBe(200);
    expect((await createRecord('s-1')).status).toBe(201);
    const { faults } = (await (await admin('GET', '/admin/faults')).json()) as { faults: Array<{ used: number; times: number }> };
    expect(faults[0]).toMatchObject({ used: 2, times: 2 });
  });

  it('adds latency', async () => {
    await admin('POST', '/admin/faults', { operation: 'findAccount', latencyMs: 300, times: 1 });
    const started = Date.now();
    const res = await fetch(`${app.url}/accounts?phone=%2B14155550100`, { headers: { authorization: basicAuth() } });
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('returns a malformed body (the write still happens, as when a CRM breaks mid-answer)', async () => {
    await admin('POST', '/admin/faults', { operation: 'createRecord', malformedBody: true, times: 1 });
    const res = await createRecord('s-2');
    expect(res.status).toBe(201);
    await expect(res.clone().json()).rejects.toThrow();
    expect(app.data()['crmMockRecords']).toBe(1);
  });

  it('drops the id from a create (CCAI Platform then runs later steps without it)', async () => {
    await admin('POST', '/admin/faults', { operation: 'createRecord', missingId: true });
    const res = await createRecord('s-3');
    const body = (await res.json()) as { data: Record<string, unknown> };
    expect(res.status).toBe(201);
    expect(body.data['id']).toBeUndefined();
    expect(body.data['sessionId']).toBe('s-3');
  });

  it('applies "*" faults to every endpoint until cleared, and can be cleared or reset', async () => {
    await admin('POST', '/admin/faults', { faults: [{ operation: '*', status: 429, retryAfterSeconds: 10 }] });
    expect((await createRecord('s-4')).status).toBe(429);
    expect((await fetch(`${app.url}/accounts?email=a%40b.co`, { headers: { authorization: basicAuth() } })).status).toBe(429);
    expect(await (await admin('DELETE', '/admin/faults')).json()).toEqual({ deleted: 1 });
    expect((await createRecord('s-4')).status).toBe(201);

    const reset = await admin('POST', '/admin/reset', {});
    expect(reset.status).toBe(200);
    expect(app.data()['crmMockRecords']).toBe(0);
    expect(Object.keys(app.docs.dump('crmMockJournal'))).toHaveLength(0);
  });

  it('applies a fault with a probability to that share of calls, drawing for each fault in order, and counts each use', async () => {
    const draws = [0.9, 0.04, 0.5, 0.01, 0.99, 0.99];
    let ms = Date.parse('2026-11-21T10:00:00Z');
    // Fault ids sort by creation time: a clock that moves keeps them in the order added.
    const book = createFaultBook(
      createMemoryDocStore(),
      () => new Date(ms++),
      () => draws.shift() ?? 1,
    );
    await book.add({ operation: '*', status: 500, probability: 0.05 });
    await book.add({ operation: '*', status: 429, probability: 0.02 });
    // Call 1: 0.9 misses the 500, 0.04 misses the 429. Call 2: 0.5 misses, 0.01 hits the 429. Call 3: neither.
    expect(await book.take('addComment')).toBeUndefined();
    expect((await book.take('addComment'))?.status).toBe(429);
    expect(await book.take('updateRecord')).toBeUndefined();
    expect((await book.list()).map((f) => [f.status, f.probability, f.used])).toEqual([
      [500, 0.05, 0],
      [429, 0.02, 1],
    ]);
  });

  it('takes a probability over HTTP (1 = every call) and refuses one outside (0, 1]', async () => {
    expect((await admin('POST', '/admin/faults', { operation: 'createRecord', status: 500, probability: 1 })).status).toBe(201);
    expect((await createRecord('s-5')).status).toBe(500);
    await admin('DELETE', '/admin/faults');
    for (const probability of [0, 1.5, -0.1]) {
      const res = await admin('POST', '/admin/faults', { operation: 'createRecord', status: 500, probability });
      expect({ probability, status: res.status }).toEqual({ probability, status: 400 });
      expect(await res.text()).toMatch(/probability/);
    }
  });

  it('rejects fault scripts that make no sense, naming the problem', async () => {
    const bad = await admin('POST', '/admin/faults', { endpoint: 'POST /tickets', status: 200 });
    expect(bad.status).toBe(400);
    const text = await bad.text();
    expect(text).toMatch(/endpoint: must be one of/);
    expect(text).toMatch(/status: must be an HTTP error status/);
    expect((await admin('POST', '/admin/faults', { operation: 'createRecord', status: 500, missingId: true })).status).toBe(400);
    expect((await admin('POST', '/admin/faults', { operation: 'createRecord' })).status).toBe(400);
    expect(Object.keys(app.docs.dump('crmMockFaults'))).toHaveLength(0);
  });
});

describe('crm mock journal', () => {
  it('journals every request with redacted credentials, body, answer, latency and fault', async () => {
    await admin('POST', '/admin/faults', { operation: 'createRecord', status: 500, times: 1 });
    await createRecord('s-9');
    await createRecord('s-9');
    await fetch(`${app.url}/records?sessionId=s-9`, { headers: { 'x-api-key': 'wrong-key-0123456789' } });
    const { entries } = (await (await admin('GET', '/admin/journal?session=s-9')).json()) as { entries: Array<Record<string, unknown>> };
    expect(entries.map((e) => [e['operation'], e['status']])).toEqual([
      ['createRecord', 201],
      ['createRecord', 500],
    ]);
    const [ok, failed] = [entries[0]!, entries[1]!];
    expect(failed['fault']).toMatch(/status 500 \[use 1 of 1\]/);
    expect(ok['headers']).toMatchObject({ authorization: 'Basic [redacted]', 'content-type': 'application/json' });
    expect(JSON.stringify(entries)).not.toContain(Buffer.from('ccaip:test-crm-password').toString('base64'));
    expect(JSON.parse(ok['requestBody'] as string)).toEqual({ channel: 'voice', sessionId: 's-9', subject: 'Call' });
    expect(JSON.parse(ok['responseBody'] as string)).toMatchObject({ data: { sessionId: 's-9' } });
    expect(typeof ok['latencyMs']).toBe('number');
    expect(ok['auth']).toBe('basic');
    expect(new Date(ok['expireAt'] as string).getTime() - new Date(ok['at'] as string).getTime()).toBe(72 * 3600_000);

    // The request with a wrong key is counted, not journaled (see crm-security.test.ts).
    const all = (await (await admin('GET', '/admin/journal')).json()) as { entries: Array<Record<string, unknown>>; refused: { total: number } };
    expect(all.entries.find((e) => e['status'] === 401)).toBeUndefined();
    expect(all.refused.total).toBe(1);
  });

  it('redacts OAuth client secrets and issued tokens', async () => {
    await fetch(`${app.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&client_id=ccaip-client&client_secret=test-crm-oauth-client-secret',
    });
    const journal = JSON.stringify(app.docs.dump('crmMockJournal'));
    expect(journal).toContain('client_credentials');
    expect(journal).not.toContain('test-crm-oauth-client-secret');
    expect(journal).not.toMatch(/eyJ[\w-]+\.eyJ/);
  });

  it('gathers a session sequence including the account lookups made before the record existed', async () => {
    const headers = { authorization: basicAuth(), 'content-type': 'application/json' };
    await fetch(`${app.url}/accounts?phone=415-555-0199`, { headers });
    const acc = (await (await fetch(`${app.url}/accounts`, { method: 'POST', headers, body: JSON.stringify({ phone: '+14155550199' }) })).json()) as {
      data: { id: string };
    };
    const rec = (await (
      await fetch(`${app.url}/records`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ accountId: acc.data.id, channel: 'chat', sessionId: 'chat-77', subject: 'Chat' }),
      })
    ).json()) as { data: { id: string } };
    await fetch(`${app.url}/records/${rec.data.id}/comments`, { method: 'POST', headers, body: JSON.stringify({ body: 'hello' }) });
    await fetch(`${app.url}/records/${rec.data.id}`, { method: 'PATCH', headers, body: JSON.stringify({ status: 'closed' }) });
    // another session of another caller must not show up
    await fetch(`${app.url}/records`, { method: 'POST', headers, body: JSON.stringify({ channel: 'chat', sessionId: 'chat-78', subject: 'Other' }) });

    const res = await admin('GET', '/admin/sessions/chat-77');
    const { entries } = (await res.json()) as { entries: Array<{ operation: string; status: number }> };
    expect(entries.map((e) => `${e.operation} ${e.status}`)).toEqual([
      'findAccount 200',
      'createAccount 201',
      'createRecord 201',
      'addComment 201',
      'updateRecord 200',
    ]);
  });
});
