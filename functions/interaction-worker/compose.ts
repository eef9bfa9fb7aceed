/** Composition root: configuration, clients and the event handler, built once per instance. */
import type { CloudEvent } from '@google-cloud/functions-framework';
import type { Env } from '../../shared/config';
import { decodePubSubEvent, PermanentEventError, runEvent } from '../../shared/events/pubsub-event';
import { createFunctionRuntime } from '../../shared/runtime';

export type EventFunction = (event: CloudEvent<unknown>) => Promise<void>;

export function composeInteractionWorker(env: Env): EventFunction {
  const { log } = createFunctionRuntime('interaction-worker', env, {});
  return (event) =>
    runEvent(log, event.id, async () => {
      const message = decodePubSubEvent(event);
      throw new PermanentEventError(`interaction-worker is not implemented yet (message ${message.id})`, 'not_implemented');
    });
}
