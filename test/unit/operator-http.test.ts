/**
 * The operator function over in-memory stores, through the Functions Framework: stored text is
 * escaped in the page (a note reason cannot inject markup), a phone number typed in is never
 * echoed back, bad parameters are 400s naming them, and the page carries a CSP without scripts.
 */
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { composeOperator } from '../../functions/operator/compose';
import { ConfigError } from '../../shared/config';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createLedger } from '../../shared/zoom/ledger';
import { type OidcIssuer, startOidcIssuer } from '../../local/oidc';
import { listen } from '../support/http';

const docs = createMemoryDocStore(() => new Date('2026-12-03T12:00:00Z'));
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  const ledger = createLedger(docs);
  await ledger.open('E<1>', {});
  await ledger.registerItem('E<1>', 'n', { kind: 'note', eventTs: 1 });
  await ledger.updateItem('E<1>', 'n', { state: 'failed', reason: '<script>alert(1)</script>', gaveUp: false });
  const handler = composeOperator(
    { GCP_PROJECT: 'ccbridge-test', ARCHIVE_BUCKET: 'archive', LOG_LEVEL: 'error', UI_CONNECTOR_KEY_HASH_SECRET: 'h'.repeat(32) },
    { docs, blobs: createMemoryBlobStore('archive') },
    { now: () => Date.parse('2026-12-03T12:00:00Z'), log: () => undefined },
  );
  ff.http('operatorHttpTest', handler);
  ({ url, close } = await listen(getTestServer('operatorHttpTest')));
});
afterAll(() => close?.());

describe('operator function', () => {
  it('escapes stored text in the page and sends a CSP that allows no script', async () => {
    const res = await fetch(`${url}/page?id=${encodeURIComponent('E<1>')}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(html).toMatch(/class="verdict failed"/);
  });

  it('takes phone numbers only in POST bodies and never echoes them (page or JSON)', async () => {
    const form = { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `id=${encodeURIComponent('+1 415 555 0100')}` };
    const page = await fetch(`${url}/page`, form);
    expect(page.status).toBe(200);
    // The chart's coordinates may hold "555"; the number, in any spelling, may not.
    expect(await page.text()).not.toMatch(/415\D{0,2}555\D?0100|5550100/);
    const json = await fetch(`${url}/api/trace`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: '(415) 555-0100' }),
    });
    expect(json.status).toBe(200);
    expect(await json.text()).not.toMatch(/555/);
    const inUrl = await fetch(`${url}/page?id=${encodeURIComponent('+1 415 555 0100')}`);
    expect(inUrl.status).toBe(400);
    expect(await inUrl.text()).not.toMatch(/555/);
  });

  it('answers 400 naming the bad parameter', async () => {
    const day = await fetch(`${url}/api/day?day=2026-02-31x`);
    expect(day.status).toBe(400);
    expect(await day.text()).toMatch(/day: must be YYYY-MM-DD/);
    expect((await fetch(`${url}/api/day?day=2026-02-30`)).status).toBe(400);
    const id = await fetch(`${url}/api/trace?id=${'x'.repeat(201)}`);
    expect(id.status).toBe(400);
    expect(await id.text()).toMatch(/id: at most 200 characters/);
  });
});

describe('operator function behind IAP (OPERATOR_REQUIRE_IAP)', () => {
  const AUDIENCE = '/projects/123456/locations/europe-west1/services/operator';
  let iap: OidcIssuer;
  let iapUrl: string;
  let closeIap: () => Promise<void>;
  beforeAll(async () => {
    iap = await startOidcIssuer();
    const env = {
      GCP_PROJECT: 'ccbridge-test',
      ARCHIVE_BUCKET: 'archive',
      LOG_LEVEL: 'error',
      OPERATOR_REQUIRE_IAP: 'true',
      OPERATOR_IAP_AUDIENCE: AUDIENCE,
      OPERATOR_IAP_KEYS_URL: iap.iapKeysUrl,
    };
    ff.http('operatorIapTest', composeOperator(env, { docs, blobs: createMemoryBlobStore('archive') }, { log: () => undefined }));
    ({ url: iapUrl, close: closeIap } = await listen(getTestServer('operatorIapTest')));
  });
  afterAll(async () => {
    await closeIap?.();
    await iap?.stop();
  });
  const get = (path: string, assertion?: string) => fetch(`${iapUrl}${path}`, { headers: assertion ? { 'x-goog-iap-jwt-assertion': assertion } : {} });

  it('answers the page and the JSON only with a valid IAP assertion for its audience, and never trusts the unsigned identity headers', async () => {
    expect((await get('/page', iap.mintIap(AUDIENCE, 'ops@example.com'))).status).toBe(200);
    expect((await get('/api/day?day=2026-12-03', iap.mintIap(AUDIENCE, 'ops@example.com'))).status).toBe(200);
    expect((await get('/page')).status).toBe(401);
    expect((await fetch(`${iapUrl}/api/trace?id=E1`, { headers: { 'x-goog-authenticated-user-email': 'accounts.google.com:ops@example.com' } })).status).toBe(
      401,
    );
    expect((await get('/api/trace?id=E1', iap.mintIap('/projects/1/global/backendServices/2', 'ops@example.com'))).status).toBe(401);
    expect((await get('/api/trace?id=E1', iap.mintIap(AUDIENCE, 'ops@example.com', { issuer: 'https://accounts.google.com' }))).status).toBe(401);
  });

  it('refuses to start behind IAP without an audience', () => {
    const start = () =>
      composeOperator(
        { GCP_PROJECT: 'ccbridge-test', ARCHIVE_BUCKET: 'archive', OPERATOR_REQUIRE_IAP: 'true' },
        { docs, blobs: createMemoryBlobStore('archive') },
      );
    expect(start).toThrow(ConfigError);
    expect(start).toThrow(/OPERATOR_IAP_AUDIENCE: required when OPERATOR_REQUIRE_IAP is true/);
  });
});
