/**
 * ui-connector as a Cloud Run service: the same composed function behind the Functions
 * Framework's own HTTP app, plus the Agent Assist socket.io server on the same port — one
 * URL for REST and the socket, which a Cloud Function cannot give (no websocket upgrade).
 * Cloud Run sends SIGTERM before stopping an instance: sockets are closed so the UI
 * modules reconnect to another instance at once.
 */
import { http } from '@google-cloud/functions-framework';
// The only server factory the Framework exports; the deployed Cloud Run image runs the same app the CLI builds.
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { bodyLimitsOf } from '../../shared/http/body-guard';
import { installFrameworkErrorResponses } from '../../shared/http/framework-errors';
import { installPlainRequestScopes } from '../../shared/http/framework-domains';
import { installExpressRequestClasses } from '../../shared/http/framework-server';
import { createLogger } from '../../shared/logging';
import { composeUiConnector } from './compose';

const log = createLogger({ fields: { function: 'ui-connector' } });
let handler: ReturnType<typeof composeUiConnector>;
try {
  handler = composeUiConnector(process.env);
} catch (err) {
  process.stderr.write(
    `${JSON.stringify({ severity: 'CRITICAL', message: `ui-connector: cannot start: ${err instanceof Error ? err.message : String(err)}` })}\n`,
  );
  process.exit(1);
}
// Before the Framework builds its app: bodies held to the function's own limits before its parsers.
installFrameworkErrorResponses(log, { bodyLimits: (req) => bodyLimitsOf(handler, req) });
// ...and requests born with the prototypes Express gives them, without a domain each, as in the functions (shared/entry.ts).
installExpressRequestClasses();
installPlainRequestScopes();
http('uiConnector', handler);
const server = getTestServer('uiConnector');
// Longer than Cloud Run's front end keeps idle connections, so it never reuses one being closed.
server.keepAliveTimeout = 620_000;
const socket = await handler.attachSocket(server);
const port = Number(process.env['PORT'] ?? 8080);
server.listen(port, () => log.info('ui-connector serving REST and socket.io', { port }));

process.on('SIGTERM', () => {
  void socket.close().finally(() => server.close(() => process.exit(0)));
  setTimeout(() => process.exit(0), 8000).unref();
});
