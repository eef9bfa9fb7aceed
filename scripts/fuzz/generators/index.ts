/** Every case generator, by function. Weights set the mix of a run. */
import { bodyLimitGenerators } from './body-limits';
import { agentAssistGenerators } from './agent-assist';
import { callLogGenerators } from './call-log';
import { ccaipSdkGenerators } from './ccaip-sdk';
import { crmGenerators } from './crm';
import { crmSecurityGenerators } from './crm-security';
import { interactionWorkerGenerators } from './interaction-worker';
import { reconcileGenerators } from './reconcile';
import { routingGenerators } from './routing';
import type { Generator } from './types';
import { uiConnectorGenerators } from './ui-connector';
import { zoomWebhookGenerators } from './zoom-webhook';

export const allGenerators: Generator[] = [
  ...zoomWebhookGenerators,
  ...uiConnectorGenerators,
  ...crmGenerators,
  ...reconcileGenerators,
  ...interactionWorkerGenerators,
  ...routingGenerators,
  ...bodyLimitGenerators,
  ...crmSecurityGenerators,
  ...agentAssistGenerators,
  ...ccaipSdkGenerators,
  ...callLogGenerators,
];
