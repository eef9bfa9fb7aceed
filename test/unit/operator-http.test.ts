/**
 * The operator function over in-memory stores, through the Functions Framework: stored text is
 * escaped in the page (a note reason cannot inject markup), a phone number typed in is never
 * echoed back, bad parameters are 400s naming them, and the page carries a CSP without scripts.
 */
import * as ff from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { composeOperator } from '../../functions/operator/compose';
import { createMemoryBlobStore } from '../support/doubles/memory-blobstore';
import { createMemoryDocStore } from '../support/doubles/memory-docstore';
import { createLedger } from '../../shared/zoom/ledger';
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
    expect(await page.text()).not.toMatch(/555/);
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
