// cloudbuild.yaml (test, build, plan, preflight, store the plan) and cloudbuild-apply.yaml
// (the approved plan applied): steps in order in the right images, the same test command as
// CI, every substitution declared (Cloud Build rejects unknown ones), Terraform initialised
// against the GCS state bucket, validate and plan before any apply, and apply only of a stored
// plan. test/cloudbuild/cloudbuild-steps.slow.ts runs the test step itself on a fresh clone.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCloudBuildSteps } from '../support/cloudbuild';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const planText = readFileSync(join(repo, 'cloudbuild.yaml'), 'utf8');
const applyText = readFileSync(join(repo, 'cloudbuild-apply.yaml'), 'utf8');
const planSteps = readCloudBuildSteps(join(repo, 'cloudbuild.yaml'));
const applySteps = readCloudBuildSteps(join(repo, 'cloudbuild-apply.yaml'));
const sub = (name: string) => `\${${name}}`;

function substitution(text: string, name: string): string | undefined {
  const m = new RegExp(`^ {2}${name}: ("[^"]*"|\\S+)`, 'm').exec(text);
  return m?.[1]?.replace(/^"|"$/g, '');
}
const byId = (steps: typeof planSteps) => new Map(steps.map((s) => [s.id, s]));

describe('cloudbuild.yaml (plan build)', () => {
  it('tests and builds, then terraform init, validate, plan, preflight, and stores the plan — no apply', () => {
    expect(planSteps.map((s) => s.id)).toEqual([
      'test',
      'build',
      'agent-assist-ui-image',
      'terraform-vars',
      'terraform-init',
      'terraform-validate',
      'terraform-plan',
      'preflight',
      'store-plan',
    ]);
    expect(planText).not.toMatch(/terraform apply|"apply"/);
  });

  it('builds the Agent Assist Cloud Run image from dist/ui-connector-run when a repository is given, and plans exactly that image', () => {
    const steps = byId(planSteps);
    expect(steps.get('build')!.args.join(' ')).toContain('scripts/build-agent-assist-ui.ts');
    const image = steps.get('agent-assist-ui-image')!.body;
    expect(image).toContain(`gcloud builds submit dist/ui-connector-run`);
    expect(image).toContain(`--pack=image=${sub('_AGENT_ASSIST_UI_IMAGE_REPO')}:${sub('BUILD_ID')}`);
    // No repository: nothing built, and the plan gets no image variable (the service stays off).
    expect(image).toMatch(/if \[ -z "\$\{_AGENT_ASSIST_UI_IMAGE_REPO\}" \]; then [^\n]*exit 0; fi/);
    const plan = steps.get('terraform-plan')!.body;
    expect(plan).toContain('-var=agent_assist_ui_image=$$(cat /workspace/agent-assist-ui-image)');
    expect(plan).toMatch(/-var=run_local_provisioners=false \$\$image_var/);
    // A bare $ would be taken by Cloud Build as a substitution: shell variables are written $$.
    expect(plan.replace(/\$\$|\$\{_?[A-Z0-9_]+\}/g, '')).not.toContain('$');
  });

  it('runs the very command CI runs (.ci/run: scripts/setup.sh, then npm test), which installs Chromium on the node:22 image', () => {
    const ci = readFileSync(join(repo, '.ci', 'run'), 'utf8');
    expect(ci).toContain('bash scripts/setup.sh');
    expect(ci).toMatch(/npm test/);
    const test = byId(planSteps).get('test')!;
    expect([test.name, test.entrypoint, test.args]).toEqual([sub('_NODE_IMAGE'), 'bash', ['-c', 'bash scripts/setup.sh && npm test']]);
    expect(readFileSync(join(repo, 'scripts', 'setup.sh'), 'utf8')).toMatch(/apt-get install -y[^\n]*chromium/);
  });

  it('runs node steps in node:22, terraform steps in hashicorp/terraform ≥ 1.11, gcloud steps in the Cloud SDK image', () => {
    expect(substitution(planText, '_NODE_IMAGE')).toBe('node:22');
    expect(substitution(planText, '_TF_IMAGE')).toMatch(/^hashicorp\/terraform:1\.(1[1-9]|[2-9]\d)/);
    const byImage = (image: string) => planSteps.filter((s) => s.name === sub(image)).map((s) => s.id);
    expect(byImage('_NODE_IMAGE')).toEqual(['test', 'build', 'preflight']);
    expect(byImage('_TF_IMAGE')).toEqual(['terraform-init', 'terraform-validate', 'terraform-plan']);
    expect(byImage('_GCLOUD_IMAGE')).toEqual(['agent-assist-ui-image', 'terraform-vars', 'store-plan']);
  });

  it('initialises terraform with the GCS backend from substitutions, validates, and plans project, region and environment into tfplan', () => {
    const steps = byId(planSteps);
    expect(steps.get('terraform-init')!.body).toContain(`-backend-config=bucket=${sub('_TF_STATE_BUCKET')}`);
    expect(steps.get('terraform-init')!.body).toContain(`-backend-config=prefix=ccbridge/${sub('_ENVIRONMENT')}`);
    expect(steps.get('terraform-validate')!.args).toEqual(['validate']);
    const plan = steps.get('terraform-plan')!.body;
    for (const v of [
      `-var=project_id=${sub('_DEPLOY_PROJECT')}`,
      `-var=region=${sub('_REGION')}`,
      `-var=environment=${sub('_ENVIRONMENT')}`,
      '-var=run_local_provisioners=false',
      '-out=tfplan',
      'terraform show -json tfplan > /workspace/plan.json',
    ])
      expect(plan).toContain(v);
    expect(steps.get('preflight')!.body).toContain('scripts/terraform/preflight.ts --project');
    expect(readFileSync(join(repo, 'terraform', 'versions.tf'), 'utf8')).toMatch(/backend "gcs" \{\}/);
  });

  it("fetches the environment's terraform.tfvars from beside its state, and stores plan, bundles and provider lock under the build id", () => {
    const steps = byId(planSteps);
    expect(steps.get('terraform-vars')!.body).toContain(
      `gs://${sub('_TF_STATE_BUCKET')}/ccbridge/${sub('_ENVIRONMENT')}/terraform.tfvars terraform/terraform.tfvars`,
    );
    const store = steps.get('store-plan')!.body;
    for (const what of ['terraform/tfplan', 'terraform/.terraform.lock.hcl', 'terraform/.build', `plans/${sub('BUILD_ID')}/`]) expect(store).toContain(what);
  });

  it('declares every user substitution it uses', () => {
    const used = new Set([...planText.matchAll(/\$\{(_[A-Z0-9_]+)\}/g)].map((m) => m[1]));
    for (const name of used) expect([name, substitution(planText, name ?? '') !== undefined]).toEqual([name, true]);
  });
});

describe('cloudbuild-apply.yaml (behind the approval gate)', () => {
  it('fetches the stored plan, initialises with the stored provider lock (read-only), applies exactly that plan, then the post-apply command', () => {
    expect(applySteps.map((s) => s.id)).toEqual(['fetch-plan', 'terraform-init', 'terraform-apply', 'terraform-output', 'post-apply']);
    const steps = byId(applySteps);
    expect(steps.get('fetch-plan')!.body).toContain(`plans/${sub('_PLAN_BUILD_ID')}/`);
    expect(steps.get('terraform-init')!.body).toContain('-lockfile=readonly');
    expect(steps.get('terraform-apply')!.args).toEqual(['apply', '-input=false', '-lock-timeout=5m', 'tfplan']);
  });

  it('is meant for a trigger created with --require-approval (Cloud Build approves whole builds)', () => {
    expect(applyText).toContain('--require-approval');
  });

  it('declares every user substitution it uses', () => {
    const used = new Set([...applyText.matchAll(/\$\{(_[A-Z0-9_]+)\}/g)].map((m) => m[1]));
    for (const name of used) expect([name, substitution(applyText, name ?? '') !== undefined]).toEqual([name, true]);
  });
});
