/**
 * Settings of the CRM clients, as a zod shape any function can spread into its own config
 * (`createFunctionRuntime(name, env, { ...crmClientConfigShape })`). Every key is optional
 * at parse time because which ones are required depends on CRM_ADAPTER; `createCrmClient`
 * then checks the chosen adapter's keys and fails with one ConfigError listing all missing.
 */
import * as z from 'zod';
import { envInt, envList, envString, envUrl, optionalSecret } from '../config';
import { countryCodeSchema } from '../phone';

const CRM_ADAPTERS = ['contract', 'servicenow', 'salesforce', 'zendesk', 'ba360'] as const;
export type CrmAdapterKind = (typeof CRM_ADAPTERS)[number];

const optionalString = () => z.preprocess((v) => (v === '' ? undefined : v), envString().optional());
const optionalUrl = () => z.preprocess((v) => (v === '' ? undefined : v), envUrl().optional());

export const crmClientConfigShape = {
  /** Which CRM this function writes: the ccbridge contract (the `crm` function) or a CRM directly. */
  CRM_ADAPTER: z.enum(CRM_ADAPTERS, { error: `must be one of ${CRM_ADAPTERS.join(', ')}` }).default('contract'),
  CRM_TIMEOUT_MS: envInt(100, 120_000).default(10_000),
  CRM_RETRY_LIMIT: envInt(0, 10).default(2),
  /** Country (ISO 3166-1 alpha-2) of phone numbers written without their country code. */
  CRM_DEFAULT_COUNTRY: countryCodeSchema().default('US'),
  CRM_DEFAULT_ACCOUNT_NAME: envString().default('Unknown caller'),

  // contract: the crm function, or anything speaking functions/crm/openapi.yaml
  CRM_BASE_URL: optionalUrl(),
  CRM_CLIENT_AUTH: z.enum(['basic', 'oauth', 'header', 'none'], { error: 'must be basic, oauth, header or none' }).default('basic'),
  CRM_BASIC_USER: optionalString(),
  CRM_BASIC_PASSWORD: optionalSecret(8),
  CRM_OAUTH_CLIENT_ID: optionalString(),
  CRM_OAUTH_CLIENT_SECRET: optionalSecret(16),
  CRM_API_KEY_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, { error: 'must be an HTTP header name' })
    .default('X-Api-Key'),
  CRM_API_KEY: optionalSecret(16),

  // ServiceNow: Table API + Attachment API, Basic auth
  SERVICENOW_INSTANCE_URL: optionalUrl(),
  SERVICENOW_USER: optionalString(),
  SERVICENOW_PASSWORD: optionalSecret(8),
  SERVICENOW_PHONE_FIELDS: envList().default(['phone', 'mobile_phone']),
  SERVICENOW_EXTERNAL_ID_FIELD: envString().default('employee_number'),
  SERVICENOW_DISPOSITION_FIELD: envString().default('close_code'),
  SERVICENOW_DEFAULT_CLOSE_CODE: envString().default('Solved (Permanently)'),

  // Salesforce: OAuth client credentials, REST API
  SALESFORCE_LOGIN_URL: optionalUrl(),
  SALESFORCE_CLIENT_ID: optionalString(),
  SALESFORCE_CLIENT_SECRET: optionalSecret(16),
  SALESFORCE_API_VERSION: z
    .string()
    .regex(/^\d+\.\d$/, { error: 'must look like 62.0' })
    .default('62.0'),
  /** Object types a phone/email lookup searches, in priority order (Opportunity has no phone field: refused). */
  SALESFORCE_SEARCH_ORDER: envString().default('Contact|Account|Lead'),
  SALESFORCE_NEW_ACCOUNT_OBJECT: z.enum(['Contact', 'Account', 'Lead'], { error: 'must be Contact, Account or Lead' }).default('Contact'),
  SALESFORCE_NEW_ACCOUNT_FIELDS: envString().default('LastName=Unknown caller|LastName-lastName|FirstName-firstName|Phone-phone|Email-email'),
  SALESFORCE_CASE_FIELDS: envString().default('Subject-subject|Origin-origin|Status=New'),
  SALESFORCE_TASK_FIELDS: envString().default('Subject-taskSubject|Status=In Progress|Priority=Normal'),
  SALESFORCE_EXTERNAL_ID_FIELD: optionalString(),

  // Zendesk: API token auth
  ZENDESK_BASE_URL: optionalUrl(),
  ZENDESK_EMAIL: optionalString(),
  ZENDESK_API_TOKEN: optionalSecret(16),
  /** Ticket custom field holding the disposition (tags only when unset). */
  ZENDESK_DISPOSITION_FIELD_ID: z.preprocess((v) => (v === '' ? undefined : v), envInt(1, Number.MAX_SAFE_INTEGER).optional()),
  /** Agent an unassigned ticket is given when solved (a ticket cannot be solved without one); the API user when unset. */
  ZENDESK_SOLVE_ASSIGNEE_ID: z.preprocess((v) => (v === '' ? undefined : v), envInt(1, Number.MAX_SAFE_INTEGER).optional()),
  /** How long an instance remembers users it created, since Zendesk's search index takes minutes to see them. */
  ZENDESK_RECENT_CREATE_WINDOW_S: envInt(0, 86_400).default(900),

  // Be Aware 360: external-system token and integration URL
  BA360_API_URL: optionalUrl(),
  BA360_INSTANCE_URL: optionalUrl(),
  BA360_USER: optionalString(),
  BA360_PASSWORD: optionalSecret(8),
  BA360_COMPANY: optionalString(),
  BA360_SECRET_KEY: optionalSecret(8),
  BA360_CLIENT_KEY: optionalSecret(8),
  BA360_PLATFORM: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, { error: 'must be a short name without slashes' })
    .default('ccaip'),
  BA360_CHANNEL_MAP: envString().default('voice=Voz,chat=Chat,sms=SMS,email=Email,messaging=Whatsapp'),
  /** Key that signs the record ids the redirect endpoint accepts (links cannot be forged). */
  BA360_LINK_SECRET: optionalSecret(16),
  /** How long an `open` link works (the expiry is signed into the record id). */
  BA360_LINK_TTL_S: envInt(300, 90 * 86_400).default(7 * 86_400),
  /** How long a Be Aware 360 token is reused (one login per period, not per visit). */
  BA360_TOKEN_TTL_S: envInt(0, 86_400).default(300),
  /** Visits of `open` links allowed per minute, per link and per client address. */
  BA360_OPEN_RATE_PER_MIN: envInt(1, 10_000).default(30),
  /** Public URL of the crm function, for the BA360 redirect links (default PUBLIC_BASE_URL + /crm). */
  CRM_PUBLIC_URL: optionalUrl(),
};

export type CrmClientConfig = z.output<z.ZodObject<typeof crmClientConfigShape>>;

/** Keys each adapter cannot work without. */
export const REQUIRED_KEYS: Record<CrmAdapterKind, Array<keyof CrmClientConfig>> = {
  contract: ['CRM_BASE_URL'],
  servicenow: ['SERVICENOW_INSTANCE_URL', 'SERVICENOW_USER', 'SERVICENOW_PASSWORD'],
  salesforce: ['SALESFORCE_LOGIN_URL', 'SALESFORCE_CLIENT_ID', 'SALESFORCE_CLIENT_SECRET'],
  zendesk: ['ZENDESK_BASE_URL', 'ZENDESK_EMAIL', 'ZENDESK_API_TOKEN'],
  ba360: ['BA360_API_URL', 'BA360_INSTANCE_URL', 'BA360_USER', 'BA360_PASSWORD', 'BA360_COMPANY', 'BA360_SECRET_KEY', 'BA360_CLIENT_KEY', 'BA360_LINK_SECRET'],
};

/** Every missing key of the chosen adapter (and of the contract client's auth), as config problems. */
export function missingCrmKeys(config: CrmClientConfig): string[] {
  const problems = REQUIRED_KEYS[config.CRM_ADAPTER].filter((k) => config[k] === undefined).map((k) => `${k}: required when CRM_ADAPTER=${config.CRM_ADAPTER}`);
  if (config.CRM_ADAPTER === 'contract') {
    const auth: Record<CrmClientConfig['CRM_CLIENT_AUTH'], Array<keyof CrmClientConfig>> = {
      basic: ['CRM_BASIC_USER', 'CRM_BASIC_PASSWORD'],
      oauth: ['CRM_OAUTH_CLIENT_ID', 'CRM_OAUTH_CLIENT_SECRET'],
      header: ['CRM_API_KEY'],
      none: [],
    };
    for (const k of auth[config.CRM_CLIENT_AUTH]) if (config[k] === undefined) problems.push(`${k}: required when CRM_CLIENT_AUTH=${config.CRM_CLIENT_AUTH}`);
  }
  return problems;
}
