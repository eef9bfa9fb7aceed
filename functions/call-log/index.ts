/** Entry point: registers the function; everything else happens in ./compose, loaded at instance start. */
import { http } from '@google-cloud/functions-framework';
import { startComposing } from '../../shared/entry';

const handler = startComposing(() => import('./compose').then((m) => m.composeCallLog(process.env)), 'call-log');
// Twilio's call status callback (/twilio/status), the conversation-events push (/events) and the sweep (/sweep).
http('callLog', async (req, res) => (await handler())(req, res));
