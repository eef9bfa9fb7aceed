/**
 * Settings of call-log (README.md). Parsed once from the injected env; every bad key, and
 * every bad entry of CALL_LOG_FIELD_MAP, is reported at once.
 */
import * as z from 'zod';
import { ConfigError, type Env, envInt, envList, envString, envUrl, Secret } from '../../shared/config';
import { crmClientConfigShape } from '../../shared/crm/config';
import type { FieldRule } from '../../shared/crm/adapters/field-map';
import type { CrmAdapterKind } from '../../shared/crm/config';
import { RECORD_FIELD_TARGETS, type RecordFieldTarget, recordFieldProblems } from '../../shared/crm/record-fields';
import { functionPublicUrl } from '../../shared/http/url';

/**
 * Caller IDs that mean "withheld": Twilio passes a blocked caller ID through as the carrier
 * sends it (docs/contracts/twilio.md §5). Matched case-insensitively, after removing spaces.
 */
const DEFAULT_PRIVATE_NUMBERS = [
  'anonymous',
  'restricted',
  'unknown',
  'private',
  'unavailable',
  'blocked',
  '+266696687',
  '+7378742833',
  '+2562533',
  '+86282452253',
  '+8656696',
];

export const callLogConfigShape = {
  ...crmClientConfigShape,
  /** Auth tokens of the Twilio accounts whose status callbacks are accepted (comma-separated: rotation, several accounts). */
  TWILIO_AUTH_TOKEN: envList()
    .pipe(z.array(z.string().min(16, { error: 'each value must be at least 16 characters' })).min(1, { error: 'at least one Twilio auth token is required' }))
    .transform((values) => values.map((v) => new Secret(v))),
  PUBLIC_BASE_URL: envUrl().optional(),
  /** The function's public URL as Twilio calls it (default: PUBLIC_BASE_URL + /call-log). */
  CALL_LOG_PUBLIC_URL: envUrl().optional(),
  /** More public URLs of the same function (custom domains, the Cloud Run URL). */
  CALL_LOG_PUBLIC_URLS: envList()
    .pipe(z.array(z.url({ protocol: /^https?$/, error: 'each value must be an absolute http(s) URL' })))
    .default([]),
  CALL_LOG_COLLECTION: envString().default('call-logs'),
  /** No CRM record has the caller's number: create a Lead or a Contact (Salesforce; one kind of account elsewhere), or none = log on the default record. */
  CALL_LOG_UNKNOWN_CALLER: z.enum(['Lead', 'Contact', 'none'], { error: 'must be Lead, Contact or none' }).default('none'),
  /** The CRM account (e.g. a Salesforce Account "Unknown callers") that withheld and unmatched callers' logs hang on; none: logged without an account. */
  CALL_LOG_DEFAULT_ACCOUNT_ID: z.preprocess((v) => (v === '' ? undefined : v), envString().optional()),
  /** `CrmField-Source` pairs separated by |, sources from the status callback (see ./callback.ts FIELD_SOURCES). */
  CALL_LOG_FIELD_MAP: z.string().default(''),
  /**
   * The CRM that finally holds the log when CRM_ADAPTER=contract (the crm function's mock or its
   * real CRM): whose field names CALL_LOG_FIELD_MAP may use. Implied by CRM_ADAPTER otherwise.
   */
  CALL_LOG_CRM: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.enum(RECORD_FIELD_TARGETS, { error: `must be one of ${RECORD_FIELD_TARGETS.join(', ')}` }).optional(),
  ),
  /** The contact center's time zone (IANA): the day a call is dated in the CRM (Salesforce Task ActivityDate) is its start's day there. */
  CALL_LOG_TIME_ZONE: z.string().refine(isTimeZone, { error: 'must be an IANA time zone such as Europe/Madrid or UTC' }).default('UTC'),
  CALL_LOG_PRIVATE_NUMBERS: envList().default(DEFAULT_PRIVATE_NUMBERS),
  /** A write that failed (CRM down) is tried again by the sweep after this long. */
  CALL_LOG_RETRY_AFTER_SECONDS: envInt(10, 86_400).default(300),
  /** How long one delivery may hold a call's write before another may take it over. */
  CALL_LOG_LEASE_SECONDS: envInt(5, 600).default(60),
  CALL_LOG_SWEEP_BATCH: envInt(1, 5000).default(500),
  /** The audience of the OIDC tokens of the Pub/Sub push and Cloud Scheduler (this function's URL). */
  CALL_LOG_AUDIENCE: envUrl().optional(),
  /** Service accounts whose OIDC tokens may push conversation events (the push subscription's identity). */
  CALL_LOG_PUSH_INVOKERS: envList().default([]),
  /** Service accounts whose OIDC tokens may run the sweep (Cloud Scheduler's identity). */
  CALL_LOG_SWEEP_INVOKERS: envList().default([]),
  OIDC_CERTS_URL: envUrl().default('https://www.googleapis.com/oauth2/v1/certs'),
};

export type CallLogConfig = z.output<z.ZodObject<typeof callLogConfigShape>>;

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-CA', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/**
 * The env the configuration is read from: "Lead"/"Contact" for unknown callers is also the
 * kind of account the CRM client creates (Salesforce's SALESFORCE_NEW_ACCOUNT_OBJECT).
 */
export function callLogEnv(env: Env): Env {
  const unknown = env['CALL_LOG_UNKNOWN_CALLER'];
  return unknown === 'Lead' || unknown === 'Contact' ? { ...env, SALESFORCE_NEW_ACCOUNT_OBJECT: unknown } : env;
}

/** The URL Twilio signs: CALL_LOG_PUBLIC_URL, else PUBLIC_BASE_URL + /call-log; neither set → ConfigError. */
export function callLogPublicUrl(config: Pick<CallLogConfig, 'CALL_LOG_PUBLIC_URL' | 'PUBLIC_BASE_URL'>): string {
  const url = functionPublicUrl(config.CALL_LOG_PUBLIC_URL, config.PUBLIC_BASE_URL, 'call-log');
  if (url === undefined) throw new ConfigError('call-log', ['CALL_LOG_PUBLIC_URL: required (or PUBLIC_BASE_URL): Twilio signs the exact URL it calls']);
  return url;
}

/**
 * The field map's CRM field names, checked at start against the CRM that will hold them: the
 * adapter itself, or — through the contract — the CRM named by CALL_LOG_CRM.
 */
export function checkFieldTarget(adapter: CrmAdapterKind, named: RecordFieldTarget | undefined, fieldMap: FieldRule[]): void {
  if (fieldMap.length === 0) return;
  if (adapter !== 'contract' && named !== undefined && named !== adapter) {
    throw new ConfigError('call-log', [`CALL_LOG_CRM: ${named} contradicts CRM_ADAPTER=${adapter} (leave it unset: the adapter is the CRM)`]);
  }
  const target = adapter === 'contract' ? named : adapter;
  if (target === undefined) {
    throw new ConfigError('call-log', [
      'CALL_LOG_CRM: required with CALL_LOG_FIELD_MAP when CRM_ADAPTER=contract: the CRM behind the crm function ' +
        '(salesforce, servicenow, zendesk, ba360 or mock), whose field names the map must use',
    ]);
  }
  const problems = recordFieldProblems(
    target,
    fieldMap.map((r) => r.field),
    'CALL_LOG_FIELD_MAP',
  );
  if (problems.length > 0) throw new ConfigError('call-log', problems);
}
