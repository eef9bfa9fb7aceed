/**
 * ui-connector's Agent Assist half: `POST /register` (Salesforce bearer tokens: real ones
 * from the Salesforce stand-in, and every way a header can be wrong), the Dialogflow proxy
 * (tokens, routes, projects, bodies), and the socket.io handshake and events spoken over
 * the long-polling transport on the gateway's /socket.io/ (namespace /ui-connector): bad,
 * expired and foreign tokens must end in a CONNECT_ERROR packet, malformed events in a
 * refusal acknowledgement; nothing of it writes anything.
 */
import { SignJWT } from 'jose';
import type { StepBuilder, StepResult } from '../case';
import { json, malformedJson } from './hostile';
import { type GenContext, type Generator, httpStep, refused } from './types';

const REGISTER = 'ui-connector POST /register';
const PROXY = 'ui-connector Dialogflow proxy';
const SOCKET = 'ui-connector socket.io handshake';
const NAMESPACE = '/ui-connector';

const projectOf = (ctx: GenContext) => ctx.target.env['AGENT_ASSIST_PROJECT'] ?? ctx.target.env['GCP_PROJECT'] ?? 'ccbridge-local';

async function agentToken(ctx: GenContext, claims: Record<string, unknown> = {}, options: { key?: string; expiresIn?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ gcp_agent_assist_project: projectOf(ctx), gcp_agent_assist_user: `salesforce:${ctx.marker}`, ccbridge_role: 'agent', ...claims })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt(now)
    .setExpirationTime(now + (options.expiresIn ?? 600))
    .sign(new TextEncoder().encode(options.key ?? ctx.target.credentials.uiConnectorJwtSecret));
}

/** A client-credentials token from the local Salesforce org, as the component obtains it. */
async function salesforceToken(ctx: GenContext): Promise<string> {
  const creds = ctx.target.credentials as unknown as Record<string, string>;
  const query = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: creds['salesforceConsumerKey'] ?? '',
    client_secret: creds['salesforceConsumerSecret'] ?? '',
  });
  const res = await fetch(`${ctx.target.env['SALESFORCE_DOMAIN']}/services/oauth2/token?${query}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** A token that must not open the socket or the proxy, and why. */
async function hostileAgentToken(ctx: GenContext): Promise<{ what: string; token: unknown }> {
  const { rng } = ctx;
  const variants: Array<() => Promise<[string, unknown]>> = [
    async () => ['no token', undefined],
    async () => ['an empty token', ''],
    async () => ['a number', 42],
    async () => ['an object', { token: 'x' }],
    async () => ['random text', `${ctx.marker}${rng.alnum(rng.int(1, 200))}`],
    async () => ['an expired token', await agentToken(ctx, {}, { expiresIn: -3600 })],
    async () => ['a token of another service (other key)', await agentToken(ctx, {}, { key: 'another-services-signing-key-0123456789abcdef' })],
    async () => ['a token for another project', await agentToken(ctx, { gcp_agent_assist_project: `${projectOf(ctx)}-other` })],
    async () => ['a 10 000-character token', 'e'.repeat(10_000)],
  ];
  const [what, token] = await rng.pick(variants)();
  return { what, token };
}

const sidOf = (result: StepResult | undefined): string => /"sid":"([^"]+)"/.exec(result?.body.toString('utf8') ?? '')?.[1] ?? 'none';
const polling = (sid?: string) => `/socket.io/?EIO=4&transport=polling${sid ? `&sid=${sid}` : ''}`;

/** Opens an engine.io session, sends the socket.io CONNECT with `auth`, reads the answer. */
function handshake(ctx: GenContext, auth: unknown, what: string, category: 'valid' | 'wrong-signature' | 'malformed'): StepBuilder[] {
  const open: StepBuilder = () =>
    httpStep({
      endpoint: SOCKET,
      category: 'valid',
      proves: 'an engine.io polling session opens',
      method: 'GET',
      path: polling(),
      expect: { outcome: 'accepted', status: [200] },
    });
  const connect: StepBuilder = (previous) =>
    httpStep({
      endpoint: SOCKET,
      category,
      proves: `the socket.io CONNECT with ${what} is taken in and answered in the session (never a 5xx)`,
      method: 'POST',
      path: polling(sidOf(previous[0])),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: Buffer.from(`40${NAMESPACE},${auth === undefined ? '' : JSON.stringify({ token: auth })}`),
      ...(typeof auth === 'string' && auth.length > 20 ? { credentials: [auth] } : {}),
      expect: { outcome: 'handled', status: [200] },
    });
  const read: StepBuilder = (previous) =>
    httpStep({
      endpoint: SOCKET,
      category,
      proves: category === 'valid' ? 'the server answers CONNECT' : `the server answers CONNECT_ERROR for ${what}, to this client only`,
      method: 'GET',
      path: polling(sidOf(previous[0])),
      expect: { outcome: 'handled', status: [200] },
    });
  void ctx;
  return [open, connect, read];
}

export const agentAssistGenerators: Generator[] = [
  {
    name: 'ui-connector/register',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      if (rng.bool(0.3)) {
        let token = '';
        return [
          async () => {
            token = await salesforceToken(ctx);
            return httpStep({
              endpoint: REGISTER,
              category: 'valid',
              proves: 'a client-credentials token of the configured org gets a ui-connector token and writes nothing',
              method: 'POST',
              path: '/ui-connector/register',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
              credentials: [token],
              expect: { outcome: 'accepted', status: [200] },
            });
          },
        ];
      }
      const variants: Array<[string, Record<string, string>]> = [
        ['no Authorization header', {}],
        ['an empty bearer', { authorization: 'Bearer ' }],
        ['a made-up Salesforce token', { authorization: `Bearer 00D000000000001!${marker}${rng.alnum(40)}` }],
        ['Basic credentials', { authorization: `Basic ${Buffer.from(`${marker}:x`).toString('base64')}` }],
        ['a raw token without Bearer', { authorization: `${marker}${rng.alnum(30)}` }],
        ['a bearer with spaces inside', { authorization: `Bearer ${marker} ${rng.alnum(10)}` }],
        ['a 5 000-character bearer', { authorization: `Bearer ${'s'.repeat(5000)}` }],
        ['the placeholder "undefined"', { authorization: 'Bearer undefined' }],
      ];
      const [what, headers] = rng.pick(variants);
      return [
        () =>
          httpStep({
            endpoint: REGISTER,
            category: 'wrong-signature',
            proves: `/register with ${what} answers 401 {message} and writes nothing`,
            method: 'POST',
            path: '/ui-connector/register',
            headers: { 'content-type': 'application/json', ...headers },
            ...(rng.bool() ? { body: json({ gcp_agent_assist_user: `${marker}admin` }) } : {}),
            expect: refused([401]),
          }),
      ];
    },
  },
  {
    name: 'ui-connector/dialogflow-proxy',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      const project = projectOf(ctx);
      const profile = `/v2beta1/projects/${project}/locations/global/conversationProfiles/ccbridge-local-profile`;
      const kind = rng.int(0, 5);
      return [
        async () => {
          const token = await agentToken(ctx);
          if (kind === 0) {
            return httpStep({
              endpoint: PROXY,
              category: 'valid',
              proves: 'a listed GET is forwarded and answered 200',
              method: 'GET',
              path: `/ui-connector${profile}`,
              headers: { authorization: token },
              credentials: [token],
              expect: { outcome: 'accepted', status: [200] },
            });
          }
          if (kind === 1) {
            const { what, token: bad } = await hostileAgentToken(ctx);
            const header = typeof bad === 'string' ? bad : undefined;
            return httpStep({
              endpoint: PROXY,
              category: 'wrong-signature',
              proves: `the proxy refuses ${what} with 401 and forwards nothing`,
              method: 'GET',
              path: `/ui-connector${profile}`,
              headers: header === undefined ? {} : { authorization: header },
              expect: refused([401]),
            });
          }
          if (kind === 2) {
            return httpStep({
              endpoint: PROXY,
              category: 'wrong-type',
              proves: 'a call for another project is 403 and forwards nothing',
              method: 'GET',
              path: `/ui-connector/v2/projects/${marker}other/locations/global/conversations/c1`,
              headers: { authorization: token },
              credentials: [token],
              expect: refused([403]),
            });
          }
          if (kind === 3) {
            const route = rng.pick([
              ['DELETE', `/v2/projects/${project}/locations/global/conversations/${marker}`],
              ['GET', `/v2/projects/${project}/locations/global/agent`],
              ['POST', `/v2/projects/${project}/locations/global/conversationProfiles/${marker}`],
              ['GET', `/v2/projects/${project}/locations/global/conversations/..%2F${marker}`],
              ['GET', `/v9/projects/${project}/locations/global/conversations/${marker}`],
              ['PUT', `/v2beta1/projects/${project}/locations/global/answerRecords/${marker}`],
            ] as const);
            return httpStep({
              endpoint: PROXY,
              category: 'malformed',
              proves: `${route[0]} ${route[1].slice(0, 60)} is not a proxied route and forwards nothing`,
              method: route[0],
              path: `/ui-connector${route[1]}`,
              headers: { authorization: token },
              credentials: [token],
              expect: refused([400, 404, 405]),
            });
          }
          const body =
            kind === 4
              ? malformedJson(rng, JSON.stringify({ conversationProfile: `${profile}${marker}` }))
              : { what: 'a form body', body: Buffer.from(`conversationProfile=${marker}`), headers: { 'content-type': 'text/plain' } };
          return httpStep({
            endpoint: PROXY,
            category: 'malformed',
            proves: `a POST with ${body.what} is refused with 400 and forwards nothing`,
            method: 'POST',
            path: `/ui-connector/v2beta1/projects/${project}/locations/global/conversations`,
            headers: { authorization: token, ...body.headers },
            body: body.body,
            credentials: [token],
            expect: refused([400]),
          });
        },
      ];
    },
  },
  {
    name: 'ui-connector/socket-handshake',
    weight: 3,
    build: (ctx) => {
      const { rng, marker } = ctx;
      if (rng.bool(0.3)) {
        // A valid connect, then a malformed join: acknowledged with (false, reason), nothing joined.
        let token = '';
        return [
          async (previous) => {
            token = await agentToken(ctx);
            return handshake(ctx, token, 'a valid token', 'valid')[0]!(previous);
          },
          (previous) => handshake(ctx, token, 'a valid token', 'valid')[1]!(previous),
          (previous) => handshake(ctx, token, 'a valid token', 'valid')[2]!(previous),
          (previous) => {
            const bad = rng.pick([
              42,
              { name: marker },
              `projects/${marker}/conversations/../x`,
              `projects/other-${marker}/locations/global/conversations/c`,
              'x'.repeat(5000),
            ]);
            return httpStep({
              endpoint: SOCKET,
              category: 'wrong-type',
              proves: 'a malformed join-conversation is answered (false, reason) and joins nothing',
              method: 'POST',
              path: polling(sidOf(previous[0])),
              headers: { 'content-type': 'text/plain;charset=UTF-8' },
              body: Buffer.from(`42${NAMESPACE},1${JSON.stringify(['join-conversation', bad])}`),
              credentials: [token],
              expect: { outcome: 'handled', status: [200] },
            });
          },
          (previous) =>
            httpStep({
              endpoint: SOCKET,
              category: 'wrong-type',
              proves: 'the refusal acknowledgement is read back',
              method: 'GET',
              path: polling(sidOf(previous[0])),
              expect: { outcome: 'handled', status: [200] },
            }),
        ];
      }
      let built: StepBuilder[] | undefined;
      const lazy =
        (i: number): StepBuilder =>
        async (previous) => {
          if (!built) {
            const { what, token } = await hostileAgentToken(ctx);
            built = handshake(ctx, token, what, 'wrong-signature');
          }
          return built[i]!(previous);
        };
      return [lazy(0), lazy(1), lazy(2)];
    },
  },
];
