/** Entry point: registers the function; everything else happens in ./compose, loaded at instance start. */
import { http } from '@google-cloud/functions-framework';
import { startComposing } from '../../shared/entry';

const handler = startComposing(() => import('./compose').then((m) => m.composeInteractionWorker(process.env)), 'interaction-worker');
// Pub/Sub pushes the zoom-events messages here (wrapped JSON body, OIDC token checked by Cloud Run).
http('interactionWorker', async (req, res) => (await handler())(req, res));
