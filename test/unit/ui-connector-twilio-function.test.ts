/**
 * The shipped Twilio Function source, run as Twilio runs it (context, event, callback),
 * against ui-connector on the Functions Framework.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { ACCOUNT_SID, AUTH_TOKEN, startUiConnector, type UiConnectorUnderTest } from '../support/ui-connector-fixture';

const requireCjs = createRequire(import.meta.url);
const twilioFunction = requireCjs('../../twilio/functions/conversation-name.js') as typeof import('../../twilio/functions/conversation-name');

const CONVERSATION = 'projects/ccbridge-test/locations/global/conversations/CA0123456789abcdef0123456789abcdef';

function invoke(context: Record<string, string>, event: Record<string, unknown>): Promise<{ error: Error | null; response: unknown; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    void twilioFunction.handler(context, event, (error, response) => resolve({ error, response, ms: Date.now() - started }));
  });
}

let app: UiConnectorUnderTest;
afterEach(() => app?.stop());

async function tokenFor(target: UiConnectorUnderTest): Promise<string> {
  const res = await fetch(`${target.url}/register-app`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }) });
  return ((await res.json()) as { token: string }).token;
}

describe('Twilio Function conversation-name.js', () => {
  test('refuses missing parameters instead of sending "undefined", and sends nothing', async () => {
    app = await startUiConnector();
    const { error } = await invoke({}, { endpoint: `${app.url}/conversation-name`, token: 'undefined', phone: '+14155550100' });
    expect(error?.message).toBe('missing parameter(s): token, conversationName');
    expect(app.docs.dump('conversations')).toEqual({});
  });

  test('registers with the raw token, signed when the service has its credentials — accepted even when the endpoint requires signatures', async () => {
    app = await startUiConnector({ UI_CONNECTOR_UNSIGNED_REQUESTS: 'reads-only' });
    const signedRegister = await fetch(`${app.url}/register-app`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(signedRegister.status).toBe(403);
    // register-app itself is Studio's (signed) job; here the token comes from an accept-all twin with the same key.
    const twin = await startUiConnector();
    const token = await tokenFor(twin);
    await twin.stop();
    const { error, response } = await invoke({ AUTH_TOKEN }, { endpoint: `${app.url}/conversation-name`, token, phone: '+14155550100', conversationName: CONVERSATION });
    expect(error).toBeNull();
    expect(response).toEqual({ '+14155550100': CONVERSATION });
    expect(Object.values(app.docs.dump('conversations'))).toEqual([expect.objectContaining({ conversationName: CONVERSATION })]);
  });

  test('an endpoint error goes to the Fail transition without leaking the number in logs', async () => {
    app = await startUiConnector();
    const errors: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(' '));
    try {
      const { error } = await invoke({}, { endpoint: `${app.url}/conversation-name`, token: 'not-a-token', phone: '+14155550100', conversationName: CONVERSATION });
      expect(error?.message).toBe('conversation-name failed: HTTP 401');
    } finally {
      console.error = original;
    }
    expect(errors.join('\n')).not.toContain('4155550100');
  });

  test('a hanging endpoint is abandoned within the time budget', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const hang = http.createServer(() => undefined);
    hang.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', () => r()));
    const { port } = hang.address() as AddressInfo;
    const original = console.error;
    console.error = () => undefined;
    try {
      const { error, ms } = await invoke({ UI_CONNECTOR_BUDGET_MS: '1200' }, { endpoint: `http://127.0.0.1:${port}/conversation-name`, token: 't', phone: '+1', conversationName: CONVERSATION });
      expect(error?.message).toBe('conversation-name unreachable');
      expect(ms).toBeLessThan(2000);
    } finally {
      console.error = original;
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => hang.close(() => r()));
    }
  });
});
