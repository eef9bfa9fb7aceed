/**
 * The HTTP surface of ui-connector. Each route: read → signature gate → token → validate →
 * core handler. Everything before the core handler writes nothing, so every 4xx leaves the
 * store and the topic untouched.
 */
import { createHttpApp, type HttpFunction, type RequestContext, type Route } from '../../shared/http/app';
import type { Logger } from '../../shared/logging';
import { restorePlusFromQuery } from './conversation-keys';
import { type ConversationNameDeps, handleDeleteConversation, handleGetConversation, handleRegisterConversation } from './conversation-name';
import { conversationKeyQuerySchema, conversationNameBodySchema, parseInput, readBody, registerAppBodySchema } from './inputs';
import { handleRegisterApp, type RegisterAppDeps } from './register-app';
import type { TokenService } from './tokens';
import type { TwilioRequestGate } from './twilio-request';

export interface UiConnectorDeps {
  log: Logger;
  projectId?: string;
  corsOrigins: string[];
  gate: TwilioRequestGate;
  tokens: TokenService;
  registerApp: Omit<RegisterAppDeps, 'tokens' | 'log'>;
  conversations: Omit<ConversationNameDeps, 'log'>;
}

/** Small bodies only: two short fields. */
const MAX_BODY_BYTES = 16 * 1024;

export function createUiConnectorApp(deps: UiConnectorDeps): HttpFunction {
  const conversationDeps = (ctx: RequestContext): ConversationNameDeps => ({ ...deps.conversations, log: ctx.log });

  const readKey = (ctx: RequestContext): string => {
    const raw = ctx.query.get('conversationIntegrationKey');
    const { conversationIntegrationKey } = parseInput('invalid_query', { conversationIntegrationKey: raw === null ? undefined : restorePlusFromQuery(raw) }, conversationKeyQuerySchema);
    return conversationIntegrationKey;
  };

  const routes: Route[] = [
    {
      method: 'POST',
      path: '/register-app',
      handle: async (ctx) => {
        const body = readBody(ctx);
        deps.gate.check(ctx, body.formParams, 'write');
        const input = parseInput('invalid_body', body.fields, registerAppBodySchema);
        return { json: await handleRegisterApp({ ...deps.registerApp, tokens: deps.tokens, log: ctx.log }, input) };
      },
    },
    {
      method: 'POST',
      path: '/conversation-name',
      handle: async (ctx) => {
        const body = readBody(ctx);
        deps.gate.check(ctx, body.formParams, 'write');
        const claims = await deps.tokens.verify(header(ctx, 'authorization'));
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
        await deps.tokens.verify(header(ctx, 'authorization'));
        return { json: await handleGetConversation(conversationDeps(ctx), readKey(ctx)), headers: { 'cache-control': 'no-store' } };
      },
    },
    {
      method: 'DELETE',
      path: '/conversation-name',
      handle: async (ctx) => {
        deps.gate.check(ctx, [], 'read');
        await deps.tokens.verify(header(ctx, 'authorization'));
        return { json: await handleDeleteConversation(conversationDeps(ctx), readKey(ctx)) };
      },
    },
  ];

  return createHttpApp({
    name: 'ui-connector',
    log: deps.log,
    ...(deps.projectId ? { projectId: deps.projectId } : {}),
    routes,
    maxBodyBytes: MAX_BODY_BYTES,
    ...(deps.corsOrigins.length > 0
      ? { cors: { allowedOrigins: deps.corsOrigins, allowedMethods: ['GET', 'POST', 'DELETE', 'OPTIONS'], allowedHeaders: ['authorization', 'content-type'] } }
      : {}),
  });
}

export function header(ctx: RequestContext, name: string): string | undefined {
  const v = ctx.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Form values went through the same "+" → space decoding as query strings. */
function withRestoredPlus(fields: Record<string, unknown>): Record<string, unknown> {
  const key = fields['conversationIntegrationKey'];
  return typeof key === 'string' ? { ...fields, conversationIntegrationKey: restorePlusFromQuery(key) } : fields;
}
