/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import type { Env } from '../../shared/config';
import { createHttpApp, type HttpFunction } from '../../shared/http/app';
import { notImplementedRoutes } from '../../shared/http/not-implemented';
import { createFunctionRuntime } from '../../shared/runtime';

export function composeZoomWebhook(env: Env): HttpFunction {
  const { config, log } = createFunctionRuntime('zoom-webhook', env, {});
  return createHttpApp({ name: 'zoom-webhook', log, projectId: config.GCP_PROJECT, routes: notImplementedRoutes('zoom-webhook', 'the Zoom webhook receiver') });
}
