/**
 * The HTTP surface of ui-connector. Each route: read → signature gate → token and its role →
 * validate → core handler. Everything before the core handler writes nothing, so every 4xx
 * leaves the store and the topic untouched.
 *
 * Who may do what: `/register-app` — Twilio (signed) or the holder of an account's auth
 * token; POST/DELETE `/conversation-name` — tokens with the `twilio` role (and, by default,
 * only Twilio-signed requests); GET — tokens with the `agent` role (the Lightning component).
 */
import { AppError } from '../../shared/errors';
import { createHttpApp, type HttpFunction, type Method, type RequestContext, type Route } from '../../shared/http/app';
import { parseInput } from '../../shared/http/body';
import { headerValue } from '../../shared/http/headers';
import { sourceAddress } from '../../shared/http/source-address';
import type { Logger } from '../../shared/logging';
import { restorePlusFromQuery } from './conversation-keys';
import { type ConversationNameDeps, handleDeleteConversation, handleGetConversation, handleRegisterConversation } from './conversation-name';
import { conversationKeyQuerySchema, conversationNameBodySchema, readBody, registerAppBodySchema, signedRegisterAppBodySchema } from './inputs';
import { handleRegisterApp, type RegisterAppDeps, rateLimited } from './register-app';
import type { TokenRole, TokenService } from './tokens';
import type { TwilioRequestGate } from './twilio-request';

export interface UiConnectorDeps {
  log: Logger;
  projectId?: string;
  corsOrigins: string[];
  gate: TwilioRequestGate;
  tokens: TokenService;
  registerApp: Omit<RegisterAppDeps, 'tokens' | 'log'>;
  conversations: Omit<ConversationNameDeps, 'log'>;
  /** Roles that may DELETE a mapping: `twilio`, plus `agent` when UI_CONNECTOR_AGENT_MAY_DELETE is on. */
  deleteRoles: readonly TokenRole[];
  /** X-Forwarded-For entries the platform's proxies append (see shared/http/source-address.ts). */
  forwardedHops: number;
}

/** Small bodies only: two short fields. */
const MAX_BODY_BYTES = 16 * 1024;

export function createUiConnectorApp(deps: UiConnectorDeps): HttpFunction {
  const conversationDeps = (ctx: RequestContext): ConversationNameDeps => ({ ...deps.conversations, log: ctx.log });

  const readKey = (ctx: RequestContext): string => {
    const raw = ctx.query.get('conversationIntegrationKey');
    const { conversationIntegrationKey } = parseInput(
      'invalid_query',
      { conversationIntegrationKey: raw === null ? undefined : restorePlusFromQuery(raw) },
      conversationKeyQuerySchema,
    );
    return conversationIntegrationKey;
  };

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/register-app',
      handle: async (ctx) => {
        const body = readBody(ctx);
        const limits = deps.registerApp.limits;
        const source = sourceAddress(ctx.req, deps.forwardedHops);
        // Only what Twilio did not sign is limited: a flood of bad requests relayed through Twilio's own
        // addresses (an attacker's flow pointed here) must not make Twilio's genuine requests wait.
        let signed: boolean;
        try {
          signed = deps.gate.check(ctx, body.formParams, 'register') === 'signed';
        } catch (err) {
          limits.perSource.take(source);
          throw err;
        }
        if (!signed) {
          const budget = limits.perSource.take(source);
          if (!budget.allowed) {
            ctx.log.warn('register-app rate limited: too many unsigned or refused requests from one source');
            throw rateLimited(budget.retryAfterSeconds, 'requests from this source');
          }
        }
        const registerDeps = { ...deps.registerApp, tokens: deps.tokens, log: ctx.log };
        if (signed) {
          const { accountSid } = parseInput('invalid_body', body.fields, signedRegisterAppBodySchema);
          return { json: await handleRegisterApp(registerDeps, { signed: true, accountSid }) };
        }
        const input = parseInput('invalid_body', body.fields, registerAppBodySchema);
        return { json: await handleRegisterApp(registerDeps, { signed: false, ...input }) };
      },
    },
    {
      method: 'POST',
      path: '/conversation-name',
      handle: async (ctx) => {
        const body = readBody(ctx);
        deps.gate.check(ctx, body.formParams, 'write');
        const claims = await deps.tokens.authorize(headerValue(ctx.req.headers, 'authorization'), 'twilio');
        const fields = body.formParams.length > 0 ? withRestoredPlus(body.fields) : body.fields;
        const input = parseInput('invalid_body', fields, conversationNameBodySchema);
        const registeredBy = claims.gcp_agent_assist_user ?? undefined;
        return { json: await handleRegisterConversation(conversationDeps(ctx), { ...input, registeredBy }) };
      },
    },
    {
      method: 'GET',
      path: '/conversation-name',
      handle: async (ctx) => {
        deps.gate.check(ctx, [], 'read');
        await deps.tokens.authorize(headerValue(ctx.req.headers, 'authorization'), 'agent');
        return { json: await handleGetConversation(conversationDeps(ctx), readKey(ctx)), headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      method: 'DELETE',
      path: '/conversation-name',
      handle: async (ctx) => {
        const token = await deps.tokens.verify(headerValue(ctx.req.headers, 'authorization'));
        if (!token.roles.some((r) => deps.deleteRoles.includes(r)))
          throw new AppError('forbidden', 403, 'this token may not delete mappings; it needs the role twilio');
        // The Lightning component (when agents may delete) deletes unsigned; Twilio's deletes are writes like its registrations.
        const asAgent = token.roles.includes('agent') && deps.deleteRoles.includes('agent');
        deps.gate.check(ctx, [], asAgent ? 'read' : 'write');
        return { json: await handleDeleteConversation(conversationDeps(ctx), readKey(ctx)) };
      },
    },
  ];

  return createConnectorApp(deps, routes, MAX_BODY_BYTES, ['GET', 'POST', 'DELETE', 'OPTIONS']);
}

/** One of ui-connector's apps (REST and Agent Assist differ in routes, body size and methods). */
export function createConnectorApp(
  deps: { log: Logger; projectId?: string; corsOrigins: string[] },
  routes: Route[],
  maxBodyBytes: number,
  methods: Method[],
): HttpFunction {
  return createHttpApp({
    name: 'ui-connector',
    log: deps.log,
    ...(deps.projectId ? { projectId: deps.projectId } : {}),
    routes,
    maxBodyBytes,
    cors: { allowedOrigins: deps.corsOrigins, allowedMethods: methods, allowedHeaders: ['authorization', 'content-type'] },
  });
}

/** Form values went through the same "+" → space decoding as query strings. */
function withRestoredPlus(fields: Record<string, unknown>): Record<string, unknown> {
  const key = fields['conversationIntegrationKey'];
  return typeof key === 'string' ? { ...fields, conversationIntegrationKey: restorePlusFromQuery(key) } : fields;
}
