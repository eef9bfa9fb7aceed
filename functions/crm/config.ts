/**
 * Settings of the `crm` function: its mode, how CCAI Platform authenticates to it, the mock's
 * admin token and limits. The CRM adapter keys (real mode) are the shared CRM client shape.
 * Credentials are shared with the contract client on purpose: locally the interaction
 * worker and the function read the same CRM_BASIC_* / CRM_OAUTH_* / CRM_API_KEY values.
 */
import * as z from 'zod';
import { AMBIGUOUS_RULES } from '../../shared/crm/lookup-rules';
import { type baseConfigShape, ConfigError, envInt, envList, envUrl, optionalSecret } from '../../shared/config';
import { type CrmClientConfig, crmClientConfigShape, missingCrmKeys } from '../../shared/crm/config';
import { functionPublicUrl, withoutTrailingSlash } from '../../shared/http/url';

const AUTH_METHODS = ['basic', 'oauth', 'header'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

export const crmFunctionConfigShape = {
  ...crmClientConfigShape,
  /** Chosen explicitly everywhere (no default): a deployment must never become the public mock by omission. */
  CRM_MODE: z.enum(['mock', 'real'], { error: 'required: mock or real' }),
  /** Which authentication variants CCAI Platform may use; each needs its credentials. */
  CRM_AUTH_METHODS: envList()
    .default(['basic', 'oauth', 'header'])
    .pipe(z.array(z.enum(AUTH_METHODS, { error: 'each must be basic, oauth or header' })).min(1, { error: 'enable at least one method' })),
  CRM_OAUTH_TOKEN_TTL_SECONDS: envInt(60, 24 * 3600).default(3600),
  /** Admin endpoints and pages of the mock (journal, faults, reset). */
  CRM_ADMIN_TOKEN: optionalSecret(16),
  CRM_JOURNAL_TTL_HOURS: envInt(1, 24 * 90).default(72),
  CRM_MAX_JSON_BYTES: envInt(1024, 10 * 1024 * 1024).default(64 * 1024),
  CRM_MAX_ATTACHMENT_BYTES: envInt(1024, 31 * 1024 * 1024).default(25 * 1024 * 1024),
  /** Buckets an attachment may reference by object name (default: the archive and CCAI buckets). */
  CRM_ATTACHMENT_BUCKETS: envList().optional(),
  /** An ambiguous account lookup answers 2xx: `first` candidate (CRM priority order) or `none` (not found). */
  CRM_AMBIGUOUS_RULE: z.enum(AMBIGUOUS_RULES, { error: `must be one of ${AMBIGUOUS_RULES.join(', ')}` }).default('first'),
  /** Seconds an account create is idempotent on the caller's phone/email (0 turns it off). */
  CRM_ACCOUNT_CREATE_WINDOW_S: envInt(0, 7 * 86_400).default(600),
  ARCHIVE_BUCKET: z.string().trim().min(1).optional(),
  CCAI_STORAGE_BUCKET: z.string().trim().min(1).optional(),
  PUBLIC_BASE_URL: z.preprocess((v) => (v === '' ? undefined : v), envUrl().optional()),
};

type Parsed = z.output<z.ZodObject<typeof crmFunctionConfigShape & typeof baseConfigShape>>;
export type CrmFunctionConfig = Parsed & CrmClientConfig;

/** Cross-key rules zod's per-key shape cannot express; every problem is listed at once. */
export function checkCrmFunctionConfig(config: CrmFunctionConfig): void {
  const problems: string[] = [];
  const need = (key: keyof CrmFunctionConfig, why: string) => {
    if (config[key] === undefined) problems.push(`${key}: required ${why}`);
  };
  for (const method of config.CRM_AUTH_METHODS) {
    if (method === 'basic') {
      need('CRM_BASIC_USER', 'when CRM_AUTH_METHODS includes basic');
      need('CRM_BASIC_PASSWORD', 'when CRM_AUTH_METHODS includes basic');
    } else if (method === 'oauth') {
      need('CRM_OAUTH_CLIENT_ID', 'when CRM_AUTH_METHODS includes oauth');
      need('CRM_OAUTH_CLIENT_SECRET', 'when CRM_AUTH_METHODS includes oauth');
    } else need('CRM_API_KEY', 'when CRM_AUTH_METHODS includes header');
  }
  if (config.CRM_MODE === 'mock') need('CRM_ADMIN_TOKEN', 'in mock mode (journal, faults and reset are behind it)');
  if (config.CRM_MODE === 'real') {
    if (config.CRM_ADAPTER === 'contract') problems.push('CRM_ADAPTER: in real mode must name a CRM (servicenow, salesforce, zendesk, ba360), not contract');
    else problems.push(...missingCrmKeys(config));
  }
  if (problems.length > 0) throw new ConfigError('crm', problems);
}

/** The public URL of this function, for links it hands out (record URLs, BA360 redirects). */
export function publicUrlOf(config: CrmFunctionConfig): string | undefined {
  const url = functionPublicUrl(config.CRM_PUBLIC_URL, config.PUBLIC_BASE_URL, 'crm');
  return url === undefined ? undefined : withoutTrailingSlash(url);
}

export function attachmentBuckets(config: CrmFunctionConfig): string[] {
  if (config.CRM_ATTACHMENT_BUCKETS) return config.CRM_ATTACHMENT_BUCKETS;
  return [config.ARCHIVE_BUCKET, config.CCAI_STORAGE_BUCKET].filter((b): b is string => b !== undefined);
}
