/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import { createOidcVerifier } from '../../shared/auth/oidc';
import type { Env } from '../../shared/config';
import { createCrmClient } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { lazyFirestoreDocStore } from '../../shared/google-lazy';
import type { HttpFunction } from '../../shared/http/app';
import type { DocStore } from '../../shared/ports/docstore';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { createTwilioRequestGate } from '../../shared/twilio/request-gate';
import { createCallStore } from './call-state';
import { parseCallFieldMap } from './callback';
import { callLogConfigShape, callLogEnv, callLogPublicUrl, checkFieldTarget } from './config';
import { createCallLogApp } from './routes';

export interface CallLogPorts {
  docs: DocStore;
  crm: CrmClient;
}

export function composeCallLog(env: Env, ports: Partial<CallLogPorts> = {}, options: ComposeOptions = {}): HttpFunction {
  const { config, log } = createFunctionRuntime('call-log', callLogEnv(env), callLogConfigShape, options);
  const fieldMap = parseCallFieldMap(config.CALL_LOG_FIELD_MAP);
  checkFieldTarget(config.CRM_ADAPTER, config.CALL_LOG_CRM, fieldMap);
  const publicUrl = callLogPublicUrl(config);
  const docs = ports.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const crm = ports.crm ?? createCrmClient(config, { log, ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}) });
  const now = options.now ?? Date.now;
  // Public function: no platform checked the token first, so a stripped token is never trusted (platformVerified off).
  return createCallLogApp({
    log,
    projectId: config.GCP_PROJECT,
    gate: createTwilioRequestGate({ authTokens: config.TWILIO_AUTH_TOKEN, unsigned: 'reject', publicUrls: [publicUrl, ...config.CALL_LOG_PUBLIC_URLS] }),
    oidc: createOidcVerifier({ certsUrl: config.OIDC_CERTS_URL, audience: config.CALL_LOG_AUDIENCE ?? publicUrl, now }),
    pushInvokers: config.CALL_LOG_PUSH_INVOKERS,
    sweepInvokers: config.CALL_LOG_SWEEP_INVOKERS,
    sweepBatch: config.CALL_LOG_SWEEP_BATCH,
    core: {
      store: createCallStore(docs, config.CALL_LOG_COLLECTION),
      crm,
      now: () => new Date(now()),
      settings: {
        unknownCaller: config.CALL_LOG_UNKNOWN_CALLER,
        defaultAccountId: config.CALL_LOG_DEFAULT_ACCOUNT_ID,
        fieldMap,
        privateNumbers: config.CALL_LOG_PRIVATE_NUMBERS,
        defaultCountry: config.CRM_DEFAULT_COUNTRY,
        retryAfterSeconds: config.CALL_LOG_RETRY_AFTER_SECONDS,
        leaseSeconds: config.CALL_LOG_LEASE_SECONDS,
        timeZone: config.CALL_LOG_TIME_ZONE,
      },
    },
  });
}
