/**
 * The mock's read-only pages, as a person sees them: rendered by headless Chromium (Debian's
 * `chromium`, installed once with `apt-get install -y chromium`; CI installs it too) from the
 * crm function on the local stack, after a CCAI Platform sequence with a failing step.
 */
import { existsSync } from 'node:fs';
import { type Stack, startStack } from '../../local/stack';
import { CHROMIUM, dumpDom } from '../support/chromium';
import { runCcaipSequence, sampleSequence } from '../support/crm-sequence';

/** The elements of a dumped DOM matching a simple `tag.class` / `#id` selector, as text. */
function texts(dom: string, pattern: RegExp): string[] {
  return [...dom.matchAll(pattern)].map((m) => m[1]!.replace(/<[^>]+>/g, '').trim());
}

let stack: Stack;
let crmUrl: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  stack = await startStack({ functions: ['crm'] });
  crmUrl = stack.functions['crm']!;
});
afterAll(() => stack?.stop());

test('the session page shows the call sequence as CCAI Platform made it, first failure marked', async () => {
  const admin = { authorization: `Bearer ${stack.credentials.crmAdminToken}`, 'content-type': 'application/json' };
  await fetch(`${crmUrl}/admin/reset`, { method: 'POST', headers: admin });
  await fetch(`${crmUrl}/admin/faults`, {
    method: 'POST',
    headers: admin,
    body: JSON.stringify({ endpoint: 'POST /records/{id}/comments', status: 500, times: 1 }),
  });
  const headers = { 'x-api-key': stack.credentials.crmApiKey };
  const result = await runCcaipSequence(crmUrl, headers, { ...sampleSequence('page-<script>-1'), comment: '<img src=x onerror=alert(1)>' });
  expect(result.steps.map((s) => s.status)).toEqual([200, 201, 200, 201, 500, 201, 200]);

  // A browser authenticates with Basic, the admin token as password (it prompts for it).
  const gateway = new URL(crmUrl);
  const pageUrl =
    `${gateway.protocol}//admin:${stack.credentials.crmAdminToken}@${gateway.host}` +
    `${gateway.pathname}/admin/view/sessions/${encodeURIComponent('page-<script>-1')}`;
  const dom = await dumpDom(pageUrl);

  expect(texts(dom, /<code id="session-id">([\s\S]*?)<\/code>/g)).toEqual(['page-<script>-1'.replace('<', '&lt;').replace('>', '&gt;')]);
  expect(texts(dom, /<td class="operation">([\s\S]*?)<\/td>/g)).toEqual([
    'findAccount',
    'createAccount',
    'findRecord',
    'createRecord',
    'addComment',
    'addAttachment',
    'updateRecord',
  ]);
  expect(texts(dom, /<td class="status (?:ok|err)">([\s\S]*?)<\/td>/g)).toEqual(['200', '201', '200', '201', '500', '201', '200']);
  expect(texts(dom, /<p id="first-failure"[^>]*>([\s\S]*?)<\/p>/g)[0]).toMatch(/First failing step: #5 addComment answered 500/);
  expect(dom).toMatch(/<tr class="call failed origin" data-operation="addComment" data-status="500">/);
  expect(texts(dom, /<td class="fault">([\s\S]*?)<\/td>/g).filter(Boolean)).toEqual([expect.stringMatching(/status 500 \[use 1 of 1\]/)]);
  expect(texts(dom, /<span id="records">([\s\S]*?)<\/span>/g)).toEqual([result.recordId]);
  // What CCAI Platform sent is shown, escaped: the injected markup is text, not elements.
  expect(dom).toContain('&lt;img src=x onerror=alert(1)&gt;');
  expect(dom).not.toMatch(/<img /);
  expect(dom).toContain('x-api-key: [redacted]');
  expect(dom).not.toContain(stack.credentials.crmApiKey);

  // The index lists the session with a link that works relative to wherever the page is served.
  const index = await dumpDom(`${gateway.protocol}//admin:${stack.credentials.crmAdminToken}@${gateway.host}${gateway.pathname}/admin/view`);
  expect(index).toMatch(/<a href="view\/sessions\/page-%3Cscript%3E-1">page-&lt;script&gt;-1<\/a>/);

  // Without the admin token there is no page.
  const anonymous = await fetch(`${crmUrl}/admin/view/sessions/x`);
  expect(anonymous.status).toBe(401);
  expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="ccbridge-crm-admin"');
}, 120_000);
