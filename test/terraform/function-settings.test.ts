// Does Terraform give each function what its code needs? The settings are derived from the
// functions' own configuration modules (their zod shapes, parsed with an empty env), and the
// deployment is evaluated from terraform/ with terraform.tfvars.example and variations of it
// (each CRM mode and adapter, each CRM authentication). Then each function is composed, as its
// entry point does at instance start, from exactly the environment Terraform gives it: the
// cross-key rules (CRM_AUTH_METHODS => credentials, mock mode => admin token, an adapter =>
// its keys) run too. A setting added to the code without Terraform fails here.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@cdktf/hcl2json';
import { composeCallLog } from '../../functions/call-log/compose';
import { callLogConfigShape } from '../../functions/call-log/config';
import { composeCcaipSdk } from '../../functions/ccaip-sdk/compose';
import { ccaipSdkConfigShape } from '../../functions/ccaip-sdk/config';
import { composeCrm } from '../../functions/crm/compose';
import { crmFunctionConfigShape } from '../../functions/crm/config';
import { composeInteractionWorker } from '../../functions/interaction-worker/compose';
import { interactionWorkerConfigShape } from '../../functions/interaction-worker/config';
import { composeReconcile } from '../../functions/reconcile/compose';
import { reconcileConfigShape } from '../../functions/reconcile/config';
import { composeOperator } from '../../functions/operator/compose';
import { operatorConfigShape } from '../../functions/operator/config';
import { composeUiConnector } from '../../functions/ui-connector/compose';
import { uiConnectorConfigShape } from '../../functions/ui-connector/config';
import { composeZoomWebhook } from '../../functions/zoom-webhook/compose';
import { zoomWebhookConfigShape } from '../../functions/zoom-webhook/config';
import { type Env, envString, optionalSecret } from '../../shared/config';
import { readManifest } from './lib/checks';
import { Evaluator } from './lib/evaluate';
import {
  type ConfigShape,
  checkSecretCoverage,
  checkSettings,
  checkValidations,
  type DeployedSettings,
  deployedSettings,
  type FunctionSettings,
  SAMPLE_SECRET,
  settingsOf,
  startupEnv,
} from './lib/function-settings';
import { type Configuration, formatFindings, type Json, loadConfiguration } from './lib/hcl';

const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..');
const terraformDir = join(repo, 'terraform');
const manifest = readManifest(readFileSync(join(repo, 'functions', 'functions.json'), 'utf8'));

const quiet = (_line: string): void => {};

interface FunctionUnderTest {
  shape: ConfigShape;
  /** Composes the function as its entry point does (throws on a bad configuration). */
  compose: (env: Env) => unknown;
  /** Credentials the code can read that no deployment mounts, and why. */
  notDeployed: Record<string, string>;
}

const viaCrmFunction = "the worker writes through the crm function (CRM_ADAPTER=contract); the CRM credentials are the crm function's";

/** Functions that write the CRM through the crm function never get the CRM adapters' credentials. */
const crmCredentialsViaCrmFunction = Object.fromEntries(
  ['SERVICENOW_PASSWORD', 'SALESFORCE_CLIENT_SECRET', 'ZENDESK_API_TOKEN', 'BA360_PASSWORD', 'BA360_SECRET_KEY', 'BA360_CLIENT_KEY', 'BA360_LINK_SECRET'].map(
    (k) => [k, viaCrmFunction],
  ),
);

const FUNCTIONS: Record<string, FunctionUnderTest> = {
  crm: {
    shape: crmFunctionConfigShape,
    // composeCrm logs one line to stdout when ready; keep test output clean.
    compose: (env) => withoutStdout(() => composeCrm(env)),
    notDeployed: {},
  },
  'ui-connector': { shape: uiConnectorConfigShape, compose: (env) => composeUiConnector(env, {}, { log: quiet }), notDeployed: {} },
  'zoom-webhook': {
    shape: zoomWebhookConfigShape,
    compose: (env) => composeZoomWebhook(env, undefined, { log: quiet }),
    notDeployed: { GCS_SIGNER_PRIVATE_KEY: 'local stack only: deployed, the function signs V4 URLs as its own service account through IAM signBlob' },
  },
  'interaction-worker': {
    shape: interactionWorkerConfigShape,
    compose: (env) => composeInteractionWorker(env, undefined, { log: quiet }),
    notDeployed: crmCredentialsViaCrmFunction,
  },
  reconcile: { shape: reconcileConfigShape, compose: (env) => composeReconcile(env, undefined, { log: quiet }), notDeployed: {} },
  operator: { shape: operatorConfigShape, compose: (env) => composeOperator(env, undefined, { log: quiet }), notDeployed: {} },
  'ccaip-sdk': { shape: ccaipSdkConfigShape, compose: (env) => composeCcaipSdk(env, {}, { log: quiet }), notDeployed: {} },
  'call-log': {
    shape: callLogConfigShape,
    compose: (env) => composeCallLog(env, undefined, { log: quiet }),
    notDeployed: crmCredentialsViaCrmFunction,
  },
};

function withoutStdout<T>(run: () => T): T {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    return run();
  } finally {
    process.stdout.write = write;
  }
}

/** Root variables on top of terraform.tfvars.example, one set per deployment shape that matters. */
const SCENARIOS: Record<string, Record<string, Json>> = {
  'the example (crm mock, every CCAI Platform authentication)': {},
  'crm real in front of ServiceNow': {
    crm_mode: 'real',
    crm_adapter: 'servicenow',
    crm_adapter_settings: { SERVICENOW_INSTANCE_URL: 'https://example.service-now.com', SERVICENOW_USER: 'ccbridge.integration' },
  },
  'crm real in front of Salesforce': {
    crm_mode: 'real',
    crm_adapter: 'salesforce',
    crm_adapter_settings: {
      SALESFORCE_LOGIN_URL: 'https://example.my.salesforce.com',
      SALESFORCE_CLIENT_ID: '3MVG9example',
      SALESFORCE_SEARCH_ORDER: 'Contact|Account',
    },
  },
  'crm real in front of Zendesk': {
    crm_mode: 'real',
    crm_adapter: 'zendesk',
    crm_adapter_settings: { ZENDESK_BASE_URL: 'https://example.zendesk.com', ZENDESK_EMAIL: 'integration@example.com' },
  },
  'crm real in front of Be Aware 360': {
    crm_mode: 'real',
    crm_adapter: 'ba360',
    crm_adapter_settings: {
      BA360_API_URL: 'https://example.beaware360.com',
      BA360_INSTANCE_URL: 'https://example.deskbeaware.com',
      BA360_USER: 'ccbridge',
      BA360_COMPANY: 'Example',
    },
  },
  'OAuth only (CCAI Platform and the worker)': { crm_auth_methods: ['oauth'], crm_client_auth: 'oauth' },
  'API key header only, unsigned Twilio requests rejected, no CORS origins': {
    crm_auth_methods: ['header'],
    crm_client_auth: 'header',
    crm_api_key_header: 'X-Ccbridge-Key',
    ui_connector_unsigned_requests: 'reject',
    ui_connector_cors_origins: [],
  },
  'ccaip-sdk with guests, keys by discovery, mapped claims, a company name, no origins': {
    ccaip_sdk_allow_guests: true,
    ccaip_sdk_oidc_jwks_url: null,
    ccaip_sdk_claims: { identifier: 'https://example.com/claims/uuid', phone: 'none' },
    ccaip_sdk_company_name: 'Example Shop',
    ccaip_sdk_allowed_origins: [],
  },
  'ccaip-sdk sample page with its widget': {
    ccaip_sdk_demo_page: true,
    ccaip_sdk_company_id: 'acme-123',
    ccaip_sdk_host: 'https://acme.uc1.ccaiplatform.com',
    ccaip_sdk_allow_guests: true,
  },
};

let config: Configuration;
let example: Record<string, Json>;
const settings = new Map<string, FunctionSettings>(Object.entries(FUNCTIONS).map(([name, f]) => [name, settingsOf(f.shape)]));
const settingsFor = (name: string): FunctionSettings => {
  const s = settings.get(name);
  if (!s) throw new Error(`no settings for ${name}`);
  return s;
};
const evaluators = new Map<string, Evaluator>();
const evaluatorFor = (scenario: string): Evaluator => {
  let ev = evaluators.get(scenario);
  if (!ev) {
    ev = new Evaluator(config, { rootVariables: { ...example, ...(SCENARIOS[scenario] ?? {}) } });
    evaluators.set(scenario, ev);
  }
  return ev;
};

beforeAll(async () => {
  config = await loadConfiguration(terraformDir);
  example = (await parse('terraform.tfvars.example', readFileSync(join(terraformDir, 'terraform.tfvars.example'), 'utf8'))) as Record<string, Json>;
});

describe("settings derived from the functions' configuration modules", () => {
  it('covers every function in functions/functions.json', () => {
    expect(Object.keys(FUNCTIONS).sort()).toEqual(manifest.map((f) => f.name).sort());
  });

  it('finds the required keys and the credentials (spot checks against the code)', () => {
    const zoom = settingsFor('zoom-webhook');
    expect(zoom.required).toEqual(['ARCHIVE_BUCKET', 'ARTIFACT_LINK_SECRET', 'GCP_PROJECT', 'ZOOM_EVENTS_TOPIC', 'ZOOM_WEBHOOK_SECRET']);
    expect(zoom.secrets).toEqual([
      'ARTIFACT_LINK_SECRET',
      'ARTIFACT_LINK_SECRET_PREVIOUS',
      'GCS_SIGNER_PRIVATE_KEY',
      'ZOOM_WEBHOOK_SECRET',
      'ZOOM_WEBHOOK_SECRET_PREVIOUS',
    ]);
    expect(settingsFor('reconcile').required).toEqual([
      'GCP_PROJECT',
      'RECONCILE_AUDIENCE',
      'RECONCILE_INVOKERS',
      'RECONCILE_PUSH_INVOKERS',
      'RECONCILE_SLICES_TOPIC',
      'ZOOM_ACCOUNT_ID',
      'ZOOM_CLIENT_ID',
      'ZOOM_CLIENT_SECRET',
      'ZOOM_EVENTS_TOPIC',
    ]);
    expect(settingsFor('ui-connector').secrets).toEqual([
      'TWILIO_AUTH_TOKEN',
      'UI_CONNECTOR_JWT_SECRET',
      'UI_CONNECTOR_JWT_SECRET_PREVIOUS',
      'UI_CONNECTOR_KEY_HASH_SECRET',
    ]);
    // Every function requires its project (never a local default) and crm its mode (chosen
    // explicitly, never a silent mock); which credentials it needs
    // depends on CRM_AUTH_METHODS and CRM_MODE (checkCrmFunctionConfig), exercised by composing it below.
    expect(settingsFor('crm').required).toEqual(['CRM_MODE', 'GCP_PROJECT']);
    expect(settingsFor('crm').secrets).toEqual(
      expect.arrayContaining(['CRM_ADMIN_TOKEN', 'CRM_API_KEY', 'CRM_BASIC_PASSWORD', 'CRM_OAUTH_CLIENT_SECRET', 'SERVICENOW_PASSWORD']),
    );
    expect(settingsFor('interaction-worker').required).toEqual([
      'ARCHIVE_BUCKET',
      'ARTIFACT_LINK_SECRET',
      'GCP_PROJECT',
      'PUBLIC_BASE_URL',
      'ZOOM_ACCOUNT_ID',
      'ZOOM_CLIENT_ID',
      'ZOOM_CLIENT_SECRET',
    ]);
  });
});

describe.each(Object.keys(SCENARIOS))('Terraform with %s', (scenario) => {
  it('satisfies every variable validation', () => {
    expect(formatFindings(checkValidations(evaluatorFor(scenario)))).toBe('');
  });

  it.each(Object.keys(FUNCTIONS))('%s: every required setting is set, credentials only as secret env vars, nothing set that the code does not read', (name) => {
    expect(formatFindings(checkSettings(name, settingsFor(name), deployedSettings(evaluatorFor(scenario), name)))).toBe('');
  });

  it.each(Object.keys(FUNCTIONS))('%s: starts with the environment Terraform gives it', (name) => {
    const fn = FUNCTIONS[name]!;
    const started = startupEnv(name, settingsFor(name), deployedSettings(evaluatorFor(scenario), name));
    expect(formatFindings(started.findings)).toBe('');
    // Only the scheduler's service account email is unknown before apply.
    expect(started.afterApply).toEqual(name === 'reconcile' ? ['RECONCILE_INVOKERS'] : []);
    expect(() => fn.compose(started.env)).not.toThrow();
  });

  it('creates exactly the Secret Manager secrets the functions mount', () => {
    const ev = evaluatorFor(scenario);
    const mounted = new Set(Object.keys(FUNCTIONS).flatMap((name) => Object.values(deployedSettings(ev, name).secretEnv)));
    const created = ev
      .resourceInstances('resource', (t) => t === 'google_secret_manager_secret')
      .filter((r) => r.instance.path === 'module.secrets.')
      .map((r) => ev.attribute(r.instance, r.block, r.key, r.each, ['secret_id']));
    expect(created.sort()).toEqual([...mounted].sort());
  });
});

describe("ccaip-sdk's sample page", () => {
  it("is off unless asked for; when on, the function's own origin may call it and the widget settings are passed", () => {
    const off = deployedSettings(evaluatorFor('the example (crm mock, every CCAI Platform authentication)'), 'ccaip-sdk').env;
    expect([off['SDK_DEMO_PAGE'], off['SDK_CORS_ORIGINS']]).toEqual([undefined, 'https://www.example.com']);
    const on = deployedSettings(evaluatorFor('ccaip-sdk sample page with its widget'), 'ccaip-sdk').env;
    expect(on).toMatchObject({
      SDK_DEMO_PAGE: 'true',
      CCAIP_COMPANY_ID: 'acme-123',
      CCAIP_HOST: 'https://acme.uc1.ccaiplatform.com',
      SDK_CORS_ORIGINS: 'https://www.example.com,https://us-central1-my-ccbridge-dev.cloudfunctions.net',
    });
  });
});

describe('every credential the code reads', () => {
  it.each(Object.keys(FUNCTIONS))('%s: is mounted in some configuration, or deliberately not deployed', (name) => {
    const deployments = Object.keys(SCENARIOS).map((s) => deployedSettings(evaluatorFor(s), name));
    expect(formatFindings(checkSecretCoverage(name, settingsFor(name), deployments, FUNCTIONS[name]!.notDeployed))).toBe('');
  });
});

// The checks above pass vacuously if they cannot fail: each one, on a deliberately incomplete
// or wrong deployment.
describe('the settings checks fail where they should', () => {
  const base = 'the example (crm mock, every CCAI Platform authentication)';
  const without = (d: DeployedSettings, plain: string[], secret: string[]): DeployedSettings => ({
    env: Object.fromEntries(Object.entries(d.env).filter(([k]) => !plain.includes(k))),
    secretEnv: Object.fromEntries(Object.entries(d.secretEnv).filter(([k]) => !secret.includes(k))),
  });

  it('reports a required setting and a required credential missing from an incomplete map', () => {
    const deployed = without(deployedSettings(evaluatorFor(base), 'zoom-webhook'), ['ARCHIVE_BUCKET'], ['ARTIFACT_LINK_SECRET']);
    expect(checkSettings('zoom-webhook', settingsFor('zoom-webhook'), deployed).map((f) => f.message)).toEqual([
      'ARCHIVE_BUCKET is required by the code but Terraform does not set it (add it to function_env)',
      'ARTIFACT_LINK_SECRET is a required credential of the code but not a secret env var (add it to function_secret_env)',
    ]);
  });

  it('reports a setting the code starts requiring before Terraform provides it', () => {
    const grown = settingsOf({ ...zoomWebhookConfigShape, ZOOM_NEW_SETTING: envString() });
    expect(checkSettings('zoom-webhook', grown, deployedSettings(evaluatorFor(base), 'zoom-webhook')).map((f) => f.message)).toEqual([
      'ZOOM_NEW_SETTING is required by the code but Terraform does not set it (add it to function_env)',
    ]);
  });

  it('reports a credential passed as a plain env var, a non-credential from Secret Manager, and settings nobody reads', () => {
    const d = deployedSettings(evaluatorFor(base), 'reconcile');
    const wrong: DeployedSettings = {
      env: { ...without(d, ['ZOOM_ACCOUNT_ID'], []).env, ZOOM_CLIENT_SECRET: 'plain', CRM_CREDENTIALS: 'x' },
      secretEnv: { ...d.secretEnv, ZOOM_ACCOUNT_ID: 'zoom-account-id', ARCHIVE_SECRET: 'archive-secret' },
    };
    expect(checkSettings('reconcile', settingsFor('reconcile'), wrong).map((f) => f.message)).toEqual([
      'ZOOM_ACCOUNT_ID is required but not a credential: set it in function_env, not from Secret Manager',
      'ZOOM_CLIENT_SECRET is a credential but is set as a plain env var (use function_secret_env)',
      "CRM_CREDENTIALS is set but the function's configuration does not read it",
      'ZOOM_ACCOUNT_ID is mounted from Secret Manager but the code does not treat it as a secret',
      "secret ARCHIVE_SECRET is mounted but the function's configuration does not read it",
    ]);
  });

  it('reports a credential the code reads that no configuration mounts', () => {
    const withSecret = settingsOf({ ...reconcileConfigShape, RECONCILE_SIGNING_KEY: optionalSecret(16) });
    expect(withSecret.secrets).toEqual(['RECONCILE_SIGNING_KEY', 'ZOOM_CLIENT_SECRET']);
    const deployed = [deployedSettings(evaluatorFor(base), 'reconcile')];
    expect(checkSecretCoverage('reconcile', withSecret, deployed, {}).map((f) => f.message)).toEqual([
      'the code reads credential RECONCILE_SIGNING_KEY, but no configuration mounts it and it is not listed as not deployed',
    ]);
    expect(checkSecretCoverage('reconcile', withSecret, deployed, { RECONCILE_SIGNING_KEY: 'why', ZOOM_CLIENT_SECRET: 'wrong' }).map((f) => f.message)).toEqual(
      ['ZOOM_CLIENT_SECRET is listed as not deployed but is mounted'],
    );
  });

  it('a function refuses to start without a credential its cross-key rules require (mock mode => CRM_ADMIN_TOKEN)', () => {
    const deployed = without(deployedSettings(evaluatorFor(base), 'crm'), [], ['CRM_ADMIN_TOKEN']);
    expect(checkSettings('crm', settingsFor('crm'), deployed)).toEqual([]); // per-key parsing cannot see it...
    const { env } = startupEnv('crm', settingsFor('crm'), deployed);
    expect(() => FUNCTIONS['crm']!.compose(env)).toThrow(/CRM_ADMIN_TOKEN: required in mock mode/); // ...composing does
  });

  it('the worker refuses to start when its CRM client credentials are missing', () => {
    const deployed = without(deployedSettings(evaluatorFor(base), 'interaction-worker'), ['CRM_BASIC_USER'], ['CRM_BASIC_PASSWORD']);
    const { env } = startupEnv('interaction-worker', settingsFor('interaction-worker'), deployed);
    expect(() => FUNCTIONS['interaction-worker']!.compose(env)).toThrow(/CRM_BASIC_USER: required when CRM_CLIENT_AUTH=basic[\s\S]*CRM_BASIC_PASSWORD/);
  });

  it('variable validation rejects crm real mode without its adapter, and an adapter without its settings', () => {
    const messages = (vars: Record<string, Json>): string[] =>
      checkValidations(new Evaluator(config, { rootVariables: { ...example, ...vars } })).map((f) => `${f.where}: ${f.message}`);
    expect(messages({ crm_mode: 'real' })).toEqual([expect.stringMatching(/^var\.crm_adapter: crm_adapter is required when crm_mode = "real"/)]);
    expect(messages({ crm_mode: 'real', crm_adapter: 'zendesk', crm_adapter_settings: { ZENDESK_BASE_URL: 'https://x.zendesk.com' } })).toEqual([
      expect.stringMatching(/^var\.crm_adapter_settings: crm_adapter_settings lacks a setting/),
    ]);
    expect(messages({ crm_auth_methods: ['oauth'] })).toEqual([expect.stringMatching(/^var\.crm_client_auth: /)]);
  });

  it('sample values satisfy every secret schema (so a failed start is a missing key, not a short sample)', () => {
    for (const [name, s] of settings)
      for (const key of s.secrets) expect([name, key, s.schemas[key]?.safeParse(SAMPLE_SECRET).success]).toEqual([name, key, true]);
  });
});
