/** Entry point: registers the function; everything else happens in ./compose. */
import { http } from '@google-cloud/functions-framework';
import { lazily } from '../../shared/lazily';
import { composeUiConnector } from './compose';

const handler = lazily(() => composeUiConnector(process.env));
http('uiConnector', (req, res) => handler()(req, res));
