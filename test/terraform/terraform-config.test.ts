// The offline checks run on the real configuration in terraform/ (no terraform binary exists
// here). checkers.test.ts proves that each of these checks fails on a broken snippet.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { type InstanceSizing, memoryBytesOf, nodeOptionsOf, readFunctionManifest } from '../../local/manifest';
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
  readManifest,
} from './lib/checks';
import { Evaluator, isObjectValue, type ModuleInstance, refString, refsOf, type Value } from './lib/evaluate';
import { checkValidations } from './lib/function-settings';
import { type Block, type Configuration, formatFindings, isJsonObject, type Json, loadConfiguration } from './lib/hcl';
import { loadProviderSchema, type ProviderSchema } from './lib/schema';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const terraformDir = join(repo, 'terraform');
const manifestPath = join(repo, 'functions', 'functions.json');
const manifest = readManifest(readFileSync(manifestPath, 'utf8'));
// call-log: Twilio's status callbacks (X-Twilio-Signature); its push and sweep endpoints verify Google OIDC tokens themselves.
const MOCK_MODE = { crm_mode: 'mock' };
const PUBLIC_FUNCTIONS = ['crm', 'ui-connector', 'zoom-webhook', 'ccaip-sdk', 'call-log'];

let config: Configuration;
let schema: ProviderSchema;
let ev: Evaluator;

beforeAll(async () => {
  config = await loadConfiguration(terraformDir);
  schema = loadProviderSchema(terraformDir);
  // crm_mode has no default: the deployment as terraform.tfvars.example sets it (mock).
  ev = new Evaluator(config, { rootVariables: MOCK_MODE });
});

/** Fails with every finding listed, so a red test says what to fix. */
function expectClean(findings: ReturnType<typeof checkSyntax>): void {
  expect(formatFindings(findings)).toBe('');
}

interface Instance {
  instance: ModuleInstance;
  block: Block;
  key: string | number | undefined;
  each: Value;
  attr: (...path: string[]) => Value;
  where: string;
}

function instances(kind: 'resource' | 'data', type: string, evaluator: Evaluator = ev): Instance[] {
  return evaluator
    .resourceInstances(kind, (t) => t === type)
    .map((r) => ({
      ...r,
      attr: (...path: string[]) => evaluator.attribute(r.instance, r.block, r.key, r.each, path),
      where: `${r.instance.path}${r.block.type}.${r.block.name}${r.key === undefined ? '' : `[${JSON.stringify(r.key)}]`}`,
    }));
}

const refNames = (v: Value): string[] => refsOf(v).map(refString);
const fn = (name: string, evaluator: Evaluator = ev): Instance => {
  const found = instances('resource', 'google_cloudfunctions2_function', evaluator).find((f) => f.attr('name') === name);
  if (!found) throw new Error(`no deployment of ${name}`);
  return found;
};
const invokersOf = (name: string): Instance[] =>
  instances('resource', 'google_cloud_run_service_iam_member').filter((g) => g.attr('service') === name && g.attr('role') === 'roles/run.invoker');

describe('offline checks of terraform/', () => {
  it('every .tf file parses with the HCL parser (syntax)', () => {
    expect(config.modules.size).toBeGreaterThanOrEqual(8);
    expectClean(checkSyntax(config));
  });

  it('every var., local., module., data. and resource reference resolves within its module (and attributes read exist)', () => {
    expectClean(checkReferences(config, schema));
  });

  it('module calls pass only declared variables and all required ones', () => {
    expectClean(checkModuleCalls(config));
  });

  it('resource, data source and provider arguments exist in the google provider schema (nested blocks included)', () => {
    expectClean(checkAttributes(config, schema));
  });

  it('every function in functions.json is deployed as a gen2 function from its dist/ bundle, entry point read from functions.json, runtime nodejs22', () => {
    expect(manifest.map((f) => f.name)).toEqual(expect.arrayContaining(['crm', 'interaction-worker', 'reconcile', 'ui-connector', 'zoom-webhook']));
    expectClean(checkDeployments(config, { manifestPath, distDir: join(repo, 'dist'), runtime: 'nodejs22' }));
  });

  it('grants no primitive roles (roles/owner, roles/editor, roles/viewer)', () => {
    expectClean(checkPrimitiveRoles(config));
  });

  it('allows allUsers to invoke only the functions that authenticate their callers themselves', () => {
    expectClean(checkPublicInvokers(config, PUBLIC_FUNCTIONS));
  });

  it(
    'with the Agent Assist image set, allUsers may invoke ' +
      'the ui-connector-run service (browsers, its ' +
      'own JWT and Salesforce check) and nothing else new',
    () => {
      const image = { agent_assist_ui_image: 'us-central1-docker.pkg.dev/p/ccbridge/ui-connector-run:1' };
      expectClean(checkPublicInvokers(config, [...PUBLIC_FUNCTIONS, 'ui-connector-run'], image));
      // The check does see the service once the image is set: without it on the list, it is flagged.
      expect(checkPublicInvokers(config, PUBLIC_FUNCTIONS, image).map((f) => f.message)).toEqual([expect.stringContaining('may invoke "ui-connector-run"')]);
    },
  );

  it('passes credentials only through Secret Manager, each function reading exactly its own secrets', () => {
    expectClean(checkSecrets(config, MOCK_MODE));
  });
});

describe('who may call each function', () => {
  it('crm, ui-connector and zoom-webhook accept traffic from anywhere and anyone may invoke them (they authenticate callers)', () => {
    for (const name of PUBLIC_FUNCTIONS) {
      expect(fn(name).attr('service_config', '0', 'ingress_settings')).toBe('ALLOW_ALL');
      expect(invokersOf(name).map((g) => g.attr('member'))).toContain('allUsers');
    }
  });

  it('reconcile: ingress all, invoked only by the scheduler and its own service account, OIDC audience = its URL', () => {
    const reconcile = fn('reconcile');
    expect(reconcile.attr('service_config', '0', 'ingress_settings')).toBe('ALLOW_ALL');
    const members = invokersOf('reconcile').flatMap((g) => refNames(g.attr('member')).filter((r) => r.includes('google_service_account.')));
    expect(members.sort()).toEqual(['module.function["reconcile"].google_service_account.this.email', 'module.scheduler.google_service_account.this.email']);

    const job = instances('resource', 'google_cloud_scheduler_job').find((j) => j.block.name !== 'call_log_sweep');
    const audience = refNames(job?.attr('http_target', '0', 'oidc_token', '0', 'audience') ?? null);
    expect(audience).toContain('module.function["reconcile"].google_cloudfunctions2_function.this.url');
    const tokenSa = refNames(job?.attr('http_target', '0', 'oidc_token', '0', 'service_account_email') ?? null);
    expect(tokenSa).toContain('module.scheduler.google_service_account.this.email');

    const [push] = instances('resource', 'google_pubsub_subscription').filter((s) => s.attr('name') === 'reconcile-slices-push');
    expect(refNames(push?.attr('push_config', '0', 'push_endpoint') ?? null)).toContain(
      'module.function["reconcile"].google_cloudfunctions2_function.this.url',
    );
    expect(refNames(push?.attr('push_config', '0', 'oidc_token', '0', 'audience') ?? null)).toContain(
      'module.function["reconcile"].google_cloudfunctions2_function.this.url',
    );
    expect(refNames(push?.attr('push_config', '0', 'oidc_token', '0', 'service_account_email') ?? null)).toContain(
      'module.function["reconcile"].google_service_account.this.email',
    );
  });

  it('interaction-worker is internal only, has no Eventarc trigger, and is invoked only by the pubsub-push account of its push subscription', () => {
    const worker = fn('interaction-worker');
    expect(worker.attr('service_config', '0', 'ingress_settings')).toBe('ALLOW_INTERNAL_ONLY');
    expect(Object.keys(worker.block.body)).not.toContain('event_trigger');
    expect(JSON.stringify(worker.block.body)).not.toContain('event_trigger');
    const members = invokersOf('interaction-worker').flatMap((g) => refNames(g.attr('member')));
    expect(members.filter((m) => m.startsWith('google_service_account.'))).toEqual(['google_service_account.pubsub_push.member']);
    expect(invokersOf('interaction-worker').map((g) => g.attr('member'))).not.toContain('allUsers');
  });
});

describe('function environment (terraform/functions.tf)', () => {
  const envOf = (name: string): Record<string, Value> => {
    const env = fn(name).attr('service_config', '0', 'environment_variables');
    if (!isObjectValue(env)) throw new Error(`env of ${name} is not known`);
    return env;
  };
  const secretEnvOf = (name: string): Record<string, Value> => {
    const items = fn(name).attr('service_config', '0', 'secret_environment_variables');
    const out: Record<string, Value> = {};
    if (Array.isArray(items)) for (const i of items) if (isObjectValue(i) && typeof i['key'] === 'string') out[i['key']] = i['secret'] ?? null;
    return out;
  };

  it('gives every function GCP_PROJECT, LOG_LEVEL and FIRESTORE_DATABASE, and no credential-like names', () => {
    for (const f of manifest) {
      const env = envOf(f.name);
      expect(Object.keys(env)).toEqual(expect.arrayContaining(['GCP_PROJECT', 'LOG_LEVEL', 'FIRESTORE_DATABASE']));
      expect(Object.keys(env).filter(looksLikeCredential)).toEqual([]);
    }
  });

  it('gives the topic and bucket names to the functions that use them, and no bucket to those that do not', () => {
    expect(Object.keys(envOf('zoom-webhook'))).toEqual(expect.arrayContaining(['ZOOM_EVENTS_TOPIC', 'ARCHIVE_BUCKET']));
    expect(Object.keys(envOf('reconcile'))).toEqual(expect.arrayContaining(['ZOOM_EVENTS_TOPIC', 'RECONCILE_SLICES_TOPIC']));
    expect(Object.keys(envOf('reconcile'))).not.toContain('ARCHIVE_BUCKET');
    expect(Object.keys(envOf('ui-connector'))).toContain('CONVERSATION_EVENTS_TOPIC');
    expect(Object.keys(envOf('interaction-worker'))).toContain('ARCHIVE_BUCKET');
    expect(Object.keys(envOf('crm'))).toEqual(expect.arrayContaining(['ARCHIVE_BUCKET', 'CCAI_STORAGE_BUCKET']));
  });

  it('builds URLs from the predictable cloudfunctions.net form (no dependency on the functions themselves)', async () => {
    const example = (await parse('terraform.tfvars.example', readFileSync(join(terraformDir, 'terraform.tfvars.example'), 'utf8'))) as Record<string, Json>;
    const withExample = new Evaluator(config, { rootVariables: example });
    const envWith = (name: string): Record<string, Value> => {
      const [f] = withExample
        .resourceInstances('resource', (t) => t === 'google_cloudfunctions2_function')
        .filter((r) => withExample.attribute(r.instance, r.block, r.key, r.each, ['name']) === name);
      const env = f ? withExample.attribute(f.instance, f.block, f.key, f.each, ['service_config', '0', 'environment_variables']) : null;
      return isObjectValue(env) ? env : {};
    };
    const base = 'https://us-central1-my-ccbridge-dev.cloudfunctions.net';
    for (const name of ['crm', 'ui-connector', 'interaction-worker']) expect([name, envWith(name)['PUBLIC_BASE_URL']]).toEqual([name, base]);
    expect(envWith('interaction-worker')['CRM_BASE_URL']).toBe(`${base}/crm`);
    expect(envWith('reconcile')['RECONCILE_AUDIENCE']).toBe(`${base}/reconcile`);
    for (const f of manifest)
      expect(
        refNames(envOf(f.name) as Value).filter(
          (r) => r.includes('google_cloudfunctions2_function') && !r.endsWith('environment_variables') && !r.includes('.environment_variables.'),
        ),
      ).toEqual([]);
  });

  it('passes each credential as a secret env var from Secret Manager, one secret per credential', () => {
    expect(secretEnvOf('zoom-webhook')).toEqual({
      ZOOM_WEBHOOK_SECRET: 'zoom-webhook-secret',
      ZOOM_WEBHOOK_SECRET_PREVIOUS: 'zoom-webhook-secret-previous',
      ARTIFACT_LINK_SECRET: 'artifact-link-secret',
      ARTIFACT_LINK_SECRET_PREVIOUS: 'artifact-link-secret-previous',
    });
    expect(secretEnvOf('ui-connector')).toEqual({
      TWILIO_AUTH_TOKEN: 'twilio-auth-token',
      UI_CONNECTOR_JWT_SECRET: 'ui-connector-jwt-secret',
      UI_CONNECTOR_JWT_SECRET_PREVIOUS: 'ui-connector-jwt-secret-previous',
      UI_CONNECTOR_KEY_HASH_SECRET: 'ui-connector-key-hash-secret',
    });
    // Defaults: mock mode, every CCAI Platform authentication enabled.
    expect(secretEnvOf('crm')).toEqual({
      CRM_BASIC_PASSWORD: 'crm-basic-password',
      CRM_OAUTH_CLIENT_SECRET: 'crm-oauth-client-secret',
      CRM_API_KEY: 'crm-api-key',
      CRM_ADMIN_TOKEN: 'crm-admin-token',
    });
    expect(secretEnvOf('interaction-worker')).toEqual({
      ZOOM_CLIENT_SECRET: 'zoom-client-secret',
      ARTIFACT_LINK_SECRET: 'artifact-link-secret',
      CRM_BASIC_PASSWORD: 'crm-basic-password',
    });
    expect(secretEnvOf('reconcile')).toEqual({ ZOOM_CLIENT_SECRET: 'zoom-client-secret' });
  });
});

describe("what each function's service account may do (least privilege)", () => {
  /** "role on target" of every grant to the function's own service account, secret access aside (checkSecrets). */
  const grantsOf = (name: string): string[] => {
    const sa = `module.function[${JSON.stringify(name)}].google_service_account.this`;
    const target = (i: Instance): string => {
      if (i.block.type === 'google_project_iam_member') return 'project';
      const on = i.attr(
        i.block.type === 'google_storage_bucket_iam_member'
          ? 'bucket'
          : i.block.type === 'google_pubsub_topic_iam_member'
            ? 'topic'
            : i.block.type === 'google_service_account_iam_member'
              ? 'service_account_id'
              : 'service',
      );
      if (typeof on === 'string') return on;
      const named = refNames(on).filter((r) => !/_iam_member/.test(r) && !r.includes('var.') && !r.startsWith('data.'));
      return named.map((r) => (r.startsWith(sa) ? 'itself' : r.replace(/^module\.\w+\./, '').replace(/\.(name|id)$/, ''))).join(' ');
    };
    return ev
      .resourceInstances('resource', (t) => /_iam_member$/.test(t) && t !== 'google_secret_manager_secret_iam_member')
      .map((r) => ({ ...r, attr: (...path: string[]) => ev.attribute(r.instance, r.block, r.key, r.each, path), where: '' }))
      .filter((i) => refNames(i.attr('member')).some((r) => r.startsWith(sa)))
      .map((i) => {
        const role = i.attr('role');
        return `${
          typeof role === 'string'
            ? role
            : refNames(role)
                .filter((r) => !/_iam_member/.test(r))
                .join(' ')
        } on ${target(i)}`;
      })
      .sort();
  };

  it('crm: Firestore (the mock CRM), read access to the archive and CCAI Platform buckets (gs:// attachments)', () => {
    expect(grantsOf('crm')).toEqual([
      'roles/datastore.user on project',
      'roles/storage.objectViewer on google_storage_bucket.archive',
      'roles/storage.objectViewer on google_storage_bucket.ccaip',
    ]);
  });

  it('ui-connector: Firestore, publish to conversation-events', () => {
    expect(grantsOf('ui-connector')).toEqual(['roles/datastore.user on project', 'roles/pubsub.publisher on google_pubsub_topic.this["conversation-events"]']);
  });

  it('zoom-webhook: Firestore, publish to zoom-events, read the archive, and sign (signBlob) as itself for the V4 URLs of artifact links', () => {
    expect(grantsOf('zoom-webhook')).toEqual([
      'roles/datastore.user on project',
      'roles/iam.serviceAccountTokenCreator on itself',
      'roles/pubsub.publisher on google_pubsub_topic.this["zoom-events"]',
      'roles/storage.objectViewer on google_storage_bucket.archive',
    ]);
  });

  it('interaction-worker: Firestore, and create/get/delete objects of the archive bucket only', () => {
    expect(grantsOf('interaction-worker')).toEqual([
      'google_project_iam_custom_role.archive_writer.id on google_storage_bucket.archive',
      'roles/datastore.user on project',
    ]);
    const [role] = instances('resource', 'google_project_iam_custom_role');
    expect(role?.attr('permissions')).toEqual(['storage.objects.create', 'storage.objects.get', 'storage.objects.delete']);
  });

  it("reconcile: Firestore, publish to zoom-events and reconcile-slices, invoke itself (the push subscription's identity)", () => {
    expect(grantsOf('reconcile')).toEqual([
      'roles/datastore.user on project',
      'roles/pubsub.publisher on google_pubsub_topic.this["reconcile-slices"]',
      'roles/pubsub.publisher on google_pubsub_topic.this["zoom-events"]',
      'roles/run.invoker on reconcile',
    ]);
  });

  it('crm in real mode does not touch Firestore', async () => {
    const real = new Evaluator(config, { rootVariables: { crm_mode: 'real', crm_adapter: 'zendesk' } });
    const grants = real.resourceInstances('resource', (t) => t === 'google_project_iam_member').filter((r) => r.instance.path === 'module.function["crm"].');
    expect(grants).toEqual([]);
  });
});

describe('Pub/Sub', () => {
  it('creates zoom-events, conversation-events and reconcile-slices', () => {
    const names = instances('resource', 'google_pubsub_topic').map((t) => t.attr('name'));
    expect(names).toEqual(expect.arrayContaining(['zoom-events', 'conversation-events', 'reconcile-slices']));
  });

  it('gives every consumed topic a <topic>-dead-letter topic with an inspection subscription and the service agent publisher on it', () => {
    const consumed = ['zoom-events', 'reconcile-slices']; // pushed to interaction-worker and to reconcile
    const topics = instances('resource', 'google_pubsub_topic').map((t) => t.attr('name'));
    const inspect = instances('resource', 'google_pubsub_subscription').map((s) => s.attr('name'));
    const publishers = instances('resource', 'google_pubsub_topic_iam_member').filter((g) => g.block.name === 'dead_letter_publisher');
    for (const t of consumed) {
      expect(topics).toContain(`${t}-dead-letter`);
      expect(inspect).toContain(`${t}-dead-letter-inspect`);
      const g = publishers.find((p) => p.key === t);
      expect(g?.attr('role')).toBe('roles/pubsub.publisher');
      expect(refNames(g?.attr('member') ?? null).join(' ')).toContain('pubsub_service_agent');
    }
  });

  it('push subscriptions retry with back-off and dead-letter, and the service agent may acknowledge on them', () => {
    const push = instances('resource', 'google_pubsub_subscription').filter((s) => s.block.name === 'push');
    expect(push.length).toBeGreaterThan(0);
    for (const s of push) {
      expect(refNames(s.attr('dead_letter_policy', '0', 'dead_letter_topic')).join(' ')).toContain('google_pubsub_topic.dead_letter');
      expect(s.attr('retry_policy', '0', 'minimum_backoff')).toEqual(expect.any(String));
      const sub = instances('resource', 'google_pubsub_subscription_iam_member').find((g) => g.key === s.key);
      expect(sub?.attr('role')).toBe('roles/pubsub.subscriber');
    }
  });

  it('patches nothing after apply: the only post-apply command is the SIPREC CLI', () => {
    expect(ev.root.local('dead_letter_attach_commands')).toMatchObject({ error: 'undeclared local dead_letter_attach_commands' });
    const outputs = config.root.outputs.get('post_apply_commands');
    expect(outputs?.body['value']).toEqual([`\${module.agent_assist.siprec_command}`]);
  });
});

describe('Firestore (terraform/firestore.tf)', () => {
  it('puts TTL policies on expireAt of conversations, zoomEventKeys, zoomWebhookRefusals, deadLetters, crmMockJournal and agentAssistEvents', () => {
    const ttl = instances('resource', 'google_firestore_field');
    expect(ttl.map((f) => f.attr('collection')).sort()).toEqual([
      'agentAssistEvents',
      'conversations',
      'crmMockJournal',
      'deadLetters',
      'zoomEventKeys',
      'zoomWebhookRefusals',
    ]);
    for (const f of ttl) {
      expect(f.attr('field')).toBe('expireAt');
      expect(f.attr('ttl_config')).toEqual([{}]);
    }
  });

  it('creates only the composite index of the notification log (firestore-queries.test.ts reviews every query)', () => {
    expect(instances('resource', 'google_firestore_index').map((i) => i.attr('collection'))).toEqual(['agentAssistEvents']);
  });
});

describe('Cloud Storage', () => {
  it('archive and CCAI Platform buckets: uniform access, public access prevention enforced, versioning', () => {
    for (const b of instances('resource', 'google_storage_bucket').filter((x) => ['archive', 'ccaip'].includes(x.block.name))) {
      expect(b.attr('uniform_bucket_level_access')).toBe(true);
      expect(b.attr('public_access_prevention')).toBe('enforced');
      expect(b.attr('versioning', '0', 'enabled')).toBe(true);
    }
  });

  it('archive lifecycle moves objects to NEARLINE, COLDLINE and ARCHIVE', () => {
    const archive = instances('resource', 'google_storage_bucket').find((b) => b.block.name === 'archive');
    const rules = archive?.attr('lifecycle_rule');
    const classes = Array.isArray(rules)
      ? rules.map((r) => (isObjectValue(r) ? ev.getAttr(ev.getAttr(r, 'action'), 0) : null)).map((a) => (isObjectValue(a) ? a['storage_class'] : undefined))
      : [];
    expect(classes).toEqual(expect.arrayContaining(['NEARLINE', 'COLDLINE', 'ARCHIVE']));
  });

  it('the CCAI Platform service account holds only the custom object role on its bucket (no ACL/IAM/retention rights)', () => {
    const grants = ev
      .resourceInstances('resource', (t) => /_iam_member$/.test(t))
      .map((r) => ({ r, member: ev.attribute(r.instance, r.block, r.key, r.each, ['member']) }))
      .filter(({ member }) => refNames(member).some((n) => n.includes('google_service_account.ccaip')));
    expect(grants.map(({ r }) => `${r.block.type} ${refNames(ev.attribute(r.instance, r.block, r.key, r.each, ['role'])).join(' ')}`)).toEqual([
      'google_storage_bucket_iam_member module.storage.google_project_iam_custom_role.ccaip_storage[0].id ' +
        'module.storage.google_storage_bucket_iam_member.ccaip_storage.role',
    ]);
    const role = instances('resource', 'google_project_iam_custom_role').find((r) => r.block.name === 'ccaip_storage');
    expect(role?.attr('permissions')).toEqual([
      'storage.objects.create',
      'storage.objects.get',
      'storage.objects.list',
      'storage.objects.update',
      'storage.objects.delete',
      'storage.buckets.get',
    ]);
  });

  it('no key material passes through state: no service-account key resource, no secret version with secret_data', () => {
    expect(instances('resource', 'google_service_account_key')).toEqual([]);
    const versions = instances('resource', 'google_secret_manager_secret_version');
    expect(versions.map((v) => v.where)).toEqual(['module.secrets.google_secret_manager_secret_version.supplied']);
    for (const v of versions) {
      expect(Object.keys(v.block.body)).not.toContain('secret_data');
      expect(Object.keys(v.block.body)).toContain('secret_data_wo');
    }
  });
});

describe('inputs', () => {
  it('every root variable has a description; terraform.tfvars.example sets only declared variables and no credential', async () => {
    for (const v of config.root.variables.values()) expect([v.name, typeof v.body['description']]).toEqual([v.name, 'string']);
    const example = await parse('terraform.tfvars.example', readFileSync(join(terraformDir, 'terraform.tfvars.example'), 'utf8'));
    for (const key of Object.keys(example)) {
      expect(config.root.variables.has(key) ? key : `undeclared ${key}`).toBe(key);
      expect(config.root.variables.get(key)?.body['sensitive'] === true ? `sensitive ${key} in the example` : key).toBe(key);
    }
  });

  it('crm_mode has no default (a deployment must name mock or real; the example names it) and its validation refuses an unset value', async () => {
    const v = config.root.variables.get('crm_mode');
    expect(v?.body['default']).toBeNull();
    expect(JSON.stringify(v?.body['validation'])).toContain('var.crm_mode != null');
    const example = (await parse('terraform.tfvars.example', readFileSync(join(terraformDir, 'terraform.tfvars.example'), 'utf8'))) as Record<string, Json>;
    expect(example['crm_mode']).toBe('mock');
  });

  it('the committed attribute list matches the google provider version the configuration requires', () => {
    const terraformBlock = config.root.others.find((b) => b.kind === 'terraform');
    const providers = terraformBlock?.body['required_providers'];
    const first = Array.isArray(providers) ? providers[0] : undefined;
    const google = isJsonObject(first) ? first['google'] : undefined;
    const constraint = isJsonObject(google) ? String(google['version']) : '';
    expect(constraint).toContain(`>= ${schema.googleVersion}`);
  });
});

describe('how each instance is sized (functions.json "instance", issue #15)', () => {
  const sized = readFunctionManifest().filter((f): f is typeof f & { instance: InstanceSizing } => f.instance !== undefined);
  const service = (name: string, ...path: string[]) => fn(name).attr('service_config', '0', ...path);

  it('the hot paths are sized in functions.json: zoom-webhook and ui-connector, 1 vCPU, more than one request at a time', () => {
    expect(sized.map((f) => f.name).sort()).toEqual(['ui-connector', 'zoom-webhook']);
    for (const f of sized) expect([f.name, Number(f.instance.cpu) >= 1, f.instance.concurrency > 1]).toEqual([f.name, true, true]);
  });

  it('Terraform deploys each sized function with its memory, vCPU, concurrency and NODE_OPTIONS as the benchmarks run it', () => {
    for (const f of sized) {
      expect([f.name, service(f.name, 'available_memory'), service(f.name, 'available_cpu'), service(f.name, 'max_instance_request_concurrency')]).toEqual([
        f.name,
        f.instance.memory,
        f.instance.cpu,
        f.instance.concurrency,
      ]);
      const env = service(f.name, 'environment_variables');
      expect([f.name, isObjectValue(env) ? env['NODE_OPTIONS'] : env]).toEqual([f.name, nodeOptionsOf(f.instance).join(' ')]);
    }
    // 1 vCPU needs at least 512 MiB on Cloud Run's current table (docs/contracts/google-cloud.md §12).
    for (const f of sized) expect([f.name, memoryBytesOf(f.instance) >= 512 * 2 ** 20]).toEqual([f.name, true]);
  });

  it("every other function keeps one request at a time and Node's defaults", () => {
    for (const f of manifest.filter((m) => !sized.some((s) => s.name === m.name))) {
      expect([f.name, service(f.name, 'max_instance_request_concurrency')]).toEqual([f.name, 1]);
      const env = service(f.name, 'environment_variables');
      expect([f.name, isObjectValue(env) && 'NODE_OPTIONS' in env]).toEqual([f.name, false]);
    }
  });

  it('function_settings node_options replaces the NODE_OPTIONS functions.json derives, for a sized function or any other', () => {
    const envWith = (settings: Record<string, Json>, name: string) => {
      const env = fn(name, new Evaluator(config, { rootVariables: { ...MOCK_MODE, function_settings: settings } })).attr(
        'service_config',
        '0',
        'environment_variables',
      );
      return isObjectValue(env) ? env['NODE_OPTIONS'] : env;
    };
    const both = '--max-semi-space-size=16 --max-old-space-size=320';
    expect(envWith({ 'zoom-webhook': { node_options: both } }, 'zoom-webhook')).toBe(both);
    expect(envWith({ crm: { node_options: '--max-old-space-size=192' } }, 'crm')).toBe('--max-old-space-size=192');
    expect(envWith({ crm: { timeout_seconds: 30 } }, 'zoom-webhook')).toBe('--max-semi-space-size=16');
    expect(envWith({ crm: { timeout_seconds: 30 } }, 'crm')).toBeUndefined();
  });

  it("function_settings may change the sizing; more than one request below 1 vCPU is refused at plan by the module's validation", () => {
    const findings = (settings: Record<string, Json>) =>
      checkValidations(new Evaluator(config, { rootVariables: { ...MOCK_MODE, function_settings: settings } })).map((f) => `${f.where}: ${f.message}`);
    expect(findings({})).toEqual([]);
    expect(findings({ 'zoom-webhook': { available_cpu: '0.5' } })).toEqual([
      expect.stringMatching(
        /^module\.function\["zoom-webhook"\]\.var\.settings: max_instance_request_concurrency must be 1 to 1000, and above 1 only with available_cpu/,
      ),
    ]);
    expect(findings({ crm: { max_instance_request_concurrency: 8 } })).toEqual([expect.stringMatching(/^module\.function\["crm"\]\.var\.settings: /)]);
    expect(findings({ crm: { max_instance_request_concurrency: 8, available_cpu: '1' } })).toEqual([]);
    expect(findings({ 'zoom-webhook': { max_instance_request_concurrency: 1, available_cpu: '0.5', available_memory: '256M' } })).toEqual([]);
    expect(findings({ 'ui-connector': { max_instance_request_concurrency: 1001 } })).toEqual([expect.stringMatching(/ui-connector.*must be 1 to 1000/)]);
  });
});
