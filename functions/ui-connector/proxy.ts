/**
 * The Dialogflow proxy the Agent Assist UI modules call with `custom-api-endpoint` = this
 * service: the reference's routes under /v2 and /v2beta1, forwarded to the regional
 * Dialogflow endpoint with this service's own Google credentials; Dialogflow's status and
 * JSON body come back as they are. Unlike the reference, only those routes pass, the
 * project in the path must be the configured one, and every path segment is checked
 * before anything is sent. Conversation names without `locations/<l>/` (what Twilio
 * Studio seeds) are the global location, as Dialogflow's own routes allow.
 */
import type { Got } from 'got';
import { AppError } from '../../shared/errors';
import type { Method } from '../../shared/http/app';
import { withoutTrailingSlash } from '../../shared/http/url';

export interface ProxyTarget {
  version: 'v2' | 'v2beta1';
  project: string;
  location: string | undefined;
  /** The path to send upstream, from the version on: "/v2/projects/p/locations/l/conversations/c". */
  upstreamPath: string;
}

/** After `projects/<p>/(locations/<l>/)?`: what each method may reach (the reference's list). */
const ALLOWED: Record<'GET' | 'POST' | 'PATCH', Array<{ head: string; tail: boolean }>> = {
  GET: [
    { head: 'conversations', tail: true },
    { head: 'conversationProfiles', tail: true },
    { head: 'conversationModels', tail: true },
    { head: 'generators', tail: true },
  ],
  POST: [
    { head: 'conversations', tail: false },
    { head: 'conversations', tail: true },
    { head: 'suggestions:searchKnowledge', tail: false },
    { head: 'statelessSuggestion:generate', tail: false },
  ],
  PATCH: [
    { head: 'conversations', tail: true },
    { head: 'answerRecords', tail: true },
  ],
};

/** A resource id or a custom method ("participants/p:analyzeContent"); no dots-only segments, no escapes. */
const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._~+@:-]{0,199}$/;
const LOCATION = /^[a-z][a-z0-9-]{0,62}$/;
const PROJECT = /^[A-Za-z0-9][A-Za-z0-9.:_-]{0,99}$/;

export function isProxyPath(path: string): boolean {
  return path === '/v2' || path === '/v2beta1' || path.startsWith('/v2/') || path.startsWith('/v2beta1/');
}

/** Which Dialogflow call this is, or a 404/403/400 AppError. Nothing is sent before this passes. */
export function resolveProxyTarget(method: Method, path: string, configuredProject: string): ProxyTarget {
  const segments = path.split('/').filter((s) => s.length > 0);
  const [version, projectsWord, project, ...rest] = segments;
  const notProxied = () => new AppError('not_found', 404, `no such Dialogflow proxy route: ${method} ${path.slice(0, 200)}`);
  if ((version !== 'v2' && version !== 'v2beta1') || projectsWord !== 'projects' || project === undefined) throw notProxied();
  if (method !== 'GET' && method !== 'POST' && method !== 'PATCH') throw notProxied();
  if (!PROJECT.test(project)) throw new AppError('bad_request', 400, 'the project in the path is not a project id');
  let location: string | undefined;
  let resource = rest;
  if (rest[0] === 'locations') {
    location = rest[1];
    if (location === undefined || !LOCATION.test(location)) throw new AppError('bad_request', 400, 'the location in the path is not a location id');
    resource = rest.slice(2);
  }
  const [head, ...tail] = resource;
  if (head === undefined || !ALLOWED[method].some((r) => r.head === head && r.tail === tail.length > 0)) throw notProxied();
  for (const segment of resource) {
    if (!SEGMENT.test(segment)) throw new AppError('bad_request', 400, 'a path segment holds characters no Dialogflow resource name has');
  }
  // Checked after the route, so a wrong project is a 403 only on routes that exist.
  if (project !== configuredProject) throw new AppError('forbidden', 403, 'this proxy serves only its own project');
  return { version, project, location, upstreamPath: `/${segments.join('/')}` };
}

export function dialogflowEndpoint(location: string | undefined): string {
  return location === undefined || location === 'global' ? 'https://dialogflow.googleapis.com' : `https://${location}-dialogflow.googleapis.com`;
}

/** Authorization headers for Dialogflow (google-auth-library in production). */
export type GoogleAuthHeaders = (url: string) => Promise<Record<string, string>>;

export interface DialogflowAnswer {
  status: number;
  json: unknown;
}

export interface DialogflowForwarder {
  forward(target: ProxyTarget, method: 'GET' | 'POST' | 'PATCH', search: string, body: Buffer | undefined): Promise<DialogflowAnswer>;
}

export async function createDialogflowHttp(options: { timeoutMs: number }): Promise<Got> {
  const { default: got } = await import('got');
  return got.extend({
    timeout: { request: options.timeoutMs },
    // analyzeContent and friends are not idempotent: never repeated here; the UI modules retry.
    retry: { limit: 0 },
    throwHttpErrors: false,
    followRedirect: false,
    decompress: true,
    headers: { 'user-agent': 'ccbridge-ui-connector', accept: 'application/json' },
  });
}

export function createDialogflowForwarder(options: {
  http: () => Promise<Got>;
  endpointOverride?: string;
  authHeaders: GoogleAuthHeaders;
}): DialogflowForwarder {
  return {
    async forward(target, method, search, body) {
      const base = withoutTrailingSlash(options.endpointOverride ?? dialogflowEndpoint(target.location));
      const url = `${base}${target.upstreamPath}${search}`;
      const http = await options.http();
      let response: { statusCode: number; body: Buffer };
      try {
        const headers = await options.authHeaders(url);
        response = await http(url, {
          method,
          headers: { ...headers, ...(body && body.length > 0 ? { 'content-type': 'application/json' } : {}) },
          ...(body && body.length > 0 ? { body } : method === 'GET' ? {} : { body: '' }),
          responseType: 'buffer',
        });
      } catch (err) {
        throw new AppError('upstream_unavailable', 503, 'Dialogflow did not answer in time; try again', { retryable: true, retryAfterSeconds: 1, cause: err });
      }
      let json: unknown;
      try {
        json = response.body.length === 0 ? {} : JSON.parse(response.body.toString('utf8'));
      } catch {
        throw new AppError('upstream_error', 502, `Dialogflow answered ${response.statusCode} without a JSON body`);
      }
      return { status: response.statusCode, json };
    },
  };
}

/** google-auth-library's Application Default Credentials, loaded on first use. */
export function googleAuthHeaders(): GoogleAuthHeaders {
  let auth: Promise<{ getRequestHeaders(url?: string): Promise<unknown> }> | undefined;
  return async (url) => {
    auth ??= import('google-auth-library').then(
      ({ GoogleAuth }) => new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/cloud-platform', 'https://www.googleapis.com/auth/dialogflow'] }),
    );
    const headers = await (await auth).getRequestHeaders(url);
    const out: Record<string, string> = {};
    // google-auth-library 10+ answers a Headers object; older majors a plain record.
    if (headers instanceof Headers) {
      headers.forEach((v, k) => {
        out[k] = v;
      });
    } else Object.assign(out, headers as Record<string, string>);
    return out;
  };
}
