/**
 * The shipped Twilio Function source, run as Twilio runs it (context, event, callback),
 * against real HTTP servers: ui-connector on the Functions Framework, and a foreign server
 * standing for anyone who would like a signature for their own host. Signatures are checked
 * with Twilio's own helper library.
 */
import { existsSync, readdirSync } from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import type { TwilioFunctionModule } from '../support/twilio-function';
import { ACCOUNT_SID, AUTH_TOKEN, issuedToken, PUBLIC_URL, startUiConnector, type UiConnectorUnderTest } from '../support/ui-connector-fixture';

const requireCjs = createRequire(import.meta.url);
const twilioFunction = requireCjs('../../twilio/functions/conversation-name.protected.js') as TwilioFunctionModule;

const CONVERSATION = 'projects/ccbridge-test/locations/global/conversations/CA0123456789abcdef0123456789abcdef';
const PHONE = '+14155550100';

function invoke(context: Record<string, string>, event: Record<string, unknown>): Promise<{ error: Error | null; response: unknown }> {
  return new Promise((resolve) => {
    void twilioFunction.handler(context, event, (error, response) => resolve({ error, response }));
  });
}

/** A plain HTTP server recording what reaches it (the "foreign host"). */
async function recorder(): Promise<{ url: string; requests: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }>; close(): Promise<void> }> {
  const requests: Array<{ url: string; headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function freePort(): Promise<number> {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

let app: UiConnectorUnderTest | undefined;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await app?.stop();
  app = undefined;
  for (const c of cleanups.splice(0)) await c();
});

/** The Twilio service's environment: its credentials ("Add my Twilio Credentials") and the ui-connector URL. */
const serviceContext = (uiConnectorUrl: string) => ({ ACCOUNT_SID, AUTH_TOKEN, UI_CONNECTOR_URL: uiConnectorUrl });

describe('Twilio Function conversation-name.protected.js', () => {
  test('is deployed protected: the Serverless Toolkit reads visibility from the .protected.js suffix, and there is no public twin', () => {
    const dir = new URL('../../twilio/functions/', import.meta.url);
    // Everything in twilio/functions/ is deployed: one protected Function and nothing else.
    expect(readdirSync(dir)).toEqual(['conversation-name.protected.js']);
    expect(existsSync(new URL('conversation-name.js', dir))).toBe(false);
  });

  test('posts only to its configured UI_CONNECTOR_URL: an endpoint named by the caller is ignored and never contacted', async () => {
    const target = await recorder();
    const foreign = await recorder();
    cleanups.push(target.close, foreign.close);
    const { error } = await invoke(serviceContext(`${target.url}/ui-connector`), {
      endpoint: `${foreign.url}/steal`,
      token: 't',
      phone: PHONE,
      conversationName: CONVERSATION,
    });
    expect(error).toBeNull();
    expect(foreign.requests).toEqual([]);
    expect(target.requests).toHaveLength(1);
    const [sent] = target.requests;
    // The signature verifies for the configured URL, with Twilio's own validator (JSON variant, body hash included).
    const signedUrl = `${target.url}${sent!.url}`;
    expect(sent!.url).toMatch(/^\/ui-connector\/conversation-name\?bodySHA256=[0-9a-f]{64}$/);
    expect(twilio.validateRequestWithBody(AUTH_TOKEN, String(sent!.headers['x-twilio-signature']), signedUrl, sent!.body)).toBe(true);
    expect(JSON.parse(sent!.body)).toEqual({ conversationIntegrationKey: PHONE, conversationName: CONVERSATION });
    expect(sent!.headers['authorization']).toBe('t');
  });

  test.each([
    ['without its credentials', { UI_CONNECTOR_URL: 'https://connector.example/ui-connector' }, 'not configured: AUTH_TOKEN'],
    ['without UI_CONNECTOR_URL', { AUTH_TOKEN }, 'not configured: UI_CONNECTOR_URL'],
    ['with a UI_CONNECTOR_URL that is not http(s)', { AUTH_TOKEN, UI_CONNECTOR_URL: 'ftp://connector.example' }, 'not configured: UI_CONNECTOR_URL'],
  ])('refuses to run %s, and sends nothing (even to an endpoint the caller names)', async (_what, context, message) => {
    const foreign = await recorder();
    cleanups.push(foreign.close);
    const original = console.error;
    console.error = () => undefined;
    try {
      const { error } = await invoke(context, { endpoint: `${foreign.url}/x`, token: 't', phone: PHONE, conversationName: CONVERSATION });
      expect(error?.message).toBe(message);
    } finally {
      console.error = original;
    }
    expect(foreign.requests).toEqual([]);
  });

  test('refuses missing parameters instead of sending "undefined", and sends nothing', async () => {
    app = await startUiConnector();
    const { error } = await invoke(serviceContext(PUBLIC_URL), { token: 'undefined', phone: PHONE });
    expect(error?.message).toBe('missing parameter(s): token, conversationName');
    expect(app.docs.dump('conversations')).toEqual({});
  });

  test('its signed registration is accepted by a ui-connector that refuses unsigned writes (the default)', async () => {
    const token = await issuedToken('twilio');
    // The ui-connector knows itself by its public URL; the Function is configured with the same URL.
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    app = await startUiConnector({ UI_CONNECTOR_PUBLIC_URL: publicUrl }, { port });
    const { error, response } = await invoke(serviceContext(publicUrl), { token, phone: PHONE, conversationName: CONVERSATION });
    expect(error).toBeNull();
    expect(response).toEqual({ [PHONE]: CONVERSATION });
    expect(Object.values(app.docs.dump('conversations'))).toEqual([expect.objectContaining({ conversationName: CONVERSATION })]);
  });

  test('an endpoint error goes to the Fail transition without leaking the number in logs', async () => {
    app = await startUiConnector();
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      const { error } = await invoke(serviceContext(app.url), { token: 'not-a-token', phone: PHONE, conversationName: CONVERSATION });
      expect(error?.message).toBe('conversation-name failed: HTTP 401');
    } finally {
      console.error = original;
    }
    expect(errors.join('\n')).not.toContain('4155550100');
  });

  test('a hanging endpoint is abandoned: the Function calls back though the endpoint never answers', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const hang = http.createServer(() => undefined);
    hang.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const { port } = hang.address() as AddressInfo;
    const original = console.error;
    console.error = () => undefined;
    try {
      // The server holds every request for ever: a callback at all means the 1.2 s budget gave up on it.
      const { error } = await invoke(
        { ...serviceContext(`http://127.0.0.1:${port}`), UI_CONNECTOR_BUDGET_MS: '1200' },
        { token: 't', phone: '+1', conversationName: CONVERSATION },
      );
      expect(error?.message).toBe('conversation-name unreachable');
    } finally {
      console.error = original;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });
});
