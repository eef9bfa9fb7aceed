/**
 * The composition roots of the functions, by name. The local stack composes each one
 * with the stack's environment and registers it with the Functions Framework under its
 * production entry point, exactly as the deployed entry files do.
 */
import { composeCallLog } from '../functions/call-log/compose';
import { composeCcaipSdk } from '../functions/ccaip-sdk/compose';
import { composeCrm } from '../functions/crm/compose';
import { composeInteractionWorker } from '../functions/interaction-worker/compose';
import { composeOperator } from '../functions/operator/compose';
import { composeReconcile } from '../functions/reconcile/compose';
import { composeUiConnector } from '../functions/ui-connector/compose';
import { composeZoomWebhook } from '../functions/zoom-webhook/compose';
import type { Env } from '../shared/config';
import type { HttpFunction } from '../shared/http/app';

export type Composed = { signature: 'http'; handler: HttpFunction };

export const composers: Record<string, (env: Env) => Composed> = {
  crm: (env) => ({ signature: 'http', handler: composeCrm(env) }),
  'ui-connector': (env) => ({ signature: 'http', handler: composeUiConnector(env) }),
  'zoom-webhook': (env) => ({ signature: 'http', handler: composeZoomWebhook(env) }),
  'interaction-worker': (env) => ({ signature: 'http', handler: composeInteractionWorker(env) }),
  reconcile: (env) => ({ signature: 'http', handler: composeReconcile(env) }),
  operator: (env) => ({ signature: 'http', handler: composeOperator(env) }),
  'ccaip-sdk': (env) => ({ signature: 'http', handler: composeCcaipSdk(env) }),
  'call-log': (env) => ({ signature: 'http', handler: composeCallLog(env) }),
};
