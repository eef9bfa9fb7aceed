/**
 * Builds the CrmClient a function's configuration asks for. Composition roots call it once;
 * tests pass literal configs (parsed with `parseCrmClientConfig`) and local servers.
 */
import * as z from 'zod';
import { ConfigError, type Env, parseConfig, type Secret } from '../config';
import type { Logger } from '../logging';
import { type CrmClientConfig, crmClientConfigShape, missingCrmKeys, REQUIRED_KEYS } from './config';
import { type Ba360, createBa360, parseChannelMap } from './adapters/ba360';
import { parseFieldMap } from './adapters/field-map';
import { createSalesforceCrm, SF_PHONE_SEARCH_TYPES, type SfAccountType } from './adapters/salesforce';
import { createServiceNowCrm } from './adapters/servicenow';
import { createZendeskCrm } from './adapters/zendesk';
import { type ContractAuth, createContractCrmClient } from './contract-client';
import type { CrmClient } from './port';
import { functionPublicUrl } from '../http/url';

export interface CrmClientDeps {
  log: Logger;
  /** Public base URL of the deployed functions (PUBLIC_BASE_URL), for links the CRM stores. */
  publicBaseUrl?: string;
  now?: () => number;
}

/** Parses only the CRM keys from an env (tests, scripts). */
export function parseCrmClientConfig(env: Env): CrmClientConfig {
  return parseConfig('crm client', z.object(crmClientConfigShape), env);
}

export function createCrmClient(config: CrmClientConfig, deps: CrmClientDeps): CrmClient {
  const problems = missingCrmKeys(config);
  if (problems.length > 0) throw new ConfigError('crm client', problems);
  const phone = { defaultCountry: config.CRM_DEFAULT_COUNTRY };
  const limits = { timeoutMs: config.CRM_TIMEOUT_MS, retryLimit: config.CRM_RETRY_LIMIT };
  switch (config.CRM_ADAPTER) {
    case 'contract':
      return createContractCrmClient({
        baseUrl: config.CRM_BASE_URL!,
        auth: contractAuth(config),
        timeoutMs: config.CRM_TIMEOUT_MS,
        retryLimit: config.CRM_RETRY_LIMIT,
        log: deps.log,
        ...(deps.now ? { now: deps.now } : {}),
      });
    case 'servicenow':
      return createServiceNowCrm({
        instanceUrl: config.SERVICENOW_INSTANCE_URL!,
        user: config.SERVICENOW_USER!,
        password: config.SERVICENOW_PASSWORD!,
        phoneFields: config.SERVICENOW_PHONE_FIELDS,
        externalIdField: config.SERVICENOW_EXTERNAL_ID_FIELD,
        dispositionField: config.SERVICENOW_DISPOSITION_FIELD,
        defaultCloseCode: config.SERVICENOW_DEFAULT_CLOSE_CODE,
        defaultAccountName: config.CRM_DEFAULT_ACCOUNT_NAME,
        phone,
        ...limits,
      });
    case 'salesforce':
      return createSalesforceCrm({
        loginUrl: config.SALESFORCE_LOGIN_URL!,
        clientId: config.SALESFORCE_CLIENT_ID!,
        clientSecret: config.SALESFORCE_CLIENT_SECRET!,
        apiVersion: config.SALESFORCE_API_VERSION,
        searchOrder: parseSearchOrder(config.SALESFORCE_SEARCH_ORDER),
        newAccountObject: config.SALESFORCE_NEW_ACCOUNT_OBJECT,
        newAccountFields: parseFieldMap('SALESFORCE_NEW_ACCOUNT_FIELDS', config.SALESFORCE_NEW_ACCOUNT_FIELDS),
        caseFields: parseFieldMap('SALESFORCE_CASE_FIELDS', config.SALESFORCE_CASE_FIELDS),
        taskFields: parseFieldMap('SALESFORCE_TASK_FIELDS', config.SALESFORCE_TASK_FIELDS),
        externalIdField: config.SALESFORCE_EXTERNAL_ID_FIELD,
        phone,
        ...limits,
      });
    case 'zendesk':
      return createZendeskCrm({
        baseUrl: config.ZENDESK_BASE_URL!,
        email: config.ZENDESK_EMAIL!,
        apiToken: config.ZENDESK_API_TOKEN!,
        defaultAccountName: config.CRM_DEFAULT_ACCOUNT_NAME,
        dispositionFieldId: config.ZENDESK_DISPOSITION_FIELD_ID,
        solveAssigneeId: config.ZENDESK_SOLVE_ASSIGNEE_ID,
        recentCreateWindowSeconds: config.ZENDESK_RECENT_CREATE_WINDOW_S,
        ...(deps.now ? { now: deps.now } : {}),
        phone,
        ...limits,
      });
    case 'ba360':
      return createBa360FromConfig(config, deps).crm;
  }
}

/** Be Aware 360 with its link signer and redirect, for the crm function's redirect endpoint. */
export function createBa360FromConfig(config: CrmClientConfig, deps: CrmClientDeps): Ba360 {
  const problems = REQUIRED_KEYS.ba360.filter((k) => config[k] === undefined).map((k) => `${k}: required when CRM_ADAPTER=ba360`);
  if (problems.length > 0) throw new ConfigError('crm client', problems);
  const publicUrl = functionPublicUrl(config.CRM_PUBLIC_URL, deps.publicBaseUrl, 'crm');
  return createBa360({
    apiUrl: config.BA360_API_URL!,
    instanceUrl: config.BA360_INSTANCE_URL!,
    user: config.BA360_USER!,
    password: config.BA360_PASSWORD!,
    company: config.BA360_COMPANY!,
    secretKey: config.BA360_SECRET_KEY!,
    clientKey: config.BA360_CLIENT_KEY!,
    platform: config.BA360_PLATFORM,
    channelMap: parseChannelMap(config.BA360_CHANNEL_MAP),
    linkSecret: config.BA360_LINK_SECRET!,
    publicUrl,
    timeoutMs: config.CRM_TIMEOUT_MS,
    retryLimit: config.CRM_RETRY_LIMIT,
    linkTtlSeconds: config.BA360_LINK_TTL_S,
    tokenTtlSeconds: config.BA360_TOKEN_TTL_S,
    ...(deps.now ? { now: deps.now } : {}),
  });
}

function contractAuth(config: CrmClientConfig): ContractAuth {
  const s = (v: Secret | undefined) => v!;
  switch (config.CRM_CLIENT_AUTH) {
    case 'basic':
      return { kind: 'basic', user: config.CRM_BASIC_USER!, password: s(config.CRM_BASIC_PASSWORD) };
    case 'oauth':
      return { kind: 'oauth', clientId: config.CRM_OAUTH_CLIENT_ID!, clientSecret: s(config.CRM_OAUTH_CLIENT_SECRET) };
    case 'header':
      return { kind: 'header', header: config.CRM_API_KEY_HEADER, value: s(config.CRM_API_KEY) };
    case 'none':
      return { kind: 'none' };
  }
}

/** "Contact|Account|Lead": the object types a phone lookup searches, in priority order. */
function parseSearchOrder(spec: string): SfAccountType[] {
  const types = spec
    .split('|')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  const unknown = types.filter((t) => !(SF_PHONE_SEARCH_TYPES as readonly string[]).includes(t));
  if (types.includes('Opportunity')) {
    throw new ConfigError('crm client', [
      'SALESFORCE_SEARCH_ORDER: Opportunity has no phone field, so a phone search can never match it; list Contact, Account, Lead',
    ]);
  }
  if (unknown.length > 0 || types.length === 0) {
    throw new ConfigError('crm client', [
      `SALESFORCE_SEARCH_ORDER: must list ${SF_PHONE_SEARCH_TYPES.join(', ')} separated by | (got ${unknown.join(', ') || 'nothing'})`,
    ]);
  }
  return types as SfAccountType[];
}
