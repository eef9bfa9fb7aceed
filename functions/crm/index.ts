/** Entry point: registers the function; everything else happens in ./compose. */
import { http } from '@google-cloud/functions-framework';
import { lazily } from '../../shared/lazily';
import { composeCrm } from './compose';

const handler = lazily(() => composeCrm(process.env));
http('crm', (req, res) => handler()(req, res));
