/** Entry point: registers the function; everything else happens in ./compose, loaded at instance start. */
import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import { startComposing } from '../../shared/entry';

const handler = startComposing(() => import('./compose').then((m) => m.composeInteractionWorker(process.env)), 'interaction-worker');
cloudEvent('interactionWorker', async (event: CloudEvent<unknown>) => (await handler())(event));
