// The cold-start baseline: the smallest function the Functions Framework can serve.
import { http } from '@google-cloud/functions-framework';

http('bare', (_req, res) => {
  res.json({});
});
