/** The CRM adapters as tests build them against the local fakes (one place for their settings). */
import { Secret } from '../../shared/config';
import { createServiceNowCrm } from '../../shared/crm/adapters/servicenow';
import type { CrmClient } from '../../shared/crm/port';

export const SN_USER = 'ccbridge.integration';
export const SN_PASSWORD = 'sn-password-123';

export const serviceNowAdapter = (instanceUrl: string, retryLimit = 2): CrmClient =>
  createServiceNowCrm({
    instanceUrl,
    user: SN_USER,
    password: new Secret(SN_PASSWORD),
    phoneFields: ['phone', 'mobile_phone'],
    externalIdField: 'employee_number',
    dispositionField: 'close_code',
    defaultCloseCode: 'Solved (Permanently)',
    defaultAccountName: 'Unknown caller',
    phone: { defaultCountry: 'US' },
    timeoutMs: 2000,
    retryLimit,
  });
