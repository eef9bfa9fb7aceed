/** Composition root: configuration, clients and the HTTP app, built once per instance. */
import type { Env } from '../../shared/config';
import { createHttpApp, type HttpFunction } from '../../shared/http/app';
import { notImplementedRoutes } from '../../shared/http/not-implemented';
import { createFunctionRuntime } from '../../shared/runtime';

export function composeCrm(env: Env): HttpFunction {
  const { config, log } = createFunctionRuntime('crm', env, {});
  return createHttpApp({ name: 'crm', log, projectId: config.GCP_PROJECT, routes: notImplementedRoutes('crm', 'the CCAI Platform custom CRM API') });
}
