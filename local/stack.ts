/**
 * The whole bundle, offline, in one process: local Firestore, Pub/Sub and Cloud Storage
 * servers, mock upstreams (Zoom, Twilio, Dialogflow; the crm function in mock mode is
 * the CRM), the topics/subscriptions/buckets the functions expect, and every function
 * on one port. `npm start` and the integration tests both use it.
 */
import { generateKeyPairSync } from 'node:crypto';
import { ConfigError, type Env } from '../shared/config';
import { localCredentials, type LocalCredentials } from './credentials';
import { itemOrderStaleMs, readDeliverySpec } from './delivery';
import { buildLocalEnv, emulatorEnv, LOCAL_PROJECT, type LocalEndpoints, localServiceAccounts } from './env';
import { startFirestoreEmulator, type FirestoreEmulator } from './firestore';
import { type OidcIssuer, startOidcIssuer } from './oidc';
import { LOCAL_OPERATOR } from './operator-proxy';
import { composers } from './function-registry';
import { type InvokerCheck, startGateway } from './gateway';
import { readFunctionManifest } from './manifest';
import { type DialogflowMock, startDialogflowMock } from './mocks/dialogflow';
import { startTwilioMock, type TwilioMock } from './mocks/twilio';
import { startZoomMock, type ZoomMock } from './mocks/zoom';
import {
  agentAssistEnv,
  localAgentAssistCredentials,
  localNotificationPublisher,
  localNotificationTopics,
  provisionAgentAssist,
  startLocalSalesforce,
  topicName,
} from './agent-assist';
import type { SalesforceIdentityMock } from './mocks/salesforce-identity';
import { provisionLocalResources } from './provision';
import { type PubSubEmulator, startPubSubEmulator } from './pubsub';
import type { ExternalServices } from './services';
import { type StorageEmulator, startStorageEmulator } from './storage';

export interface StackOptions {
  /** Port of the functions gateway; 0 = any free port. */
  port?: number;
  /**
   * Ports of the emulators and mocks. 'next' puts them on port+1..port+6 (npm start, so
   * the URLs are predictable); 'free' picks free ports (tests).
   */
  servicePorts?: 'next' | 'free';
  /** Extra or replaced function settings (tests use it to shorten windows and timeouts). */
  envOverrides?: Env;
  /** Last word on one function's settings (npm start keeps the worker on the local crm function). */
  functionEnv?: (name: string, env: Env) => Env;
  /** Only compose these functions (default: all in functions/functions.json). */
  functions?: string[];
  /**
   * Functions served by another process, by name → URL (e.g. a worker a chaos run kills and
   * restarts): not composed here, but their push subscriptions are provisioned to that URL.
   */
  externalFunctions?: Record<string, string>;
  /** Push requests in flight at once per subscription (default 16); a busier worker needs more. */
  pushConcurrency?: number;
  /** Push retry back-off of the local subscriptions, in seconds (default: terraform/delivery.json's). */
  pushBackoff?: { min: number; max: number };
  /** Attempts before a message goes to a dead-letter topic. */
  maxDeliveryAttempts?: number;
  /** Where the local servers' own diagnostic lines go (default: stderr when STACK_DEBUG is set). */
  log?: (line: string) => void;
}

export interface Stack {
  functions: Record<string, string>;
  credentials: LocalCredentials & ReturnType<typeof localAgentAssistCredentials>;
  emulators: {
    firestore: string;
    pubsub: string;
    storage: string;
    zoom: string;
    twilio: string;
    dialogflow: string;
    salesforce: string;
    oidcCerts: string;
    iapKeys: string;
  };
  env: Env;
  firestore: FirestoreEmulator;
  pubsub: PubSubEmulator;
  storage: StorageEmulator;
  zoom: ZoomMock;
  twilio: TwilioMock;
  dialogflow: DialogflowMock;
  salesforce: SalesforceIdentityMock;
  oidc: OidcIssuer;
  stop(): Promise<void>;
}

/** A stack on already-running Google stand-ins: their handles live in the process that runs them. */
export type StackOnServices = Omit<Stack, 'firestore' | 'pubsub' | 'storage'>;

/**
 * With `services` (the hosts printed by local/services.ts) the stack starts no Firestore,
 * Pub/Sub or Storage of its own and provisions topics and buckets on those instead.
 */
export function startStack(options: StackOptions & { services: ExternalServices }): Promise<StackOnServices>;
export function startStack(options?: StackOptions): Promise<Stack>;
export async function startStack(options: StackOptions & { services?: ExternalServices } = {}): Promise<Stack | StackOnServices> {
  const stoppers: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stoppers.reverse()) await stop().catch(() => undefined);
    stoppers.length = 0;
  };
  const stackLog = options.log ?? (process.env['STACK_DEBUG'] ? (line: string) => process.stderr.write(`[stack] ${line}\n`) : () => undefined);
  try {
    const gateway = await startGateway({ port: options.port ?? 0 });
    stoppers.push(() => gateway.stop());
    const portFor = (offset: number) => (options.servicePorts === 'next' ? gateway.port + offset : 0);
    const credentials = localCredentials();

    const oidc = await startOidcIssuer({ port: portFor(7) });
    stoppers.push(() => oidc.stop());
    const signer = generateLocalSigner();
    let google: { firestore: FirestoreEmulator; pubsub: PubSubEmulator; storage: StorageEmulator } | undefined;
    let hosts: ExternalServices;
    if (options.services) hosts = options.services;
    else {
      const firestore = await startFirestoreEmulator({ port: portFor(1) });
      stoppers.push(() => firestore.stop());
      // Push subscriptions with an OIDC token carry one from the local issuer, as in production.
      const pubsub = await startPubSubEmulator({
        port: portFor(2),
        mintOidcToken: (audience, email) => oidc.mint(audience, email),
        log: (line) => stackLog(line),
        ...(options.pushConcurrency ? { pushConcurrency: options.pushConcurrency } : {}),
      });
      stoppers.push(() => pubsub.stop());
      const storage = await startStorageEmulator({ port: portFor(3), signingPublicKeys: [signer.publicKey] });
      stoppers.push(() => storage.stop());
      google = { firestore, pubsub, storage };
      hosts = { firestoreHost: firestore.host, pubsubHost: pubsub.host, storageUrl: storage.baseUrl };
    }
    const zoom = await startZoomMock({
      port: portFor(4),
      accountId: credentials.zoomAccountId,
      clientId: credentials.zoomClientId,
      clientSecret: credentials.zoomClientSecret,
      webhook: { url: `${gateway.url}/zoom-webhook`, secret: credentials.zoomWebhookSecret },
    });
    stoppers.push(() => zoom.stop());
    const twilio = await startTwilioMock({ port: portFor(5), accounts: [{ sid: credentials.twilioAccountSid, authToken: credentials.twilioAuthToken }] });
    stoppers.push(() => twilio.stop());
    const dialogflow = await startDialogflowMock({
      port: portFor(6),
      projectId: LOCAL_PROJECT,
      publish: localNotificationPublisher(),
      notificationTopics: {
        suggestions: topicName(localNotificationTopics['human-agent-assistant-event']),
        lifecycle: topicName(localNotificationTopics['conversation-lifecycle-event']),
        newMessages: topicName(localNotificationTopics['new-message-event']),
        newRecognitionResults: topicName(localNotificationTopics['new-recognition-result-notification-event']),
      },
    });
    stoppers.push(() => dialogflow.stop());
    const agentAssistCredentials = localAgentAssistCredentials();
    const salesforce = await startLocalSalesforce(agentAssistCredentials, portFor(8));
    stoppers.push(() => salesforce.stop());

    const endpoints: LocalEndpoints = {
      gatewayUrl: gateway.url,
      ...hosts,
      zoomUrl: zoom.baseUrl,
      twilioUrl: twilio.baseUrl,
      dialogflowUrl: dialogflow.baseUrl,
      oidcCertsUrl: oidc.certsUrl,
      oidcIssuerUrl: oidc.issuer,
      iapKeysUrl: oidc.iapKeysUrl,
    };
    // The Google client libraries read the emulator variables from process.env.
    Object.assign(process.env, emulatorEnv(endpoints));
    const maxDeliveryAttempts = options.maxDeliveryAttempts ?? 5;
    const delivery = readDeliverySpec();
    // The worker gives up on a message's last delivery: it must know the subscriptions' setting.
    const env = buildLocalEnv(
      endpoints,
      credentials,
      { clientEmail: signer.clientEmail, privateKey: signer.privateKey },
      {
        PUBSUB_MAX_DELIVERY_ATTEMPTS: String(maxDeliveryAttempts),
        ...agentAssistEnv(salesforce.baseUrl, agentAssistCredentials),
        // As Terraform derives it from the same subscription settings (terraform/functions.tf).
        ZOOM_ITEM_ORDER_STALE_MS: String(itemOrderStaleMs(delivery)),
        ...options.envOverrides,
      },
    );
    // Cloud Run's invoker check in front of the functions without allUsers (Terraform's invoker bindings).
    const invokersOf: Record<string, string[]> = {
      reconcile: [...(env['RECONCILE_INVOKERS'] ?? '').split(','), ...(env['RECONCILE_PUSH_INVOKERS'] ?? '').split(',')].map((e) => e.trim()).filter(Boolean),
      'interaction-worker': [localServiceAccounts.pubsubPush],
      // The operators' group (Terraform: operator_invoker_group); local/operator-proxy.ts signs in as it.
      operator: [LOCAL_OPERATOR],
    };
    const invokerCheck = (name: string): InvokerCheck => ({
      audiences: [`${gateway.url}/${name}`, ...(name === 'reconcile' && env['RECONCILE_AUDIENCE'] ? [env['RECONCILE_AUDIENCE']] : [])],
      invokers: invokersOf[name] ?? [],
      verify: (token, audiences) => oidc.check(token, audiences),
    });

    const external = options.externalFunctions ?? {};
    const manifest = readFunctionManifest().filter((f) => !options.functions || options.functions.includes(f.name) || f.name in external);
    const urls: Record<string, string> = {};
    // Every function's configuration problems at once, as each would fail in production.
    const invalid: string[] = [];
    for (const fn of manifest) {
      const url = external[fn.name];
      if (url !== undefined) {
        urls[fn.name] = url;
        continue;
      }
      const compose = composers[fn.name];
      if (!compose) throw new Error(`no composition root registered for function ${fn.name}`);
      let composed: ReturnType<typeof compose>;
      try {
        composed = compose(options.functionEnv ? options.functionEnv(fn.name, env) : env);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        invalid.push(...err.problems.map((p) => `${fn.name}: ${p}`));
        continue;
      }
      gateway.mount(fn.name, fn.entryPoint, composed, fn.access === 'iam' ? invokerCheck(fn.name) : undefined);
      urls[fn.name] = `${gateway.url}/${fn.name}`;
      // ui-connector's socket.io server shares the gateway's port, as it shares the Cloud Run service's URL.
      if ('attachSocket' in composed.handler && typeof composed.handler.attachSocket === 'function') {
        const socket = await (composed.handler as import('../functions/ui-connector/compose').UiConnectorHandler).attachSocket(gateway.server);
        stoppers.push(() => socket.close());
      }
    }
    if (invalid.length > 0) throw new ConfigError('the local stack', invalid);

    await provisionLocalResources({
      env,
      functionUrls: urls,
      delivery,
      pushIdentities: {
        'interaction-worker-push': localServiceAccounts.pubsubPush,
        [delivery.deadLetterRecording.subscription]: localServiceAccounts.pubsubPush,
        'reconcile-slices-push': env['RECONCILE_PUSH_INVOKERS']?.split(',')[0]?.trim() ?? localServiceAccounts.reconcile,
        'call-log-push': env['CALL_LOG_PUSH_INVOKERS']?.split(',')[0]?.trim() ?? localServiceAccounts.callLog,
      },
      ...(options.pushBackoff ? { pushBackoff: options.pushBackoff } : {}),
      maxDeliveryAttempts,
    });
    if (urls['ui-connector'] && !external['ui-connector']) await provisionAgentAssist(urls['ui-connector'], options.pushBackoff ?? { min: 1, max: 60 });

    return {
      functions: urls,
      credentials: { ...credentials, ...agentAssistCredentials },
      emulators: {
        firestore: hosts.firestoreHost,
        pubsub: hosts.pubsubHost,
        storage: hosts.storageUrl,
        zoom: zoom.baseUrl,
        twilio: twilio.baseUrl,
        dialogflow: dialogflow.baseUrl,
        salesforce: salesforce.baseUrl,
        oidcCerts: oidc.certsUrl,
        iapKeys: oidc.iapKeysUrl,
      },
      env,
      ...google,
      zoom,
      twilio,
      dialogflow,
      salesforce,
      oidc,
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** A throwaway service-account identity so the local stack can sign V4 URLs like production. */
function generateLocalSigner(): { clientEmail: string; privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { clientEmail: `ccbridge-local@${LOCAL_PROJECT}.iam.gserviceaccount.com`, privateKey, publicKey };
}
