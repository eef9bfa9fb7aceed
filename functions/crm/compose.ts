/**
 * Composition root: configuration, clients and the HTTP app, built once per instance.
 * `buildCrmApp` takes its ports as arguments (tests pass in-memory ones); `composeCrm` builds
 * the real ones from the environment.
 */
import type { Env } from '../../shared/config';
import type { Ba360 } from '../../shared/crm/adapters/ba360';
import type { CrmAdapterKind } from '../../shared/crm/config';
import { createBa360FromConfig, createCrmClient } from '../../shared/crm/factory';
import type { PhoneOptions } from '../../shared/crm/phone';
import { withAccountCreateWindow, withAmbiguityRule, withRecordCreateClaim } from '../../shared/crm/lookup-rules';
import type { CrmClient } from '../../shared/crm/port';
import type { RecordFieldTarget } from '../../shared/crm/record-fields';
import { lazyFirestoreDocStore, lazyGcsBlobStore } from '../../shared/google-lazy';
import { createHttpApp, type HttpApp, type Route } from '../../shared/http/app';
import type { Logger } from '../../shared/logging';
import type { BlobStore } from '../../shared/ports/blobstore';
import type { DocStore } from '../../shared/ports/docstore';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { createAuthenticator } from './auth';
import { attachmentBuckets, type CrmFunctionConfig, checkCrmFunctionConfig, crmFunctionConfigShape, publicUrlOf } from './config';
import { createVisitLimiter } from './ba360-limits';
import { ba360Routes } from './ba360-routes';
import { adminRoutes } from './mock/admin';
import { createDocStoreCrm } from './mock/docstore-crm';
import { createFaultBook } from './mock/faults';
import { createJournal, createRefusedTally } from './mock/journal';
import { handleTokenRequest } from './oauth-token';
import { contractRoutes } from './routes';
import { type MockLayer, type ServedRoute, serveContractRoute } from './serve';

export interface CrmAppDeps {
  config: CrmFunctionConfig;
  log: Logger;
  /** The mock's state, journal and faults (mock mode). */
  store: DocStore | undefined;
  /** The CRM in real mode; in mock mode the Firestore-backed mock is used. */
  crm: CrmClient | undefined;
  buckets: Map<string, BlobStore>;
  /** Real mode: where account-create markers live (mock mode uses `store`). */
  markers?: DocStore | undefined;
  /** Be Aware 360's link signer and redirect (real mode with CRM_ADAPTER=ba360). */
  ba360?: Ba360 | undefined;
  /** The clock, in epoch milliseconds. */
  now?: () => number;
}

export function buildCrmApp(deps: CrmAppDeps): HttpApp {
  const { config, log } = deps;
  const nowMs = deps.now ?? Date.now;
  const now = () => new Date(nowMs());
  const phone: PhoneOptions = { defaultCountry: config.CRM_DEFAULT_COUNTRY };
  const publicUrl = publicUrlOf(config);
  const mockMode = config.CRM_MODE === 'mock';
  if (mockMode && !deps.store) throw new Error('mock mode needs a document store');

  const base: CrmClient = mockMode
    ? createDocStoreCrm({
        store: deps.store!,
        now,
        ...(publicUrl ? { recordUrl: (r: { id: string }) => `${publicUrl}/admin/view/records/${encodeURIComponent(r.id)}` } : {}),
      })
    : deps.crm!;
  // What CCAI Platform's sequence needs whatever CRM is behind: 2xx lookups, idempotent account creates.
  const markers = mockMode ? deps.store : deps.markers;
  // Real CRMs find-then-create; the mock's create is atomic by itself.
  const claimed = markers && !mockMode ? withRecordCreateClaim(base, { store: markers, staleSeconds: 60, now: nowMs, log }) : base;
  const windowed = markers ? withAccountCreateWindow(claimed, { store: markers, windowSeconds: config.CRM_ACCOUNT_CREATE_WINDOW_S, now: nowMs, log }) : claimed;
  const crm = withAmbiguityRule(windowed, { rule: config.CRM_AMBIGUOUS_RULE, log });

  const auth = createAuthenticator(
    {
      methods: config.CRM_AUTH_METHODS,
      ...(config.CRM_BASIC_USER && config.CRM_BASIC_PASSWORD ? { basic: { user: config.CRM_BASIC_USER, password: config.CRM_BASIC_PASSWORD } } : {}),
      ...(config.CRM_OAUTH_CLIENT_ID && config.CRM_OAUTH_CLIENT_SECRET
        ? { oauth: { clientId: config.CRM_OAUTH_CLIENT_ID, clientSecret: config.CRM_OAUTH_CLIENT_SECRET, tokenTtlSeconds: config.CRM_OAUTH_TOKEN_TTL_SECONDS } }
        : {}),
      ...(config.CRM_API_KEY ? { header: { name: config.CRM_API_KEY_HEADER, value: config.CRM_API_KEY } } : {}),
    },
    nowMs,
  );

  const faults = mockMode ? createFaultBook(deps.store!, now) : undefined;
  const mock: MockLayer | undefined =
    mockMode && faults
      ? {
          journal: createJournal(deps.store!, { ttlHours: config.CRM_JOURNAL_TTL_HOURS, now, secretHeaders: [config.CRM_API_KEY_HEADER] }),
          refused: createRefusedTally(now),
          faults,
          phone,
        }
      : undefined;

  const served: ServedRoute[] = [
    { method: 'POST', path: '/oauth/token', operation: 'token', public: true, handle: (ctx) => handleTokenRequest(auth.tokens, ctx) },
    ...contractRoutes(
      { crm, buckets: deps.buckets, maxAttachmentBytes: config.CRM_MAX_ATTACHMENT_BYTES },
      { phone, maxJsonBytes: config.CRM_MAX_JSON_BYTES, ...fieldTargetOf(mockMode, config.CRM_ADAPTER) },
    ),
  ];
  const routes: Route[] = served.map((r) => serveContractRoute(r, { auth, ...(mock ? { mock } : {}) }));
  if (mock) routes.push(...adminRoutes({ store: deps.store!, faults: mock.faults, refused: mock.refused, adminToken: config.CRM_ADMIN_TOKEN }));
  if (deps.ba360) routes.push(...ba360Routes(deps.ba360, auth, createVisitLimiter(config.BA360_OPEN_RATE_PER_MIN, nowMs)));

  log.info('crm function ready', {
    mode: config.CRM_MODE,
    adapter: mockMode ? 'mock' : base.kind,
    auth: config.CRM_AUTH_METHODS,
    ambiguousRule: config.CRM_AMBIGUOUS_RULE,
  });
  return createHttpApp({
    name: 'crm',
    log,
    projectId: config.GCP_PROJECT,
    routes,
    maxBodyBytes: Math.max(config.CRM_MAX_ATTACHMENT_BYTES, config.CRM_MAX_JSON_BYTES),
    // JSON bodies (attachments as base64 included) are the ones the Framework parses.
    maxParsedBodyBytes: config.CRM_MAX_JSON_BYTES,
  });
}

export interface CrmPorts {
  /** Firestore: the mock's state (mock mode), the account-create markers (real mode). */
  docs: DocStore;
  /** The CRM in real mode (default: the adapter CRM_ADAPTER names). */
  crm: CrmClient;
  /** Attachment buckets by name (default: Cloud Storage). */
  buckets: Map<string, BlobStore>;
}

export function composeCrm(env: Env, ports: Partial<CrmPorts> = {}, options: ComposeOptions = {}): HttpApp {
  const { config, log } = createFunctionRuntime('crm', env, crmFunctionConfigShape, options);
  checkCrmFunctionConfig(config);
  const mockMode = config.CRM_MODE === 'mock';
  // Google clients load on first use: a health check or a 401 never pays for them.
  // Mock mode keeps its CRM there; real mode only the account-create markers.
  const firestore = ports.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const store = mockMode ? firestore : undefined;
  const buckets = ports.buckets ?? new Map(attachmentBuckets(config).map((name) => [name, lazyGcsBlobStore(config.GCP_PROJECT, name)]));
  const publicBaseUrl = config.PUBLIC_BASE_URL;
  const clientDeps = { log, ...(publicBaseUrl ? { publicBaseUrl } : {}), ...(options.now ? { now: options.now } : {}) };
  const ba360 = !mockMode && config.CRM_ADAPTER === 'ba360' ? createBa360FromConfig(config, clientDeps) : undefined;
  const crm = mockMode ? undefined : (ports.crm ?? ba360?.crm ?? createCrmClient(config, clientDeps));
  return buildCrmApp({ config, log, store, markers: mockMode ? undefined : firestore, crm, buckets, ba360, ...(options.now ? { now: options.now } : {}) });
}

/** Whose field names a record update may carry: the mock's, or the real CRM's (a chained contract checks its own). */
function fieldTargetOf(mockMode: boolean, adapter: CrmAdapterKind): { fieldTarget?: RecordFieldTarget } {
  if (mockMode) return { fieldTarget: 'mock' };
  return adapter === 'contract' ? {} : { fieldTarget: adapter };
}
