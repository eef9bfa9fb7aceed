/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import type { Env } from '../../shared/config';
import { createHttpApp, type HttpFunction } from '../../shared/http/app';
import { notImplementedRoutes } from '../../shared/http/not-implemented';
import { createFunctionRuntime } from '../../shared/runtime';

export function composeUiConnector(env: Env): HttpFunction {
  const { config, log } = createFunctionRuntime('ui-connector', env, {});
  return createHttpApp({ name: 'ui-connector', log, projectId: config.GCP_PROJECT, routes: notImplementedRoutes('ui-connector', 'register-app and conversation-name') });
}
