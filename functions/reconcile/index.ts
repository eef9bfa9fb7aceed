/** Entry point: registers the function; everything else happens in ./compose. */
import { http } from '@google-cloud/functions-framework';
import { lazily } from '../../shared/lazily';
import { composeReconcile } from './compose';

const handler = lazily(() => composeReconcile(process.env));
http('reconcile', (req, res) => handler()(req, res));
