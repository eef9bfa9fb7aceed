// The offline checks run on the real configuration in terraform/ (no terraform binary exists
// here). checkers.test.ts proves that each of these checks fails on a broken snippet.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import {
  checkAttributes,
  checkDeployments,
  checkModuleCalls,
  checkPrimitiveRoles,
  checkPublicInvokers,
  checkReferences,
  checkSecrets,
  checkSyntax,
  readManifest,
  looksLikeCredential,
} from './lib/checks';
import { Evaluator, isObjectValue, type ModuleInstance, refsOf, refString, type Value } from './lib/evaluate';
import { type Block, type Configuration, formatFindings, isJsonObject, loadConfiguration } from './lib/hcl';
import { loadProviderSchema, type ProviderSchema } from './lib/schema';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const terraformDir = join(repo, 'terraform');
const manifestPath = join(repo, 'functions', 'functions.json');
const manifest = readManifest(readFileSync(manifestPath, 'utf8'));
const PUBLIC_FUNCTIONS = ['crm', 'ui-connector', 'zoom-webhook'];

let config: Configuration;
let schema: ProviderSchema;
let ev: Evaluator;

beforeAll(async () => {
  config = await loadConfiguration(terraformDir);
  schema = loadProviderSchema(terraformDir);
  ev = new Evaluator(config);
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

function instances(kind: 'resource' | 'data', type: string): Instance[] {
  return ev.resourceInstances(kind, (t) => t === type).map((r) => ({
    ...r,
    attr: (...path: string[]) => ev.attribute(r.instance, r.block, r.key, r.each, path),
    where: `${r.instance.path}${r.block.type}.${r.block.name}${r.key === undefined ? '' : `[${JSON.stringify(r.key)}]`}`,
  }));
}

const refNames = (v: Value): string[] => refsOf(v).map(refString);
const fn = (name: string): Instance => {
  const found = instances('resource', 'google_cloudfunctions2_function').find((f) => f.attr('name') === name);
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

  it('allows allUsers to invoke only crm, ui-connector and zoom-webhook', () => {
    expectClean(checkPublicInvokers(config, PUBLIC_FUNCTIONS));
  });

  it('passes credentials only through Secret Manager, each function reading exactly its own secrets', () => {
    expectClean(checkSecrets(config));
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

    const [job] = instances('resource', 'google_cloud_scheduler_job');
    const audience = refNames(job?.attr('http_target', '0', 'oidc_token', '0', 'audience') ?? null);
    expect(audience).toContain('module.function["reconcile"].google_cloudfunctions2_function.this.url');
    const tokenSa = refNames(job?.attr('http_target', '0', 'oidc_token', '0', 'service_account_email') ?? null);
    expect(tokenSa).toContain('module.scheduler.google_service_account.this.email');

    const [push] = instances('resource', 'google_pubsub_subscription').filter((s) => s.attr('name') === 'reconcile-slices-push');
    expect(refNames(push?.attr('push_config', '0', 'push_endpoint') ?? null)).toContain('module.function["reconcile"].google_cloudfunctions2_function.this.url');
    expect(refNames(push?.attr('push_config', '0', 'oidc_token', '0', 'audience') ?? null)).toContain('module.function["reconcile"].google_cloudfunctions2_function.this.url');
    expect(refNames(push?.attr('push_config', '0', 'oidc_token', '0', 'service_account_email') ?? null)).toContain('module.function["reconcile"].google_service_account.this.email');
  });

  it('interaction-worker is internal only and invoked by the Eventarc trigger service account, with retries', () => {
    const worker = fn('interaction-worker');
    expect(worker.attr('service_config', '0', 'ingress_settings')).toBe('ALLOW_INTERNAL_ONLY');
    expect(worker.attr('event_trigger', '0', 'retry_policy')).toBe('RETRY_POLICY_RETRY');
    expect(refNames(worker.attr('event_trigger', '0', 'service_account_email'))).toContain('google_service_account.eventarc_trigger.email');
    const members = invokersOf('interaction-worker').flatMap((g) => refNames(g.attr('member')));
    expect(members).toContain('google_service_account.eventarc_trigger.member');
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

  it('gives the topic and bucket names to the functions that use them', () => {
    expect(Object.keys(envOf('zoom-webhook'))).toContain('ZOOM_EVENTS_TOPIC');
    expect(Object.keys(envOf('reconcile'))).toEqual(expect.arrayContaining(['ZOOM_EVENTS_TOPIC', 'RECONCILE_SLICES_TOPIC']));
    expect(Object.keys(envOf('ui-connector'))).toContain('CONVERSATION_EVENTS_TOPIC');
    expect(Object.keys(envOf('interaction-worker'))).toContain('ARCHIVE_BUCKET');
  });

  it('passes each credential as a secret env var from Secret Manager', () => {
    expect(secretEnvOf('zoom-webhook')).toEqual({ ZOOM_WEBHOOK_SECRET: 'zoom-webhook-secret', ZOOM_WEBHOOK_SECRET_PREVIOUS: 'zoom-webhook-secret-previous' });
    expect(secretEnvOf('ui-connector')).toEqual({ TWILIO_AUTH_TOKEN: 'twilio-auth-token', UI_CONNECTOR_JWT_SECRET: 'ui-connector-jwt-secret' });
    expect(secretEnvOf('crm')).toEqual({ CRM_CREDENTIALS: 'crm-credentials' });
    for (const name of ['interaction-worker', 'reconcile']) {
      expect(secretEnvOf(name)).toEqual(expect.objectContaining({ ZOOM_CLIENT_ID: 'zoom-client-id', ZOOM_CLIENT_SECRET: 'zoom-client-secret', ZOOM_ACCOUNT_ID: 'zoom-account-id' }));
    }
  });
});

describe('Pub/Sub', () => {
  it('creates zoom-events, conversation-events and reconcile-slices', () => {
    const names = instances('resource', 'google_pubsub_topic').map((t) => t.attr('name'));
    expect(names).toEqual(expect.arrayContaining(['zoom-events', 'conversation-events', 'reconcile-slices']));
  });

  it('gives every consumed topic a <topic>-dead-letter topic with an inspection subscription and the service agent publisher on it', () => {
    const consumed = ['zoom-events', 'reconcile-slices']; // Eventarc trigger of interaction-worker, push to reconcile
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

  it('attaches the dead-letter topic to the Eventarc-owned subscription by script (terraform cannot), command exported for Cloud Build', () => {
    const commands = ev.root.local('dead_letter_attach_commands');
    expect(isObjectValue(commands) && Object.keys(commands)).toEqual(['interaction-worker']);
    const outputs = config.root.outputs.get('post_apply_commands');
    expect(outputs?.body['value']).toEqual(expect.stringContaining('local.dead_letter_attach_commands'));
  });
});

describe('Firestore (terraform/firestore.tf)', () => {
  it('puts TTL policies on expireAt of conversations, zoomEventKeys and crmMockJournal', () => {
    const ttl = instances('resource', 'google_firestore_field');
    expect(ttl.map((f) => f.attr('collection')).sort()).toEqual(['conversations', 'crmMockJournal', 'zoomEventKeys']);
    for (const f of ttl) {
      expect(f.attr('field')).toBe('expireAt');
      expect(f.attr('ttl_config')).toEqual([{}]);
    }
  });

  it('creates the composite indexes crmMockJournal(sessionId, at) and ledger(state, updatedAt)', () => {
    const indexes = instances('resource', 'google_firestore_index').map((i) => ({
      collection: i.attr('collection'),
      fields: (i.attr('fields') as Value[]).map((f) => (isObjectValue(f) ? `${String(f['field_path'])} ${String(f['order'])}` : '?')),
    }));
    expect(indexes).toEqual(
      expect.arrayContaining([
        { collection: 'crmMockJournal', fields: ['sessionId ASCENDING', 'at ASCENDING'] },
        { collection: 'ledger', fields: ['state ASCENDING', 'updatedAt ASCENDING'] },
      ]),
    );
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
    const classes = Array.isArray(rules) ? rules.map((r) => (isObjectValue(r) ? ev.getAttr(ev.getAttr(r, 'action'), 0) : null)).map((a) => (isObjectValue(a) ? a['storage_class'] : undefined)) : [];
    expect(classes).toEqual(expect.arrayContaining(['NEARLINE', 'COLDLINE', 'ARCHIVE']));
  });

  it('the CCAI Platform service account holds Storage Object Admin on its bucket and nothing else', () => {
    const grants = ev
      .resourceInstances('resource', (t) => /_iam_member$/.test(t))
      .map((r) => ({ r, member: ev.attribute(r.instance, r.block, r.key, r.each, ['member']) }))
      .filter(({ member }) => refNames(member).some((n) => n.includes('google_service_account.ccaip')));
    expect(grants.map(({ r }) => `${r.block.type} ${String(ev.attribute(r.instance, r.block, r.key, r.each, ['role']))}`)).toEqual([
      'google_storage_bucket_iam_member roles/storage.objectAdmin',
    ]);
  });

  it('the generated CCAI Platform key is a sensitive output', () => {
    const out = config.root.outputs.get('ccaip_storage_key_json');
    expect(out?.body['sensitive']).toBe(true);
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

  it('the committed attribute list matches the google provider version the configuration requires', () => {
    const terraformBlock = config.root.others.find((b) => b.kind === 'terraform');
    const providers = terraformBlock?.body['required_providers'];
    const first = Array.isArray(providers) ? providers[0] : undefined;
    const google = isJsonObject(first) ? first['google'] : undefined;
    const constraint = isJsonObject(google) ? String(google['version']) : '';
    expect(constraint).toContain(`>= ${schema.googleVersion}`);
  });
});
