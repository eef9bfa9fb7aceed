// What each function's configuration module requires, derived from the code itself, and
// whether the Terraform deployment provides it. The code is the source of truth: a setting
// added to a function's zod shape without Terraform fails these checks.
//
//   settingsOf(shape)      parses the shape (plus the base keys every function has) with an
//                          empty env: the keys reported missing are the required ones; each
//                          key is also parsed with a sample value, and those whose output is a
//                          Secret are the credentials.
//   deployedSettings(...)  the plain and secret env vars of one evaluated deployment.
//   checkSettings(...)     required keys present, credentials only as secret env vars,
//                          nothing set that the code does not read.
//   checkSecretCoverage()  every credential the code can read is mounted in some
//                          configuration, or is listed as deliberately not deployed.
//   startupEnv(...)        the env a deployed instance would start with (placeholders for
//                          values known after apply and for secret values), for composing
//                          the function as its entry point does.
//   checkValidations(...)  no variable validation of the root module is false.

import * as z from 'zod';
import { baseConfigShape, type Env, Secret } from '../../../shared/config';
import { type Evaluator, isObjectValue, refString, refsOf, Unknown, type Value } from './evaluate';
import { type Finding, isJsonObject, type Json } from './hcl';

/** Env vars the platform or Node reads itself (declared by modules/function), not the code. */
export const PLATFORM_ENV = new Set(['LOG_EXECUTION_ID', 'NODE_OPTIONS']);

/** Long enough for every secret() minimum (32 bytes for signing keys), no comma (lists). */
export const SAMPLE_SECRET = 'sample-secret-value-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG';

/** Stand-ins for values Terraform knows only after apply, tried in order against the key's schema. */
const AFTER_APPLY_PLACEHOLDERS = ['known-after-apply', 'https://known-after-apply.invalid/', 'known-after-apply@placeholder.iam.gserviceaccount.com'];

export type ConfigShape = Record<string, z.ZodType>;

export interface FunctionSettings {
  /** Every key the function's configuration parses (base keys included). */
  keys: string[];
  /** Keys reported missing when parsed from an empty env. */
  required: string[];
  /** Keys whose parsed value is a Secret (or a list of Secrets). */
  secrets: string[];
  /** The schema of each key, for placeholders. */
  schemas: ConfigShape;
}

export function settingsOf(shape: ConfigShape): FunctionSettings {
  const schemas: ConfigShape = { ...baseConfigShape, ...shape };
  const parsed = z.object(schemas).safeParse({});
  const required = parsed.success ? [] : [...new Set(parsed.error.issues.map((i) => String(i.path[0] ?? '(env)')))];
  const isSecret = (v: unknown): boolean => v instanceof Secret || (Array.isArray(v) && v.length > 0 && v.every((x) => x instanceof Secret));
  const secrets = Object.entries(schemas)
    .filter(([, schema]) => {
      const r = schema.safeParse(SAMPLE_SECRET);
      return r.success && isSecret(r.data);
    })
    .map(([key]) => key);
  return { keys: Object.keys(schemas).sort(), required: required.sort(), secrets: secrets.sort(), schemas };
}

export interface DeployedSettings {
  /** Plain environment variables (values as evaluated: strings, or Unknown until apply). */
  env: Record<string, Value>;
  /** Secret environment variables: name => Secret Manager secret ID. */
  secretEnv: Record<string, string>;
}

/** The env and secret env of the google_cloudfunctions2_function named `name`. */
export function deployedSettings(ev: Evaluator, name: string): DeployedSettings {
  const found = ev
    .resourceInstances('resource', (t) => t === 'google_cloudfunctions2_function')
    .find((r) => ev.attribute(r.instance, r.block, r.key, r.each, ['name']) === name);
  if (!found) throw new Error(`no google_cloudfunctions2_function named ${name}`);
  const attr = (...path: string[]): Value => ev.attribute(found.instance, found.block, found.key, found.each, path);
  const env = attr('service_config', '0', 'environment_variables');
  if (!isObjectValue(env)) throw new Error(`environment_variables of ${name} cannot be determined statically`);
  const items = attr('service_config', '0', 'secret_environment_variables');
  const secretEnv: Record<string, string> = {};
  if (Array.isArray(items)) {
    for (const i of items) {
      if (!isObjectValue(i) || typeof i['key'] !== 'string') continue;
      const secret = i['secret'];
      secretEnv[i['key']] = typeof secret === 'string' ? (secret.split('/').pop() ?? secret) : '(unknown secret)';
    }
  } else if (!(items instanceof Unknown && items.error)) throw new Error(`secret_environment_variables of ${name} cannot be determined statically`);
  return { env, secretEnv };
}

const finding = (fn: string, message: string): Finding => ({ check: 'settings', file: 'terraform/functions.tf', where: fn, message });

/**
 * Required keys are set (plain ones in function_env, credentials in function_secret_env),
 * credentials never travel as plain env vars, and every key set is one the code reads.
 */
export function checkSettings(fn: string, settings: FunctionSettings, deployed: DeployedSettings): Finding[] {
  const out: Finding[] = [];
  const secrets = new Set(settings.secrets);
  const keys = new Set(settings.keys);
  for (const key of settings.required) {
    const plain = key in deployed.env;
    const secret = key in deployed.secretEnv;
    if (secrets.has(key) && !secret)
      out.push(finding(fn, `${key} is a required credential of the code but not a secret env var (add it to function_secret_env)`));
    if (!secrets.has(key) && !plain) {
      out.push(
        finding(
          fn,
          secret
            ? `${key} is required but not a credential: set it in function_env, not from Secret Manager`
            : `${key} is required by the code but Terraform does not set it (add it to function_env)`,
        ),
      );
    }
  }
  for (const key of Object.keys(deployed.env)) {
    if (secrets.has(key)) out.push(finding(fn, `${key} is a credential but is set as a plain env var (use function_secret_env)`));
    if (!keys.has(key) && !PLATFORM_ENV.has(key)) out.push(finding(fn, `${key} is set but the function's configuration does not read it`));
  }
  for (const key of Object.keys(deployed.secretEnv)) {
    if (!keys.has(key)) out.push(finding(fn, `secret ${key} is mounted but the function's configuration does not read it`));
    else if (!secrets.has(key)) out.push(finding(fn, `${key} is mounted from Secret Manager but the code does not treat it as a secret`));
  }
  return out;
}

/**
 * Every credential the function's code can read is mounted as a secret env var in at least
 * one of the evaluated configurations (e.g. each CRM adapter's), or is listed in
 * `notDeployed` with the reason.
 */
export function checkSecretCoverage(
  fn: string,
  settings: FunctionSettings,
  deployments: readonly DeployedSettings[],
  notDeployed: Readonly<Record<string, string>>,
): Finding[] {
  const out: Finding[] = [];
  const mounted = new Set(deployments.flatMap((d) => Object.keys(d.secretEnv)));
  for (const key of settings.secrets) {
    if (!mounted.has(key) && !(key in notDeployed))
      out.push(finding(fn, `the code reads credential ${key}, but no configuration mounts it and it is not listed as not deployed`));
    if (mounted.has(key) && key in notDeployed) out.push(finding(fn, `${key} is listed as not deployed but is mounted`));
  }
  for (const key of Object.keys(notDeployed))
    if (!settings.secrets.includes(key)) out.push(finding(fn, `${key} is listed as not deployed but is not a credential the code reads`));
  return out;
}

export interface StartupEnv {
  env: Env;
  /** Keys whose value is known only after apply (a placeholder stands in). */
  afterApply: string[];
  findings: Finding[];
}

/**
 * The env an instance of this deployment starts with: plain values as Terraform computes
 * them, placeholders accepted by the key's schema where the value is known only after apply,
 * and a sample value for each secret.
 */
export function startupEnv(fn: string, settings: FunctionSettings, deployed: DeployedSettings): StartupEnv {
  const env: Env = {};
  const afterApply: string[] = [];
  const findings: Finding[] = [];
  for (const [key, value] of Object.entries(deployed.env)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      env[key] = String(value);
      continue;
    }
    if (value instanceof Unknown && !value.error && refsOf(value).length > 0) {
      const schema = settings.schemas[key];
      const placeholder = schema ? AFTER_APPLY_PLACEHOLDERS.find((p) => schema.safeParse(p).success) : AFTER_APPLY_PLACEHOLDERS[0];
      if (placeholder !== undefined) {
        env[key] = placeholder;
        afterApply.push(key);
        continue;
      }
    }
    const from = value instanceof Unknown ? (value.error ?? refsOf(value).map(refString).join(', ')) : JSON.stringify(value);
    findings.push(finding(fn, `${key} has no usable value (${from})`));
  }
  for (const key of Object.keys(deployed.secretEnv)) env[key] = SAMPLE_SECRET;
  return { env, afterApply: afterApply.sort(), findings };
}

/** Variable validations of the root and of every module instance that evaluate to false (unknown ones, e.g. regex(), pass). */
export function checkValidations(ev: Evaluator): Finding[] {
  const out: Finding[] = [];
  // A module instance's variables hold the values its call passes, as plan evaluates them.
  for (const instance of ev.allInstances()) {
    for (const v of instance.def.variables.values()) {
      const rules = v.body['validation'];
      for (const rule of Array.isArray(rules) ? rules : []) {
        if (!isJsonObject(rule)) continue;
        const result = ev.evalJson((rule['condition'] ?? null) as Json, { instance });
        if (result === false)
          out.push({ check: 'validation', file: ev.config.display(v.file), where: `${instance.path}var.${v.name}`, message: String(rule['error_message']) });
      }
    }
  }
  return out;
}
