/**
 * The whole Agent Assist call on the local stack, with real clients and no other service:
 * Studio's signed register-app, the Dialogflow conversation Agent Assist creates (its
 * lifecycle event published before any agent listens), the shipped Twilio Function (signed)
 * registering the caller, then the Lightning component's exact sequence — Salesforce
 * client-credentials token → POST /register → polling conversation-name with an unencoded
 * "+" → GET /v2/<conversation> — and the UI modules' socket (official socket.io-client) on
 * the ui-connector URL. analyzeContent on the Dialogflow stand-in publishes to the local
 * topics, Pub/Sub pushes to the consumer, the suggestion reaches the socket; a second
 * instance of the socket server gets the events for its own socket.
 */
import { createRequire } from 'node:module';
import { io as connect, type Socket } from 'socket.io-client';
import { type SocketInstance, startSocketInstance } from '../../local/agent-assist';
import { type Stack, startStack } from '../../local/stack';
import type { TwilioFunctionModule } from '../support/twilio-function';
import { sha256Hex, twilioSignature } from '../support/ui-connector-fixture';

const requireCjs = createRequire(import.meta.url);
const twilioFunction = requireCjs('../../twilio/functions/conversation-name.protected.js') as TwilioFunctionModule;

const PROJECT = 'ccbridge-local';
const PHONE = '+14155550123';
const CALL_SID = 'CAe2e0123456789abcdef0123456789ab';
const CONVERSATION = `projects/${PROJECT}/locations/global/conversations/${CALL_SID}`;
const ROOM = `projects/${PROJECT}/conversations/${CALL_SID}`;

let stack: Stack;
let base: string;
let second: SocketInstance;
const sockets: Socket[] = [];

beforeAll(async () => {
  stack = await startStack({ functions: ['ui-connector'], pushBackoff: { min: 0.1, max: 1 } });
  base = stack.functions['ui-connector']!;
  second = await startSocketInstance(stack.env);
}, 60_000);
afterAll(async () => {
  for (const s of sockets) s.disconnect();
  await second.stop();
  await stack.stop();
});

const dialogflow = (method: string, path: string, body?: unknown) =>
  fetch(`${stack.emulators.dialogflow}/v2beta1/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

function socketTo(url: string, token: unknown): Socket {
  // What the UI modules do with notifier-server-endpoint = the component's endpoint.
  const s = connect(url, { auth: { token } as Record<string, unknown>, transports: ['websocket', 'polling'], reconnection: false, forceNew: true });
  sockets.push(s);
  return s;
}
const connected = (s: Socket) =>
  new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', reject);
  });
const joined = (s: Socket, name: string) =>
  new Promise<[boolean, string]>((resolve, reject) =>
    s.timeout(5000).emit('join-conversation', name, (err: Error | null, ok: boolean, room: string) => (err ? reject(err) : resolve([ok, room]))),
  );
const events = (s: Socket) => {
  const got: Array<{ event: string; payload: Record<string, unknown> }> = [];
  s.onAny((event: string, payload: Record<string, unknown>) => got.push({ event, payload }));
  return got;
};
/** Looks again until the probe has an answer; the test's own timeout bounds the wait (`what` names it in a debugger). */
async function until<T>(probe: () => T | undefined, _what: string): Promise<T> {
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a call from Studio to a live suggestion in the agent desktop, with ccbridge alone', async () => {
  // 1. Studio: register-app, signed (JSON variant).
  const registerBody = JSON.stringify({ accountSid: stack.credentials.twilioAccountSid, authToken: stack.credentials.twilioAuthToken });
  const registerPath = `/register-app?bodySHA256=${sha256Hex(registerBody)}`;
  const studio = await fetch(`${base}${registerPath}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-twilio-signature': twilioSignature(stack.credentials.twilioAuthToken, `${base}${registerPath}`) },
    body: registerBody,
  });
  expect(studio.status).toBe(200);
  const twilioToken = ((await studio.json()) as { token: string }).token;

  // 2. Agent Assist creates the conversation (SIPREC): its lifecycle event is published now, before any agent joins.
  expect(
    (
      await dialogflow('POST', `projects/${PROJECT}/locations/global/conversations?conversationId=${CALL_SID}`, {
        conversationProfile: stack.dialogflow.defaultProfile,
      })
    ).status,
  ).toBe(200);
  const customer = (await (await dialogflow('POST', `${CONVERSATION}/participants`, { role: 'END_USER' })).json()) as { name: string };
  await dialogflow('POST', `${CONVERSATION}/participants`, { role: 'HUMAN_AGENT' });

  // 3. The Lightning component: Salesforce token (GET with query, as it does), /register.
  const sfTokenQuery = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: stack.credentials.salesforceConsumerKey,
    client_secret: stack.credentials.salesforceConsumerSecret,
  });
  const sfToken = await fetch(`${stack.emulators.salesforce}/services/oauth2/token?${sfTokenQuery}`);
  const accessToken = ((await sfToken.json()) as { access_token: string }).access_token;
  const registered = await fetch(`${base}/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
  });
  expect(registered.status).toBe(200);
  const agentToken = ((await registered.json()) as { token: string }).token;

  // Its first poll comes before the Twilio Function ran: no conversationName = not yet.
  const poll = () =>
    fetch(`${base}/conversation-name?conversationIntegrationKey=${PHONE}`, { headers: { 'Content-Type': 'application/json', Authorization: agentToken } });
  expect(((await (await poll()).json()) as { conversationName?: string }).conversationName).toBeUndefined();

  // 4. The shipped Twilio Function, signed with the account's auth token.
  const fn = await new Promise<{ error: Error | null; response: unknown }>((resolve) => {
    void twilioFunction.handler(
      { AUTH_TOKEN: stack.credentials.twilioAuthToken, UI_CONNECTOR_URL: base },
      { token: twilioToken, phone: PHONE, conversationName: CONVERSATION },
      (error, response) => resolve({ error, response: response ?? null }),
    );
  });
  expect(fn.error).toBeNull();

  // 5. The component's next poll (the "+" arrives as a space) and its read through the proxy.
  const name = ((await (await poll()).json()) as { conversationName: string }).conversationName;
  expect(name).toBe(CONVERSATION);
  const conversation = await fetch(`${base}/v2/${name}`, { headers: { 'Content-Type': 'application/json', Authorization: agentToken } });
  expect(conversation.status).toBe(200);
  expect(await conversation.json()).toMatchObject({ name: CONVERSATION, lifecycleState: 'IN_PROGRESS' });

  // 6. The UI modules' socket on the endpoint URL (namespace /ui-connector on the gateway).
  const agent = socketTo(base, agentToken);
  const seen = events(agent);
  await connected(agent);
  expect(await joined(agent, CONVERSATION)).toEqual([true, ROOM]);
  // The lifecycle event published before the join arrives after it.
  const started = await until(() => seen.find((e) => e.event === 'conversation-lifecycle-event'), 'the CONVERSATION_STARTED published before the join');
  expect(JSON.parse(started.payload['data'] as string)).toMatchObject({ conversation: CONVERSATION, type: 'CONVERSATION_STARTED' });
  expect(started.payload['conversation_name']).toBe(ROOM);

  // A second instance of the socket server, holding its own socket for the same conversation.
  const supervisor = socketTo(second.url, agentToken);
  const supervisorSeen = events(supervisor);
  await connected(supervisor);
  expect(await joined(supervisor, CONVERSATION)).toEqual([true, ROOM]);

  // 7. The customer speaks: analyzeContent → suggestion and new message on both sockets.
  expect(
    (await dialogflow('POST', `${customer.name}:analyzeContent`, { textInput: { text: 'I was charged twice this month', languageCode: 'en-US' } })).status,
  ).toBe(200);
  for (const got of [seen, supervisorSeen]) {
    const suggestion = await until(() => got.find((e) => e.event === 'human-agent-assistant-event'), 'the suggestion');
    expect(suggestion.payload).toMatchObject({ conversation_name: ROOM, data_type: 'human-agent-assistant-event' });
    expect(JSON.parse(suggestion.payload['data'] as string).suggestionResults[0].suggestSmartRepliesResponse.smartReplyAnswers[0].reply).toContain(
      'charged twice',
    );
    const message = await until(() => got.find((e) => e.event === 'new-message-event'), 'the new message');
    expect(JSON.parse(message.payload['data'] as string).newMessagePayload.content).toBe('I was charged twice this month');
  }
  // Each event once per socket.
  const ids = seen.map((e) => `${e.event}:${e.payload['message_id']}`);
  expect(new Set(ids).size).toBe(ids.length);

  // 8. A bad token is refused at the handshake; a proxy call for another project is 403.
  const intruder = socketTo(base, `${agentToken.slice(0, -4)}AAAA`);
  await expect(connected(intruder)).rejects.toThrow(/signature/);
  const foreign = await fetch(`${base}/v2/projects/someone-else/locations/global/conversations/${CALL_SID}`, { headers: { Authorization: agentToken } });
  expect(foreign.status).toBe(403);
}, 40_000);
