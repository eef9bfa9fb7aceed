/** Entry point: registers the function; everything else happens in ./compose, loaded at instance start. */
import { http } from '@google-cloud/functions-framework';
import { startComposing } from '../../shared/entry';

const handler = startComposing(() => import('./compose').then((m) => m.composeOperator(process.env)), 'operator');
http('operator', async (req, res) => (await handler())(req, res));
