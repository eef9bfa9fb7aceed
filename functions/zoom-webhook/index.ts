/** Entry point: registers the function; everything else happens in ./compose. */
import { http } from '@google-cloud/functions-framework';
import { lazily } from '../../shared/lazily';
import { composeZoomWebhook } from './compose';

const handler = lazily(() => composeZoomWebhook(process.env));
http('zoomWebhook', (req, res) => handler()(req, res));
