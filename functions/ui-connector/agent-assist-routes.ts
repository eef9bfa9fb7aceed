/**
 * The routes the Agent Assist Lightning component and UI modules call besides
 * conversation-name: `GET /status`, `POST /register`, the Dialogflow proxy under /v2 and
 * /v2beta1, and — on the private deployment only — the Pub/Sub push consumer of the
 * conversation profile's notification topics (`POST /notifications/<data type>`).
 * A separate app from register-app/conversation-name: its own body limit (Dialogflow
 * requests are larger than a mapping) and CORS methods (the UI modules PATCH).
 */
import type { NotificationLog } from '../../shared/agent-assist/notification-log';
import { decodeNotification, isNotificationType, pushEnvelopeSchema } from '../../shared/agent-assist/notifications';
import { AppError } from '../../shared/errors';
import type { HttpFunction, RequestContext, Route } from '../../shared/http/app';
import { parseInput } from '../../shared/http/body';
import { headerValue } from '../../shared/http/headers';
import { sourceAddress } from '../../shared/http/source-address';
import type { KeyedTokenBuckets } from '../../shared/rate-limit';
import type { Logger } from '../../shared/logging';
import { readBody } from './inputs';
import { type DialogflowForwarder, isProxyPath, resolveProxyTarget } from './proxy';
import { handleRegister } from './register';
import { rateLimited } from './register-app';
import { createConnectorApp } from './routes';
import type { SalesforceTokenVerifier } from './salesforce-userinfo';
import type { TokenService } from './tokens';

export interface AgentAssistDeps {
  log: Logger;
  projectId?: string;
  /** The Agent Assist project: the proxy serves only it. */
  project: string;
  corsOrigins: string[];
  tokens: TokenService;
  salesforce: SalesforceTokenVerifier;
  /** Refused /register attempts per source address: a flood of made-up tokens must not become a flood of Salesforce calls. */
  registerRefusals: KeyedTokenBuckets;
  /** See shared/http/source-address.ts. */
  forwardedHops: number;
  dialogflow: DialogflowForwarder;
  /** Present on the deployment Pub/Sub pushes to. */
  notifications?: { log: NotificationLog; now: () => Date };
}

/** Dialogflow requests carry transcripts and audio (analyzeContent); Pub/Sub messages are at most 10 MB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Paths this app answers; everything else stays with the register-app / conversation-name app. */
export function isAgentAssistPath(path: string): boolean {
  return path === '/register' || path === '/status' || isProxyPath(path) || path === '/notifications' || path.startsWith('/notifications/');
}

export function createAgentAssistApp(deps: AgentAssistDeps): HttpFunction {
  const proxy = (method: 'GET' | 'POST' | 'PATCH') => async (ctx: RequestContext) => {
    // Agent tokens only (/register's): Twilio's register-app tokens have no business here.
    await deps.tokens.authorize(headerValue(ctx.req.headers, 'authorization'), 'agent');
    const target = resolveProxyTarget(method, ctx.path, deps.project);
    let body: Buffer | undefined;
    if (method !== 'GET' && ctx.rawBody.length > 0) {
      // Whatever the content type claims, only a JSON object goes to Dialogflow.
      const { fields } = readBody(ctx);
      body = Buffer.from(JSON.stringify(fields));
    }
    const search = new URL(ctx.req.originalUrl ?? ctx.req.url ?? '/', 'http://x').search;
    const answer = await deps.dialogflow.forward(target, method, search, body);
    ctx.log.info('dialogflow proxied', { method, route: target.upstreamPath.replace(/conversations\/[^/:]+/, 'conversations/*'), status: answer.status });
    return { status: answer.status, json: answer.json, headers: { 'cache-control': 'no-store' } };
  };

  const routes: Route[] = [
    // The reference's health check answers plain text.
    { method: 'GET', path: '/status', handle: () => ({ body: 'ok', headers: { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' } }) },
    {
      method: 'POST',
      path: '/register',
      handle: async (ctx) => {
        // Only refusals count, so an office of agents behind one address reloading at once is never held back.
        const source = sourceAddress(ctx.req, deps.forwardedHops);
        const budget = deps.registerRefusals.peek(source);
        if (!budget.allowed) {
          ctx.log.warn('register rate limited: too many refused attempts from one source');
          throw rateLimited(budget.retryAfterSeconds, 'refused attempts from this source');
        }
        try {
          return {
            json: await handleRegister({ salesforce: deps.salesforce, tokens: deps.tokens, log: ctx.log }, headerValue(ctx.req.headers, 'authorization')),
            headers: { 'cache-control': 'no-store' },
          };
        } catch (err) {
          if (err instanceof AppError && err.status === 401) deps.registerRefusals.take(source);
          throw err;
        }
      },
    },
    ...(['v2', 'v2beta1'] as const).flatMap((version) =>
      (['GET', 'POST', 'PATCH'] as const).map((method): Route => ({ method, path: `/${version}/*`, handle: proxy(method) })),
    ),
  ];

  const notifications = deps.notifications;
  if (notifications) {
    routes.push({
      method: 'POST',
      path: '/notifications/:type',
      handle: async (ctx) => {
        const type = ctx.params['type'] ?? '';
        if (!isNotificationType(type)) throw new AppError('not_found', 404, 'unknown notification type');
        const { fields } = readBody(ctx);
        const envelope = parseInput('invalid_body', fields, pushEnvelopeSchema);
        const decoded = decodeNotification(envelope, type, notifications.now());
        if (decoded.kind === 'unroutable') {
          // Redelivering it would not help: acknowledged and logged, as the reference does.
          ctx.log.warn('notification not routable: acknowledged', { type, reason: decoded.reason });
          return { status: 204 };
        }
        const outcome = await notifications.log.record(decoded);
        ctx.log.debug('notification recorded', { type, outcome, messageId: decoded.payload.message_id });
        return { status: 204 };
      },
    });
  }

  return createConnectorApp(deps, routes, MAX_BODY_BYTES, ['GET', 'POST', 'PATCH', 'DELETE', 'OPTIONS']);
}
