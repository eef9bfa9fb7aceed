// cloudbuild.yaml: the steps run in the promised order in the right images, every
// substitution it uses is declared (Cloud Build rejects unknown ones), and Terraform is
// initialised against the GCS state bucket.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const text = readFileSync(join(repo, 'cloudbuild.yaml'), 'utf8');

interface Step {
  id: string;
  name: string;
  body: string;
}

/** The steps list, read line by line (this file's own simple layout; no YAML parser needed). */
function steps(): Step[] {
  const out: Step[] = [];
  const lines = text.slice(text.indexOf('\nsteps:')).split('\n');
  let current: Step | null = null;
  for (const line of lines) {
    const id = /^ {2}- id: (\S+)/.exec(line);
    if (id) {
      current = { id: id[1] ?? '', name: '', body: '' };
      out.push(current);
      continue;
    }
    if (!current) continue;
    const name = /^ {4}name: (\S+)/.exec(line);
    if (name) current.name = name[1] ?? '';
    current.body += line + '\n';
  }
  return out;
}

function substitution(name: string): string | undefined {
  const m = new RegExp(`^ {2}${name}: ("[^"]*"|\\S+)`, 'm').exec(text);
  return m?.[1]?.replace(/^"|"$/g, '');
}

describe('cloudbuild.yaml', () => {
  it('installs, type-checks, lints, tests and builds before terraform init, plan and apply', () => {
    expect(steps().map((s) => s.id)).toEqual(['npm-install', 'typecheck', 'lint', 'test', 'build', 'terraform-vars', 'terraform-init', 'terraform-plan', 'terraform-apply', 'terraform-output', 'post-apply']);
  });

  it('runs node steps in node:22 and terraform steps in the hashicorp/terraform image', () => {
    expect(substitution('_NODE_IMAGE')).toBe('node:22');
    expect(substitution('_TF_IMAGE')).toMatch(/^hashicorp\/terraform:1\.(1[1-9]|[2-9]\d)/);
    const byImage = (image: string): string[] => steps().filter((s) => s.name === image).map((s) => s.id);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    expect(byImage('${_NODE_IMAGE}')).toEqual(['npm-install', 'typecheck', 'lint', 'test', 'build', 'post-apply']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    expect(byImage('${_TF_IMAGE}')).toEqual(['terraform-init', 'terraform-plan', 'terraform-apply', 'terraform-output']);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    expect(byImage('${_GCLOUD_IMAGE}')).toEqual(['terraform-vars']);
  });

  it('runs the npm scripts the project defines (npm test, npm run build, ...)', () => {
    const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const script of ['typecheck', 'lint', 'test', 'build', 'siprec']) expect(Object.keys(pkg.scripts)).toContain(script);
    const byId = new Map(steps().map((s) => [s.id, s.body]));
    expect(byId.get('test')).toContain('args: ["test"]');
    expect(byId.get('build')).toContain('args: ["run", "build"]');
  });

  it('initialises terraform with the GCS backend bucket from a substitution and plans project, region and environment', () => {
    const byId = new Map(steps().map((s) => [s.id, s.body]));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    expect(byId.get('terraform-init')).toContain('-backend-config=bucket=${_TF_STATE_BUCKET}');
    const plan = byId.get('terraform-plan') ?? '';
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    for (const v of ['-var=project_id=${_DEPLOY_PROJECT}', '-var=region=${_REGION}', '-var=environment=${_ENVIRONMENT}', '-var=run_local_provisioners=false']) expect(plan).toContain(v);
    expect(byId.get('terraform-apply')).toContain('"tfplan"');
    const versions = readFileSync(join(repo, 'terraform', 'versions.tf'), 'utf8');
    expect(versions).toMatch(/backend "gcs" \{\}/);
  });

  it('fetches the environment\'s terraform.tfvars (no secret values) from beside its state, where terraform loads it', () => {
    const byId = new Map(steps().map((s) => [s.id, s.body]));
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    expect(byId.get('terraform-vars')).toContain('gs://${_TF_STATE_BUCKET}/ccbridge/${_ENVIRONMENT}/terraform.tfvars terraform/terraform.tfvars');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Cloud Build substitution syntax
    expect(byId.get('terraform-init')).toContain('-backend-config=prefix=ccbridge/${_ENVIRONMENT}');
  });

  it('declares every user substitution it uses (Cloud Build rejects undeclared ones)', () => {
    const used = new Set([...text.matchAll(/\$\{(_[A-Z0-9_]+)\}/g)].map((m) => m[1]));
    for (const name of used) expect([name, substitution(name ?? '') !== undefined]).toEqual([name, true]);
    expect(used).toEqual(new Set(['_DEPLOY_PROJECT', '_REGION', '_ENVIRONMENT', '_TF_STATE_BUCKET', '_TF_IMAGE', '_NODE_IMAGE', '_GCLOUD_IMAGE']));
  });
});
