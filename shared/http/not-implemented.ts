import { notImplemented } from '../errors';
import type { Route } from './app';

/** Catch-all routes for a function whose endpoints have not been built yet. */
export function notImplementedRoutes(functionName: string, what: string): Route[] {
  const handle = () => {
    throw notImplemented(`${functionName}: ${what} is not implemented yet`);
  };
  return (['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const).map((method) => ({ method, path: '/*', handle }));
}
