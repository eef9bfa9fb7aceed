/**
 * scripts/terraform/preflight.ts: what Google would refuse half-way through an apply is found
 * before it (docs/contracts/google-cloud.md §6) — against a fake of the two REST APIs, real
 * HTTP, and a plan in `terraform show -json` form.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { googleApi, preflight } from '../../scripts/terraform/preflight';

const fn = (name: string, secrets: string[]) => ({
  address: `module.function["${name}"].google_cloudfunctions2_function.this`,
  type: 'google_cloudfunctions2_function',
  values: { name, service_config: [{ secret_environment_variables: secrets.map((s) => ({ key: s.toUpperCase(), secret: s })) }] },
});
const plan = (resources: unknown[]) => ({ planned_values: { root_module: { resources: [], child_modules: [{ resources }] } } });
const basePlan = [
  fn('zoom-webhook', ['zoom-webhook-secret']),
  {
    address: 'google_cloud_run_service_iam_member.public_invoker["zoom-webhook"]',
    type: 'google_cloud_run_service_iam_member',
    values: { service: 'zoom-webhook', member: 'allUsers' },
  },
  {
    address: 'module.secrets.google_secret_manager_secret.this["zoom-webhook-secret"]',
    type: 'google_secret_manager_secret',
    values: { secret_id: 'zoom-webhook-secret' },
  },
];

let server: http.Server;
let base: string;
let state: { domains: unknown; keys: unknown; versions: Record<string, number | null> };
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.headers.authorization !== 'Bearer t0k') return void res.writeHead(401).end();
      if (req.url?.endsWith(':getEffectiveOrgPolicy')) {
        const constraint = (JSON.parse(body) as { constraint: string }).constraint;
        return void res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify(constraint.endsWith('allowedPolicyMemberDomains') ? state.domains : state.keys));
      }
      const m = /\/secrets\/([^/]+)\/versions\?filter=state%3AENABLED$/.exec(req.url ?? '');
      const count = m ? state.versions[m[1]!] : undefined;
      if (!m || count === null || count === undefined) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(count ? { versions: Array.from({ length: count }, (_, i) => ({ name: `v${i}` })) } : {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  state = {
    domains: { constraint: 'constraints/iam.allowedPolicyMemberDomains' },
    keys: { constraint: 'constraints/iam.disableServiceAccountKeyCreation' },
    versions: { 'zoom-webhook-secret': 1 },
  };
});
const api = () => googleApi(async () => 't0k', fetch, { crm: base, secrets: base });
const levels = async (p: unknown) => (await preflight(api(), 'p', p)).map((f) => f.level);

test('a clean project passes', async () => {
  expect(await levels(plan(basePlan))).toEqual(['ok', 'ok', 'ok']);
});

test('domain-restricted sharing with allUsers in the plan is a blocker naming the alternatives', async () => {
  state.domains = { listPolicy: { allowedValues: ['C0abc123'] } };
  const findings = await preflight(api(), 'p', plan(basePlan));
  expect(findings[0]).toMatchObject({
    level: 'blocker',
    message: expect.stringMatching(/zoom-webhook.*public_access = "none".*--no-invoker-iam-check.*authenticated front/),
  });
  // Without allUsers in the plan (public_access = "none") it is fine.
  expect((await levels(plan(basePlan.filter((r) => r.type !== 'google_cloud_run_service_iam_member'))))[0]).toBe('ok');
});

test('disabled key creation is a warning about the CCAI Platform key', async () => {
  state.keys = { booleanPolicy: { enforced: true } };
  expect(await levels(plan(basePlan))).toEqual(['ok', 'warning', 'ok']);
});

test('a mounted secret without an enabled version (or not created yet) is a blocker, unless the plan sends its value', async () => {
  state.versions = { 'zoom-webhook-secret': 0 };
  expect((await preflight(api(), 'p', plan(basePlan)))[2]).toMatchObject({ level: 'blocker', message: expect.stringContaining('zoom-webhook-secret') });
  state.versions = { 'zoom-webhook-secret': null };
  expect((await preflight(api(), 'p', plan(basePlan)))[2]).toMatchObject({ level: 'blocker', message: expect.stringContaining('created by this apply') });
  const sent = [
    ...basePlan,
    {
      address: 'module.secrets.google_secret_manager_secret_version.supplied["zoom-webhook-secret"]',
      type: 'google_secret_manager_secret_version',
      values: {},
    },
  ];
  expect((await levels(plan(sent)))[2]).toBe('ok');
});
