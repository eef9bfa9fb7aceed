/**
 * `node_modules/.bin/tsx scripts/terraform/preflight.ts --project P --plan plan.json`
 *
 * Before an apply (Cloud Build runs it between plan and the approval gate), what Google would
 * refuse only half-way through the apply (docs/contracts/google-cloud.md §6):
 *  - the organisation forbids allUsers bindings (iam.allowedPolicyMemberDomains) while the plan
 *    makes crm, ui-connector or zoom-webhook public → fail, with the alternatives;
 *  - the organisation forbids service-account keys (iam.disableServiceAccountKeyCreation) →
 *    a warning: the CCAI Platform storage key must come from an exception or another route;
 *  - a secret a function mounts has no enabled version and the plan sends none → fail: the
 *    function's revision would not start (add it with gcloud secrets versions add).
 * Reads the plan as `terraform show -json tfplan` writes it. Exit 0 clean or warnings only,
 * 1 a blocker, 2 usage.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as z from 'zod';

export interface PreflightApi {
  /** Effective org policy of a constraint on the project (Resource Manager v1 getEffectiveOrgPolicy). */
  effectivePolicy(project: string, constraint: string): Promise<unknown>;
  /** Enabled versions of a secret; null when the secret does not exist yet. */
  enabledVersions(project: string, secretId: string): Promise<number | null>;
}

const policySchema = z.looseObject({
  booleanPolicy: z.looseObject({ enforced: z.boolean().optional() }).optional(),
  listPolicy: z
    .looseObject({
      allowedValues: z.array(z.string()).optional(),
      deniedValues: z.array(z.string()).optional(),
      allValues: z.enum(['ALL_VALUES_UNSPECIFIED', 'ALLOW', 'DENY']).optional(),
    })
    .optional(),
});

interface PlannedResource {
  address: string;
  type: string;
  values?: Record<string, unknown>;
}
const planSchema = z.looseObject({
  planned_values: z.looseObject({ root_module: z.unknown() }).optional(),
});

/** Every resource the plan will have, child modules included. */
export function plannedResources(plan: unknown): PlannedResource[] {
  const parsed = planSchema.safeParse(plan);
  if (!parsed.success) throw new Error('not a terraform show -json plan');
  const out: PlannedResource[] = [];
  const walk = (mod: unknown) => {
    if (typeof mod !== 'object' || mod === null) return;
    const m = mod as { resources?: PlannedResource[]; child_modules?: unknown[] };
    for (const r of m.resources ?? []) out.push(r);
    for (const c of m.child_modules ?? []) walk(c);
  };
  walk(parsed.data.planned_values?.root_module);
  return out;
}

export interface Finding {
  level: 'blocker' | 'warning' | 'ok';
  message: string;
}

export async function preflight(api: PreflightApi, project: string, plan: unknown): Promise<Finding[]> {
  const resources = plannedResources(plan);
  const findings: Finding[] = [];

  const publicBindings = resources
    .filter((r) => r.type === 'google_cloud_run_service_iam_member' && r.values?.['member'] === 'allUsers')
    .map((r) => String(r.values?.['service'] ?? r.address));
  const domains = policySchema.safeParse(await api.effectivePolicy(project, 'constraints/iam.allowedPolicyMemberDomains'));
  const restricted =
    domains.success &&
    domains.data.listPolicy !== undefined &&
    (domains.data.listPolicy.allValues === 'DENY' || (domains.data.listPolicy.allowedValues?.length ?? 0) > 0);
  if (restricted && publicBindings.length > 0) {
    findings.push({
      level: 'blocker',
      message:
        `the organisation restricts IAM members to its domains (iam.allowedPolicyMemberDomains), so ` +
        `allUsers cannot invoke ${publicBindings.join(', ')}. Set public_access = "none" and either turn off Cloud Run's ` +
        `invoker IAM check on them (gcloud run services update NAME --no-invoker-iam-check, the way Cloud Run documents for ` +
        `this constraint) or put an authenticated front (API Gateway / HTTPS load balancer) before them; ` +
        `terraform/README.md "Organisation policies"`,
    });
  } else findings.push({ level: 'ok', message: `allUsers bindings: ${restricted ? 'restricted, but the plan makes none' : 'allowed by the organisation'}` });

  const keys = policySchema.safeParse(await api.effectivePolicy(project, 'constraints/iam.disableServiceAccountKeyCreation'));
  if (keys.success && keys.data.booleanPolicy?.enforced === true) {
    findings.push({
      level: 'warning',
      message:
        'service-account key creation is disabled (iam.disableServiceAccountKeyCreation): Terraform creates no ' +
        'key, but the CCAI Platform storage key you add to ccaip-storage-key needs an exception for the ccaip-storage ' +
        'account (or a storage setup without keys from CCAI Platform); terraform/README.md "CCAI Platform external ' +
        'storage"',
    });
  } else findings.push({ level: 'ok', message: 'service-account keys: allowed' });

  const secrets = resources.filter((r) => r.type === 'google_secret_manager_secret').map((r) => String(r.values?.['secret_id'] ?? ''));
  const sent = new Set(resources.filter((r) => r.type === 'google_secret_manager_secret_version').map((r) => /\["([^"]+)"\]$/.exec(r.address)?.[1] ?? ''));
  const mounted = new Set(
    resources
      .filter((r) => r.type === 'google_cloudfunctions2_function')
      .flatMap((r) => {
        const sc = (r.values?.['service_config'] as Array<{ secret_environment_variables?: Array<{ secret?: string }> }> | undefined)?.[0];
        return (sc?.secret_environment_variables ?? []).map((s) => String(s.secret ?? ''));
      }),
  );
  const missing: string[] = [];
  for (const id of secrets.filter((s) => mounted.has(s)).sort()) {
    if (sent.has(id)) continue;
    const versions = await api.enabledVersions(project, id);
    if (!versions) missing.push(versions === null ? `${id} (the secret is created by this apply)` : id);
  }
  if (missing.length > 0) {
    findings.push({
      level: 'blocker',
      message:
        `secrets a function mounts have no enabled version, so its revision would not start: ` +
        `${missing.join(', ')}. Create them first (terraform apply -target=module.secrets), add each value (gcloud secrets ` +
        `versions add ID --data-file=-), then apply; terraform/README.md "Secrets"`,
    });
  } else findings.push({ level: 'ok', message: `secrets: every mounted secret has a value (${mounted.size})` });
  return findings;
}

/** The Google REST calls, with a bearer token from Application Default Credentials. */
export function googleApi(
  token: () => Promise<string>,
  fetchFn: typeof fetch = fetch,
  bases = { crm: 'https://cloudresourcemanager.googleapis.com', secrets: 'https://secretmanager.googleapis.com' },
): PreflightApi {
  const call = async (url: string, init: RequestInit = {}) =>
    fetchFn(url, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
    });
  return {
    async effectivePolicy(project, constraint) {
      const res = await call(`${bases.crm}/v1/projects/${encodeURIComponent(project)}:getEffectiveOrgPolicy`, {
        method: 'POST',
        body: JSON.stringify({ constraint }),
      });
      if (!res.ok) throw new Error(`getEffectiveOrgPolicy ${constraint}: HTTP ${res.status}`);
      return res.json();
    },
    async enabledVersions(project, secretId) {
      const res = await call(
        `${bases.secrets}/v1/projects/${encodeURIComponent(project)}/secrets/` +
          `${encodeURIComponent(secretId)}/versions?filter=${encodeURIComponent('state:ENABLED')}`,
      );
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`list versions of ${secretId}: HTTP ${res.status}`);
      const body = z.looseObject({ versions: z.array(z.unknown()).optional() }).parse(await res.json());
      return body.versions?.length ?? 0;
    },
  };
}

async function main(argv: string[]): Promise<number> {
  let values: { project?: string | undefined; plan?: string | undefined };
  try {
    ({ values } = parseArgs({ args: argv, options: { project: { type: 'string' }, plan: { type: 'string' } }, strict: true }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\nusage: preflight.ts --project P --plan plan.json\n`);
    return 2;
  }
  if (!values.project || !values.plan) {
    process.stderr.write('usage: preflight.ts --project P --plan plan.json (terraform show -json tfplan)\n');
    return 2;
  }
  const { GoogleAuth } = await import('google-auth-library');
  const auth = new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform'] });
  const api = googleApi(async () => (await auth.getAccessToken()) ?? '');
  const findings = await preflight(api, values.project, JSON.parse(readFileSync(values.plan, 'utf8')));
  for (const f of findings) process.stderr.write(`preflight: ${f.level === 'ok' ? 'ok' : f.level.toUpperCase()}: ${f.message}\n`);
  return findings.some((f) => f.level === 'blocker') ? 1 : 0;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await main(process.argv.slice(2));
