/**
 * The live-suggestion socket as the UI modules use it, with the official socket.io-client:
 * handshake `auth: {token}`, join-conversation with the reference's acknowledgement, the
 * four server events with the reference's payload fields. Two ui-connector instances share
 * one document store (the notification log), as Cloud Run instances share Firestore: a
 * notification pushed to one reaches sockets held by the other.
 */
import { io as connect, type Socket } from 'socket.io-client';
import { createMemoryDocStore, type MemoryDocStore } from '../support/doubles/memory-docstore';
import { type AgentAssistUnderTest, startAgentAssist } from '../support/agent-assist-fixture';
import { issuedToken, PROJECT } from '../support/ui-connector-fixture';

const CONVERSATION = `projects/${PROJECT}/locations/global/conversations/CA-socket-1`;
const ROOM = `projects/${PROJECT}/conversations/CA-socket-1`;
const clock = { now: new Date('2026-11-21T10:00:00Z') };

let docs: MemoryDocStore;
let a: AgentAssistUnderTest;
let b: AgentAssistUnderTest;
const sockets: Socket[] = [];
beforeEach(async () => {
  docs = createMemoryDocStore(() => clock.now);
  a = await startAgentAssist({ docs, env: { UI_CONNECTOR_EVENT_POLL_MS: '20' } });
  b = await startAgentAssist({ docs, env: { UI_CONNECTOR_EVENT_POLL_MS: '20' } });
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect();
  await a.stop();
  await b.stop();
});

function open(url: string, auth: unknown, transports: Array<'websocket' | 'polling'> = ['websocket']): Socket {
  const socket = connect(url, { auth: auth as Record<string, unknown>, transports, reconnection: false, forceNew: true });
  sockets.push(socket);
  return socket;
}
const connected = (s: Socket) =>
  new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('connect_error', (err) => reject(err));
  });
const refused = (s: Socket) =>
  new Promise<Error>((resolve, reject) => {
    s.once('connect', () => reject(new Error('connected')));
    s.once('connect_error', (err) => resolve(err));
  });
/** The acknowledgement's arguments, as the UI modules' callback receives them. */
const ack = (s: Socket, event: string, name: unknown) =>
  new Promise<[boolean, string]>((resolve, reject) => {
    s.timeout(5000).emit(event, name, (err: Error | null, ok: boolean, room: string) => (err ? reject(err) : resolve([ok, room])));
  });
const join = (s: Socket, name: unknown) => ack(s, 'join-conversation', name);
function collect(s: Socket, event: string): Array<Record<string, unknown>> {
  const got: Array<Record<string, unknown>> = [];
  s.on(event, (payload: Record<string, unknown>) => got.push(payload));
  return got;
}
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

let nextId = 1;
function push(
  target: AgentAssistUnderTest,
  type: string,
  event: Record<string, unknown>,
  options: { publishTime?: string; messageId?: string; attributes?: Record<string, string> } = {},
) {
  const messageId = options.messageId ?? String(1000 + nextId++);
  return fetch(`${target.url}/notifications/${type}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: {
        data: Buffer.from(JSON.stringify(event)).toString('base64'),
        messageId,
        publishTime: options.publishTime ?? clock.now.toISOString(),
        ...(options.attributes ? { attributes: options.attributes } : {}),
      },
      subscription: `projects/${PROJECT}/subscriptions/aa-suggestions-push`,
    }),
  });
}

describe('handshake', () => {
  it('accepts the /register token in auth and acknowledges join-conversation with (true, name without location)', async () => {
    const s = open(a.url, { token: await a.agentToken() });
    await connected(s);
    expect(await join(s, CONVERSATION)).toEqual([true, ROOM]);
    expect(await ack(s, 'leave-conversation', CONVERSATION)).toEqual([true, ROOM]);
  });

  it('works over long-polling too (the fallback transport)', async () => {
    const s = open(a.url, { token: await a.agentToken() }, ['polling']);
    await connected(s);
    expect(await join(s, CONVERSATION)).toEqual([true, ROOM]);
  });

  it.each([
    ['no auth', undefined],
    ['an empty token', { token: '' }],
    ['a token that is not a string', { token: 42 }],
    ['a forged token', { token: 'eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTl9.c2lnbmF0dXJl' }],
  ])('refuses %s with connect_error and tells no other client', async (_what, auth) => {
    const bystander = open(a.url, { token: await a.agentToken() });
    await connected(bystander);
    const noise = collect(bystander, 'unauthenticated');
    const err = await refused(open(a.url, auth));
    expect(err.message.length).toBeGreaterThan(0);
    expect(noise).toEqual([]);
    expect(a.socket.connectedCount()).toBe(1);
  });

  it('refuses a register-app (twilio role) token: Studio has no business on the agent socket', async () => {
    expect((await refused(open(a.url, { token: await issuedToken('twilio') }))).message).toBe('This token may not open the notification socket.');
  });

  it('refuses an expired token and a token of another service (other signing key)', async () => {
    const token = await a.agentToken();
    a.clock.now = new Date(a.clock.now.getTime() + 2 * 3600_000);
    expect((await refused(open(a.url, { token }))).message).toBe('Your token has expired.');
    const other = await startAgentAssist({ env: { UI_CONNECTOR_JWT_SECRET: 'another-services-signing-key-0123456789abcdef' } });
    try {
      expect((await refused(open(b.url, { token: await other.agentToken() }))).message).toBe('The signature of your token is invalid.');
    } finally {
      await other.stop();
    }
  });

  it('closes a joined connection when its token expires, telling the client why, and stops delivering to it', async () => {
    const s = open(a.url, { token: await a.agentToken() });
    await connected(s);
    await join(s, CONVERSATION);
    const told = collect(s, 'token-expired');
    const got = collect(s, 'human-agent-assistant-event');
    const closed = new Promise<string>((resolve) => s.on('disconnect', (reason) => resolve(reason)));
    a.clock.now = new Date(a.clock.now.getTime() + 2 * 3600_000);
    await push(a, 'human-agent-assistant-event', { conversation: CONVERSATION, suggestionResults: [] });
    await a.socket.pollOnce();
    expect(await closed).toBe('io server disconnect');
    expect(told).toEqual([{ message: 'Your token has expired.' }]);
    expect(got).toEqual([]);
    expect(a.socket.connectedCount()).toBe(0);
  });

  it.each([
    ['a number', 42],
    ['an object', { conversation: CONVERSATION }],
    ['a name of another project', 'projects/elsewhere/locations/global/conversations/c1'],
    ['a path trick', `projects/${PROJECT}/conversations/../../x`],
  ])('answers join-conversation with %s with (false, reason)', async (_what, name) => {
    const s = open(a.url, { token: await a.agentToken() });
    await connected(s);
    const [ok, reason] = await join(s, name);
    expect(ok).toBe(false);
    expect(reason.length).toBeGreaterThan(0);
  });
});

describe('notifications to sockets', () => {
  it('delivers a suggestion pushed to one instance to the joined socket on another, with the reference payload (data a JSON string)', async () => {
    const s = open(b.url, { token: await b.agentToken() });
    await connected(s);
    await join(s, CONVERSATION);
    const other = open(b.url, { token: await b.agentToken() });
    await connected(other);
    await join(other, `projects/${PROJECT}/locations/global/conversations/someone-else`);
    const got = collect(s, 'human-agent-assistant-event');
    const elsewhere = collect(other, 'human-agent-assistant-event');
    const event = { conversation: CONVERSATION, participant: `${CONVERSATION}/participants/agent`, suggestionResults: [{ suggestSmartRepliesResponse: {} }] };
    const res = await push(a, 'human-agent-assistant-event', event, { messageId: 'm-1' });
    expect(res.status).toBe(204);
    await until(() => got.length === 1, 'the suggestion');
    expect(got[0]).toEqual({
      conversation_name: ROOM,
      data: JSON.stringify(event),
      data_type: 'human-agent-assistant-event',
      ack_time: '2026-11-21T10:00:00Z',
      publish_time: clock.now.toISOString(),
      message_id: 'm-1',
    });
    expect(elsewhere).toEqual([]);
  });

  it('delivers what arrived before the join after the join, in publish order, each once (redelivery included)', async () => {
    const earlier = new Date(clock.now.getTime() - 60_000).toISOString();
    const later = new Date(clock.now.getTime() - 30_000).toISOString();
    // Pushed out of order, the second one twice (Pub/Sub is at-least-once).
    expect(
      (await push(a, 'new-message-event', { conversation: CONVERSATION, type: 'NEW_MESSAGE', n: 2 }, { publishTime: later, messageId: 'late' })).status,
    ).toBe(204);
    expect(
      (await push(a, 'new-message-event', { conversation: CONVERSATION, type: 'NEW_MESSAGE', n: 1 }, { publishTime: earlier, messageId: 'early' })).status,
    ).toBe(204);
    expect(
      (await push(b, 'new-message-event', { conversation: CONVERSATION, type: 'NEW_MESSAGE', n: 2 }, { publishTime: later, messageId: 'late' })).status,
    ).toBe(204);
    expect(docs.dump('agentAssistEvents')).toBeDefined();
    expect(Object.keys(docs.dump('agentAssistEvents'))).toHaveLength(2);
    const s = open(b.url, { token: await b.agentToken() });
    await connected(s);
    const got = collect(s, 'new-message-event');
    await join(s, CONVERSATION);
    await until(() => got.length >= 2, 'the missed messages');
    // Several polls later, still each once.
    for (let i = 0; i < 5; i++) await b.socket.pollOnce();
    expect(got.map((p) => p['message_id'])).toEqual(['early', 'late']);
  });

  it('sends recognition results with participant_role and new_recognition_result_message_id from the attributes', async () => {
    const s = open(a.url, { token: await a.agentToken() });
    await connected(s);
    await join(s, CONVERSATION);
    const got = collect(s, 'new-recognition-result-notification-event');
    await push(
      a,
      'new-recognition-result-notification-event',
      { conversation: CONVERSATION, type: 'NEW_RECOGNITION_RESULT' },
      { attributes: { participant_role: 'END_USER', message_id: 'msg-7' } },
    );
    await until(() => got.length === 1, 'the recognition result');
    expect(got[0]).toMatchObject({
      data_type: 'new-recognition-result-notification-event',
      participant_role: 'END_USER',
      new_recognition_result_message_id: 'msg-7',
      conversation_name: ROOM,
    });
  });

  it('stops delivering after leave-conversation', async () => {
    const s = open(a.url, { token: await a.agentToken() });
    await connected(s);
    await join(s, CONVERSATION);
    const got = collect(s, 'conversation-lifecycle-event');
    await ack(s, 'leave-conversation', CONVERSATION);
    await push(a, 'conversation-lifecycle-event', { conversation: CONVERSATION, type: 'CONVERSATION_FINISHED' });
    for (let i = 0; i < 3; i++) await a.socket.pollOnce();
    expect(got).toEqual([]);
  });
});

describe('notification consumer (Pub/Sub push)', () => {
  it.each([
    ['data without a conversation', { message: { data: Buffer.from('{"type":"X"}').toString('base64'), messageId: '1', publishTime: '2026-11-21T10:00:00Z' } }],
    ['data that is not JSON', { message: { data: Buffer.from('hello').toString('base64'), messageId: '2', publishTime: '2026-11-21T10:00:00Z' } }],
    ['no publish time', { message: { data: Buffer.from(JSON.stringify({ conversation: CONVERSATION })).toString('base64'), messageId: '3' } }],
  ])('acknowledges %s (204) and writes nothing', async (_what, body) => {
    const res = await fetch(`${a.url}/notifications/new-message-event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(204);
    expect(docs.dump('agentAssistEvents')).toEqual({});
  });

  it.each([
    ['not a push envelope', { conversation: CONVERSATION }, 'new-message-event', 400],
    ['an unknown type', { message: {} }, 'other-event', 404],
  ])('refuses %s and writes nothing', async (_what, body, type, status) => {
    const res = await fetch(`${a.url}/notifications/${type}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { message: string }).message.length).toBeGreaterThan(0);
    expect(docs.dump('agentAssistEvents')).toEqual({});
  });

  it('is not served by the public deployment (UI_CONNECTOR_NOTIFICATIONS=off)', async () => {
    const pub = await startAgentAssist({ docs, env: { UI_CONNECTOR_NOTIFICATIONS: 'off' } });
    try {
      expect((await push(pub, 'new-message-event', { conversation: CONVERSATION })).status).toBe(404);
      expect(docs.dump('agentAssistEvents')).toEqual({});
    } finally {
      await pub.stop();
    }
  });
});
