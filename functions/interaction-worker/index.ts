/** Entry point: registers the function; everything else happens in ./compose. */
import { type CloudEvent, cloudEvent } from '@google-cloud/functions-framework';
import { lazily } from '../../shared/lazily';
import { composeInteractionWorker } from './compose';

const handler = lazily(() => composeInteractionWorker(process.env));
cloudEvent('interactionWorker', (event: CloudEvent<unknown>) => handler()(event));
