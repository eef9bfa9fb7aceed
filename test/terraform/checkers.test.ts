// Proves each offline check can fail: every checker is run on small inline configurations,
// one that is right and one broken in exactly the way the check exists to catch. Without
// these, a checker that finds nothing would pass the real configuration vacuously.

import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  checkAttributes,
  checkDeployments,
  checkModuleCalls,
  checkPrimitiveRoles,
  checkPublicInvokers,
  checkReferences,
  checkSecrets,
  checkSyntax,
  looksLikeCredential,
} from './lib/checks';
import { type Configuration, type Finding, loadConfiguration, memorySource } from './lib/hcl';
import { loadProviderSchema } from './lib/schema';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const schema = loadProviderSchema(join(repo, 'terraform'));
const ROOT = '/virtual/terraform';
const MANIFEST = '/virtual/functions/functions.json';
const PUBLIC = ['crm', 'ui-connector', 'zoom-webhook'];

function load(files: Record<string, string>): Promise<Configuration> {
  return loadConfiguration(ROOT, memorySource(ROOT, files));
}

// Findings come in the parser's key order; compare them as sorted lists.
const messages = (findings: Finding[]): string[] => findings.map((f) => `${f.where}: ${f.message}`).sort();

// A minimal well-formed deployment of one function, reused by several tests.
const manifest = (entryPoint = 'reconcile'): string => JSON.stringify({ functions: [{ name: 'reconcile', entryPoint, signature: 'http' }] });

const functionModule = {
  'modules/fn/variables.tf': `
variable "name" {
  type = string
}
variable "entry_point" {
  type = string
}
variable "source_dir" {
  type = string
}
variable "env" {
  type    = map(string)
  default = {}
}
variable "secret_env" {
  type    = map(string)
  default = {}
}
variable "runtime" {
  type    = string
  default = "nodejs22"
}
`,
  'modules/fn/main.tf': `
resource "google_service_account" "this" {
  account_id = "fn-\${var.name}"
}
data "archive_file" "bundle" {
  type        = "zip"
  source_dir  = var.source_dir
  output_path = "\${path.root}/.build/\${var.name}.zip"
}
resource "google_storage_bucket_object" "bundle" {
  bucket = "sources"
  name   = "\${var.name}/\${data.archive_file.bundle.output_md5}.zip"
  source = data.archive_file.bundle.output_path
}
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each  = toset(values(var.secret_env))
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.this.member
}
resource "google_cloudfunctions2_function" "this" {
  name     = var.name
  location = "us-central1"
  build_config {
    runtime     = var.runtime
    entry_point = var.entry_point
    source {
      storage_source {
        bucket = google_storage_bucket_object.bundle.bucket
        object = google_storage_bucket_object.bundle.name
      }
    }
  }
  service_config {
    service_account_email = google_service_account.this.email
    environment_variables = var.env
    dynamic "secret_environment_variables" {
      for_each = var.secret_env
      content {
        key        = secret_environment_variables.key
        project_id = "p"
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }
}
`,
  'modules/fn/outputs.tf': `
output "name" {
  value = google_cloudfunctions2_function.this.name
}
output "service_account_email" {
  value = google_service_account.this.email
}
`,
};

const rootFromManifest = (extraArgs = ''): string => `
locals {
  functions = { for f in jsondecode(file("\${path.module}/../functions/functions.json")).functions : f.name => f }
}
module "fn" {
  source      = "./modules/fn"
  for_each    = local.functions
  name        = each.key
  entry_point = each.value.entryPoint
  source_dir  = "\${path.module}/../dist/\${each.key}"
  ${extraArgs}
}
`;

describe('syntax check', () => {
  it('reports a file the HCL parser rejects, with its name', async () => {
    const config = await load({ 'main.tf': 'resource "google_pubsub_topic" "t" {\n  name = \n}\n' });
    const findings = checkSyntax(config);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.file).toBe('terraform/main.tf');
  });

  it('accepts a well-formed file', async () => {
    expect(checkSyntax(await load({ 'main.tf': 'resource "google_pubsub_topic" "t" {\n  name = "t"\n}\n' }))).toEqual([]);
  });
});

describe('reference check', () => {
  const base = `
variable "region" {
  type = string
}
locals {
  names = ["a", "b"]
}
resource "google_pubsub_topic" "t" {
  for_each = toset(local.names)
  name     = each.value
}
`;

  it('accepts references to declared variables, locals, resources, for-expression and dynamic iterators', async () => {
    const config = await load({
      'main.tf': `${base}
output "ids" {
  value = { for k, t in google_pubsub_topic.t : k => t.id if var.region != "" }
}
resource "google_storage_bucket" "b" {
  name     = "b"
  location = var.region
  dynamic "lifecycle_rule" {
    for_each = local.names
    content {
      condition {
        age = length(lifecycle_rule.value)
      }
      action {
        type = "Delete"
      }
    }
  }
}
`,
    });
    expect(checkReferences(config, schema)).toEqual([]);
  });

  it('reports an undeclared variable, a misspelled local and a resource that does not exist', async () => {
    const config = await load({
      'main.tf': `${base}
output "a" {
  value = var.regoin
}
output "b" {
  value = local.name
}
output "c" {
  value = google_pubsub_topic.missing.id
}
`,
    });
    expect(messages(checkReferences(config, schema))).toEqual(
      [
        'output.a: unresolved reference var.regoin (no such variable in terraform)',
        'output.b: unresolved reference local.name',
        'output.c: unresolved reference google_pubsub_topic.missing (no such resource, variable or iterator)',
      ].sort(),
    );
  });

  it('reports a misspelled attribute of a referenced resource (schema-checked)', async () => {
    const config = await load({ 'main.tf': `${base}\noutput "x" {\n  value = google_pubsub_topic.t["a"].nmae\n}\n` });
    expect(messages(checkReferences(config, schema))).toEqual(
      ['output.x: google_pubsub_topic.t has no attribute "nmae" (google_pubsub_topic, google provider 6.50.0)'].sort(),
    );
  });

  it('reports each.* outside for_each and a module output that does not exist', async () => {
    const config = await load({
      'main.tf': `
module "m" {
  source = "./modules/m"
}
output "x" {
  value = module.m.missing
}
resource "google_pubsub_topic" "single" {
  name = each.key
}
`,
      'modules/m/outputs.tf': 'output "present" {\n  value = 1\n}\n',
    });
    expect(messages(checkReferences(config, schema))).toEqual(
      ['module.m has no output "missing"', 'each.* used in a block without for_each']
        .map((m, i) => (i === 0 ? `output.x: ${m}` : `google_pubsub_topic.single: ${m}`))
        .sort(),
    );
  });
});

describe('module call check', () => {
  const child = { 'modules/m/variables.tf': 'variable "required" {\n  type = string\n}\nvariable "optional" {\n  type    = string\n  default = null\n}\n' };

  it('accepts a call that sets every required variable and only declared ones', async () => {
    const config = await load({ ...child, 'main.tf': 'module "m" {\n  source   = "./modules/m"\n  required = "x"\n}\n' });
    expect(checkModuleCalls(config)).toEqual([]);
  });

  it('reports an argument the module does not declare and a missing required variable', async () => {
    const config = await load({ ...child, 'main.tf': 'module "m" {\n  source  = "./modules/m"\n  requird = "x"\n}\n' });
    expect(messages(checkModuleCalls(config))).toEqual(
      ['module.m: argument "requird" is not a variable of ./modules/m', 'module.m: required variable "required" of ./modules/m is not set'].sort(),
    );
  });
});

describe('attribute check (provider schema)', () => {
  it('accepts correct arguments, nested blocks and dynamic blocks', async () => {
    const config = await load({ ...functionModule, 'main.tf': rootFromManifest() });
    expect(checkAttributes(config, schema)).toEqual([]);
  });

  it('reports a misspelled top-level argument, a misspelled nested argument and a computed attribute being set', async () => {
    const config = await load({
      'main.tf': `
resource "google_cloudfunctions2_function" "f" {
  name      = "f"
  locaton   = "us-central1"
  url       = "https://example.com"
  build_config {
    runtime    = "nodejs22"
    entry_pont = "f"
  }
}
`,
    });
    expect(messages(checkAttributes(config, schema))).toEqual(
      [
        'google_cloudfunctions2_function.f: unknown argument or block "locaton"',
        'google_cloudfunctions2_function.f: "url" is computed by the provider and cannot be set',
        'google_cloudfunctions2_function.f: unknown argument or block "build_config.entry_pont"',
      ].sort(),
    );
  });

  it('reports a misspelled argument inside a dynamic block and an unknown resource type', async () => {
    const config = await load({
      'main.tf': `
resource "google_storage_bucket" "b" {
  name     = "b"
  location = "US"
  dynamic "lifecycle_rule" {
    for_each = [1]
    content {
      acton {
        type = "Delete"
      }
    }
  }
}
resource "google_pubsub_topics" "t" {
  name = "t"
}
`,
    });
    expect(messages(checkAttributes(config, schema))).toEqual(
      [
        'google_storage_bucket.b: unknown argument or block "lifecycle_rule.acton"',
        'google_pubsub_topics.t: unknown resource type "google_pubsub_topics" (not in the provider attribute lists)',
      ].sort(),
    );
  });
});

describe('deployment check', () => {
  const opts = { manifestPath: MANIFEST, distDir: '/virtual/dist', runtime: 'nodejs22' };

  it('accepts a deployment whose entry point comes from functions.json and whose source is the zipped bundle', async () => {
    const config = await load({ ...functionModule, 'main.tf': rootFromManifest(), '../functions/functions.json': manifest() });
    expect(checkDeployments(config, opts)).toEqual([]);
  });

  it('reports a function of functions.json that nothing deploys', async () => {
    const config = await load({ ...functionModule, 'main.tf': 'locals {\n  none = 1\n}\n', '../functions/functions.json': manifest() });
    expect(messages(checkDeployments(config, opts))).toEqual(['reconcile: no google_cloudfunctions2_function deploys "reconcile" (names found: none)'].sort());
  });

  it('reports an entry point typed into Terraform instead of read from functions.json, even when it matches today', async () => {
    const config = await load({
      ...functionModule,
      'main.tf': `
module "fn" {
  source      = "./modules/fn"
  name        = "reconcile"
  entry_point = "reconcile"
  source_dir  = "\${path.module}/../dist/reconcile"
}
`,
      '../functions/functions.json': manifest(),
    });
    expect(messages(checkDeployments(config, opts))).toEqual(
      [
        'module.fn.google_cloudfunctions2_function.this: entry point is not read from functions/functions.json ' +
          '(changing the file does not change the deployment)',
      ].sort(),
    );
  });

  it('reports the wrong runtime and a source that is not the function bundle', async () => {
    const config = await load({
      ...functionModule,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL interpolation inside HCL source text
      'main.tf': rootFromManifest('runtime = "nodejs20"').replace('../dist/${each.key}', '../dist/other'),
      '../functions/functions.json': manifest(),
    });
    expect(messages(checkDeployments(config, opts))).toEqual(
      [
        'module.fn["reconcile"].google_cloudfunctions2_function.this: runtime is "nodejs20", expected nodejs22',
        'module.fn["reconcile"].google_cloudfunctions2_function.this: source is /virtual/dist/other; expected a ' +
          'zip of /virtual/dist/reconcile (data.archive_file -> google_storage_bucket_object -> storage_source)',
      ].sort(),
    );
  });

  it('reports a cloudevent function deployed without an event trigger', async () => {
    const config = await load({
      ...functionModule,
      'main.tf': rootFromManifest(),
      '../functions/functions.json': JSON.stringify({
        functions: [{ name: 'reconcile', entryPoint: 'reconcile', signature: 'cloudevent', topic: 'zoom-events' }],
      }),
    });
    expect(messages(checkDeployments(config, opts))).toEqual(
      ['module.fn["reconcile"].google_cloudfunctions2_function.this: a cloudevent function needs an event_trigger'].sort(),
    );
  });
});

describe('primitive role check', () => {
  it('accepts predefined roles', async () => {
    const config = await load({
      'main.tf':
        'resource "google_project_iam_member" "m" {\n  project = "p"\n  role    = "roles/datastore.user"\n  ' +
        'member  = "serviceAccount:a@p.iam.gserviceaccount.com"\n}\n',
    });
    expect(checkPrimitiveRoles(config)).toEqual([]);
  });

  it('reports a roles/editor binding', async () => {
    const config = await load({
      'main.tf':
        'resource "google_project_iam_member" "m" {\n  project = "p"\n  role    = "roles/editor"\n  member  = ' +
        '"serviceAccount:a@p.iam.gserviceaccount.com"\n}\n',
    });
    expect(messages(checkPrimitiveRoles(config))).toEqual(
      [
        'google_project_iam_member.m: primitive role roles/editor (grant a predefined role instead)',
        'google_project_iam_member.m: primitive role roles/editor',
      ].sort(),
    );
  });

  it('accepts a custom role of the configuration (its ID is known only after apply), but not a role it cannot determine', async () => {
    const custom =
      'resource "google_project_iam_custom_role" "r" {\n  project     = "p"\n  role_id     = "writer"\n  ' +
      'title       = "writer"\n  permissions = ["storage.objects.create"]\n}\n';
    const grant = (role: string) =>
      `resource "google_storage_bucket_iam_member" "m" {\n  bucket = "b"\n  role   = ${role}\n  member = "user:a@example.com"\n}\n`;
    expect(checkPrimitiveRoles(await load({ 'main.tf': custom + grant('google_project_iam_custom_role.r.id') }))).toEqual([]);
    const unknown = await load({ 'main.tf': 'variable "role" {\n  type = string\n}\n' + grant('var.role') });
    expect(messages(checkPrimitiveRoles(unknown))).toEqual(['google_storage_bucket_iam_member.m: role cannot be determined statically']);
  });

  it('reports a primitive role assembled from a variable default, which no literal scan would see', async () => {
    const config = await load({
      'main.tf':
        'variable "level" {\n  type    = string\n  default = "owner"\n}\nresource "google_project_iam_member" "m" ' +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: HCL interpolation inside HCL source text
        '{\n  project = "p"\n  role    = "roles/${var.level}"\n  member  = "user:a@example.com"\n}\n',
    });
    expect(messages(checkPrimitiveRoles(config))).toEqual(['google_project_iam_member.m: primitive role roles/owner'].sort());
  });
});

describe('public invoker check', () => {
  const invoker = (forEach: string, member = '"allUsers"', role = 'roles/run.invoker'): string => `
module "fn" {
  source      = "./modules/fn"
  for_each    = toset(["crm", "reconcile"])
  name        = each.key
  entry_point = each.key
  source_dir  = "\${path.module}/../dist/\${each.key}"
}
resource "google_cloud_run_service_iam_member" "public" {
  for_each = toset(${forEach})
  location = "us-central1"
  service  = module.fn[each.key].name
  role     = "${role}"
  member   = ${member}
}
`;

  it('accepts allUsers invoking crm, resolving the service through the module output', async () => {
    const config = await load({ ...functionModule, 'main.tf': invoker('["crm"]') });
    expect(checkPublicInvokers(config, PUBLIC)).toEqual([]);
  });

  it('reports allUsers allowed to invoke reconcile', async () => {
    const config = await load({ ...functionModule, 'main.tf': invoker('["crm", "reconcile"]') });
    expect(messages(checkPublicInvokers(config, PUBLIC))).toEqual(
      [
        'google_cloud_run_service_iam_member.public["reconcile"]: allUsers may invoke "reconcile"; only crm, ' +
          'ui-connector, zoom-webhook authenticate their callers themselves',
      ].sort(),
    );
  });

  it('reports allUsers on a role other than invoker and on a resource that is not a function', async () => {
    const config = await load({
      ...functionModule,
      'main.tf': `${invoker('["crm"]', '"allUsers"', 'roles/run.developer')}
resource "google_storage_bucket_iam_member" "open" {
  bucket = "archive"
  role   = "roles/storage.objectViewer"
  member = "allUsers"
}
`,
    });
    expect(messages(checkPublicInvokers(config, PUBLIC))).toEqual(
      [
        'google_cloud_run_service_iam_member.public["crm"]: allUsers granted roles/run.developer; the public may only invoke functions',
        'google_storage_bucket_iam_member.open: allUsers granted roles/storage.objectViewer; the public may only invoke functions',
      ].sort(),
    );
  });
});

describe('credential check', () => {
  const secrets = `
resource "google_secret_manager_secret" "s" {
  for_each  = toset(["zoom-webhook-secret", "crm-credentials"])
  secret_id = each.value
  replication {
    auto {}
  }
}
`;
  const call = (env: string, secretEnv: string, variables = ''): string => `${secrets}${variables}
module "fn" {
  source      = "./modules/fn"
  name        = "zoom-webhook"
  entry_point = "zoomWebhook"
  source_dir  = "\${path.module}/../dist/zoom-webhook"
  env         = ${env}
  secret_env  = ${secretEnv}
}
`;

  it('accepts plain settings in env and credentials as secret env vars readable by the function alone', async () => {
    const config = await load({ ...functionModule, 'main.tf': call('{ LOG_LEVEL = "info" }', '{ ZOOM_WEBHOOK_SECRET = "zoom-webhook-secret" }') });
    expect(checkSecrets(config)).toEqual([]);
  });

  it('reports a credential written to plain env, by name and by value (sensitive variable)', async () => {
    const config = await load({
      ...functionModule,
      'main.tf': call(
        '{ ZOOM_WEBHOOK_SECRET = "abc", CRM = var.crm_password }',
        '{}',
        'variable "crm_password" {\n  type      = string\n  sensitive = true\n}\n',
      ),
    });
    expect(messages(checkSecrets(config))).toEqual(
      [
        'module.fn.google_cloudfunctions2_function.this: plain environment variable CRM is derived from sensitive var.crm_password',
        'module.fn.google_cloudfunctions2_function.this: plain environment variable ZOOM_WEBHOOK_SECRET looks like ' +
          'a credential; use secret_environment_variables',
      ].sort(),
    );
  });

  it('tells credential names from settings about credentials', () => {
    for (const name of ['ZOOM_WEBHOOK_SECRET', 'ZOOM_WEBHOOK_SECRET_PREVIOUS', 'TWILIO_AUTH_TOKEN', 'CRM_CREDENTIALS', 'DB_PASSWORD', 'STRIPE_API_KEY'])
      expect([name, looksLikeCredential(name)]).toEqual([name, true]);
    for (const name of ['UI_CONNECTOR_TOKEN_TTL_MINUTES', 'CRM_OAUTH_TOKEN_TTL_SECONDS', 'ZOOM_OAUTH_TOKEN_URL', 'ZOOM_CLIENT_ID', 'LOG_LEVEL'])
      expect([name, looksLikeCredential(name)]).toEqual([name, false]);
  });

  it('reports a sensitive variable with a default and a credential-like variable that is not sensitive', async () => {
    const config = await load({
      'main.tf':
        'variable "twilio_auth_token" {\n  type    = string\n  default = null\n}\nvariable "jwt_secret" {\n  ' +
        'type      = string\n  sensitive = true\n  default   = "changeme"\n}\n',
    });
    expect(messages(checkSecrets(config))).toEqual(
      [
        'variable.twilio_auth_token: looks like a credential but is not marked sensitive = true',
        'variable.jwt_secret: a sensitive variable must not have a default value',
      ].sort(),
    );
  });

  it('reports a secret env var naming a secret this configuration does not create', async () => {
    const config = await load({ ...functionModule, 'main.tf': call('{}', '{ ZOOM_WEBHOOK_SECRET = "zoom-webhook-secert" }') });
    expect(messages(checkSecrets(config))).toEqual(
      [
        'module.fn.google_cloudfunctions2_function.this: secret env ZOOM_WEBHOOK_SECRET reads ' +
          '"zoom-webhook-secert", which is not a google_secret_manager_secret of this configuration',
        'module.fn.google_cloudfunctions2_function.this: its service account can read secrets the function is not given: zoom-webhook-secert',
      ].sort(),
    );
  });

  it('reports a function whose service account can read more secrets than it is given', async () => {
    const config = await load({
      ...functionModule,
      'main.tf': `${call('{}', '{ ZOOM_WEBHOOK_SECRET = "zoom-webhook-secret" }')}
resource "google_secret_manager_secret_iam_member" "extra" {
  secret_id = "crm-credentials"
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:\${module.fn.service_account_email}"
}
`,
    });
    expect(messages(checkSecrets(config))).toEqual(
      ['module.fn.google_cloudfunctions2_function.this: its service account can read secrets the function is not given: crm-credentials'].sort(),
    );
  });
});
