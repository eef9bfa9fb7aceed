/** Composition root: configuration, read-only clients and the HTTP app, built once per instance. */
import type { Env } from '../../shared/config';
import { lazyFirestoreDocStore, lazyGcsBlobStore } from '../../shared/google-lazy';
import type { HttpFunction } from '../../shared/http/app';
import type { BlobStore } from '../../shared/ports/blobstore';
import type { DocStore } from '../../shared/ports/docstore';
import { type ComposeOptions, createFunctionRuntime } from '../../shared/runtime';
import { conversationHashKeyOf } from '../../shared/trace/config';
import { createIapVerifier, iapKeysFrom } from '../../shared/http/iap-assertion';
import { checkOperatorConfig, operatorConfigShape } from './config';
import { createOperatorApp } from './http';

export interface OperatorPorts {
  docs: DocStore;
  blobs: BlobStore;
}

export function composeOperator(env: Env, ports?: Partial<OperatorPorts>, options: ComposeOptions = {}): HttpFunction {
  const { config, log } = createFunctionRuntime('operator', env, operatorConfigShape, options);
  checkOperatorConfig(config);
  const now = options.now ?? Date.now;
  const docs = ports?.docs ?? lazyFirestoreDocStore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const blobs = ports?.blobs ?? lazyGcsBlobStore(config.GCP_PROJECT, config.ARCHIVE_BUCKET);
  const hashKey = conversationHashKeyOf(config);
  return createOperatorApp({
    trace: {
      docs,
      blobs,
      retryFailedArtifacts: config.RECONCILE_RETRY_FAILED,
      conversations: hashKey ? { collection: config.UI_CONNECTOR_COLLECTION, hashKey, defaultCountry: config.UI_CONNECTOR_DEFAULT_COUNTRY } : undefined,
    },
    day: { docs, retryFailedArtifacts: config.RECONCILE_RETRY_FAILED },
    now: () => new Date(now()),
    // Behind IAP, its signed assertion is checked too: a request that reached the service some other way is refused.
    ...(config.OPERATOR_REQUIRE_IAP
      ? { requireIap: createIapVerifier({ audiences: config.OPERATOR_IAP_AUDIENCE ?? [], keys: iapKeysFrom(config.OPERATOR_IAP_KEYS_URL), now }) }
      : {}),
    log,
    projectId: config.GCP_PROJECT,
  });
}
