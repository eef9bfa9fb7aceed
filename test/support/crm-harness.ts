/**
 * The crm function on the real Functions Framework, on a loopback port, with in-memory
 * ports (document store, buckets), so tests can check what was — or was not — written.
 */
import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createMemoryBlobStore, type MemoryBlobStore } from './doubles/memory-blobstore';
import { createMemoryDocStore, type MemoryDocStore } from './doubles/memory-docstore';
import { type Env, parseConfig } from '../../shared/config';
import { createBa360FromConfig, createCrmClient } from '../../shared/crm/factory';
import type { CrmClient } from '../../shared/crm/port';
import { createLogger } from '../../shared/logging';
import * as z from 'zod';
import { buildCrmApp } from '../../functions/crm/compose';
import { checkCrmFunctionConfig, crmFunctionConfigShape, type CrmFunctionConfig } from '../../functions/crm/config';
import { baseConfigShape } from '../../shared/config';
import { MOCK_COLLECTIONS } from '../../functions/crm/mock/docstore-crm';
import { listen } from './http';

export const CRM_USER = 'ccaip';
export const CRM_PASSWORD = 'test-crm-password';
export const CRM_API_KEY = 'test-crm-api-key-0123456789';
export const CRM_CLIENT_ID = 'ccaip-client';
export const CRM_CLIENT_SECRET = 'test-crm-oauth-client-secret';
export const CRM_ADMIN_TOKEN = 'test-crm-admin-token-0123';
export const BUCKET = 'ccbridge-test-archive';

export const basicAuth = (user = CRM_USER, password = CRM_PASSWORD) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
export const adminHeaders = { authorization: `Bearer ${CRM_ADMIN_TOKEN}` };

export function crmEnv(overrides: Env = {}): Env {
  return {
    GCP_PROJECT: 'ccbridge-test',
    LOG_LEVEL: 'error',
    CRM_MODE: 'mock',
    CRM_BASIC_USER: CRM_USER,
    CRM_BASIC_PASSWORD: CRM_PASSWORD,
    CRM_API_KEY,
    CRM_OAUTH_CLIENT_ID: CRM_CLIENT_ID,
    CRM_OAUTH_CLIENT_SECRET: CRM_CLIENT_SECRET,
    CRM_ADMIN_TOKEN,
    ARCHIVE_BUCKET: BUCKET,
    PUBLIC_BASE_URL: 'https://europe-west1-ccbridge-test.cloudfunctions.net',
    ...overrides,
  };
}

export interface CrmUnderTest {
  url: string;
  docs: MemoryDocStore;
  bucket: MemoryBlobStore;
  config: CrmFunctionConfig;
  logs: string[];
  /** Every document of the mock's data collections (not the journal). */
  data(): Record<string, number>;
  stop(): Promise<void>;
}

let instances = 0;

export async function startCrm(options: { env?: Env; crm?: CrmClient; docs?: MemoryDocStore; now?: () => number } = {}): Promise<CrmUnderTest> {
  const config = parseConfig('crm', z.object({ ...baseConfigShape, ...crmFunctionConfigShape }), crmEnv(options.env)) as CrmFunctionConfig;
  checkCrmFunctionConfig(config);
  const docs = options.docs ?? createMemoryDocStore();
  const bucket = createMemoryBlobStore(BUCKET);
  const logs: string[] = [];
  const log = createLogger({ level: 'debug', sink: (l) => logs.push(l) });
  const clientNow = options.now;
  const clientDeps = { log, ...(config.PUBLIC_BASE_URL ? { publicBaseUrl: config.PUBLIC_BASE_URL } : {}), ...(clientNow ? { now: clientNow } : {}) };
  const ba360 = config.CRM_MODE === 'real' && config.CRM_ADAPTER === 'ba360' ? createBa360FromConfig(config, clientDeps) : undefined;
  const crm = options.crm ?? ba360?.crm ?? (config.CRM_MODE === 'real' ? createCrmClient(config, clientDeps) : undefined);
  const handler = buildCrmApp({
    config,
    log,
    store: config.CRM_MODE === 'mock' ? docs : undefined,
    markers: config.CRM_MODE === 'real' ? docs : undefined,
    crm,
    ba360,
    buckets: new Map([[BUCKET, bucket]]),
    ...(options.now ? { now: options.now } : {}),
  });
  const name = `crmTest${++instances}`;
  http(name, handler);
  const server = await listen(getTestServer(name));
  return {
    url: server.url,
    docs,
    bucket,
    config,
    logs,
    data: () => Object.fromEntries(Object.values(MOCK_COLLECTIONS).map((c) => [c, Object.keys(docs.dump(c)).length])),
    stop: server.close,
  };
}
