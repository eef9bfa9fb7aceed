/**
 * ui-connector through the local stack: the real Functions Framework behind the one-port
 * gateway, the Firestore stand-in, the local Pub/Sub server and the Twilio and Dialogflow
 * mocks — the way the shipped Twilio Function (signed) and the Lightning component (agent
 * token) reach the deployed function, with the production defaults (unsigned writes refused).
 */
import type { Firestore } from '@google-cloud/firestore';
import type { Message, PubSub, Subscription } from '@google-cloud/pubsub';
import { createDialogflowRest } from '../../scripts/siprec/dialogflow-rest';
import { ensureSiprecNumber, resolveProfile, siprecUri } from '../../scripts/siprec/provision';
import { type Stack, startStack } from '../../local/stack';
import { createFirestore, createPubSub } from '../../shared/google';
import { roleToken, sha256Hex, signedRegistration, twilioSignature } from '../support/ui-connector-fixture';

const CONVERSATION = 'projects/ccbridge-local/locations/global/conversations/CA0123456789abcdef0123456789abcdef';
const PHONE = '+14155550100';

let stack: Stack;
let base: string;
let firestore: Firestore;
let pubsub: PubSub;
let subscription: Subscription;
const received: Message[] = [];

beforeAll(async () => {
  stack = await startStack({ functions: ['ui-connector'] });
  base = stack.functions['ui-connector']!;
  firestore = createFirestore(stack.env['GCP_PROJECT']!, '(default)');
  pubsub = createPubSub(stack.env['GCP_PROJECT']!);
  subscription = pubsub.subscription('conversation-events-inspect');
  subscription.on('message', (m: Message) => {
    received.push(m);
    m.ack();
  });
}, 60_000);
afterAll(async () => {
  await subscription.close();
  await pubsub.close();
  await firestore.terminate();
  await stack.stop();
});

/** Asks again until the probe has an answer; the test's own timeout bounds the wait (no wall-clock bound of its own to trip on a loaded machine). */
async function waitFor<T>(probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function token(): Promise<string> {
  const res = await fetch(`${base}/register-app`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ accountSid: stack.credentials.twilioAccountSid, authToken: stack.credentials.twilioAuthToken }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { token: string }).token;
}

/** What the shipped Twilio Function sends: JSON, signed with the account's token (bodySHA256 variant). */
const registerConversation = (tok: string, phone: string, name: string) => {
  const { url, init } = signedRegistration(base, stack.credentials.twilioAuthToken, tok, {
    conversationIntegrationKey: `${phone}`,
    conversationName: `${name}`,
  });
  return fetch(url, init);
};

/** An agent token, as /register issues it to the Lightning component. */
const agentToken = () => roleToken({ key: stack.credentials.uiConnectorJwtSecret, project: stack.env['GCP_PROJECT']!, role: 'agent' });

/** GET as the Lightning component (agent token); DELETE as Twilio (its token, the request signed). */
const lightning = async (method: 'GET' | 'DELETE', tok: string, key: string) => {
  const path = `/conversation-name?conversationIntegrationKey=${key}`;
  const headers: Record<string, string> =
    method === 'GET'
      ? { 'Content-Type': 'application/json', Authorization: await agentToken() }
      : { Authorization: tok, 'X-Twilio-Signature': twilioSignature(stack.credentials.twilioAuthToken, `${base}${path}`) };
  return fetch(`${base}${path}`, { method, headers });
};

const mappings = async () => (await firestore.collection('conversations').get()).docs;

describe('ui-connector on the local stack', () => {
  test('register-app checks the pair with the Twilio mock', async () => {
    await token();
    expect(stack.twilio.requests.at(-1)).toMatchObject({ method: 'GET', path: `/2010-04-01/Accounts/${stack.credentials.twilioAccountSid}.json` });
    const wrong = await fetch(`${base}/register-app`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ accountSid: stack.credentials.twilioAccountSid, authToken: '0'.repeat(32) }),
    });
    expect(wrong.status).toBe(401);
  });

  test('4xx requests write nothing: no document, no event', async () => {
    const tok = await token();
    // The reference's unsigned Twilio Function request is refused by default.
    const unsigned = await fetch(`${base}/conversation-name`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: tok },
      body: JSON.stringify({ conversationIntegrationKey: PHONE, conversationName: CONVERSATION }),
    });
    expect(unsigned.status).toBe(401);
    expect((await registerConversation(tok, 'undefined', 'undefined')).status).toBe(400);
    expect((await registerConversation('expired.or.wrong', PHONE, CONVERSATION)).status).toBe(401);
    expect((await registerConversation(tok, PHONE, 'projects/x/agents/y')).status).toBe(400);
    expect(await mappings()).toHaveLength(0);
    // A later success is the only event that arrives.
    expect((await registerConversation(tok, '+14155550199', CONVERSATION)).status).toBe(200);
    await waitFor(() => (received.length > 0 ? true : undefined));
    await new Promise((r) => setTimeout(r, 300));
    expect(received.map((m) => JSON.parse(m.data.toString()).conversationIntegrationKey)).toEqual(['+14155550199']);
    await lightning('DELETE', tok, '+14155550199');
    received.length = 0;
  });

  test('Twilio Function POST → Firestore mapping with expireAt and a conversation.registered event → Lightning GET/DELETE', async () => {
    const tok = await token();
    const res = await registerConversation(tok, PHONE, CONVERSATION);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ [PHONE]: CONVERSATION });

    const docs = await mappings();
    expect(docs).toHaveLength(1);
    const data = docs[0]!.data();
    expect(data['conversationName']).toBe(CONVERSATION);
    const ttlMs = data['expireAt'].toDate().getTime() - data['registeredAt'].toDate().getTime();
    expect(ttlMs).toBe(4 * 3600 * 1000);

    const message = await waitFor(() => received.find((m) => m.attributes['type'] === 'conversation.registered'));
    expect(JSON.parse(message.data.toString())).toMatchObject({
      type: 'conversation.registered',
      conversationName: CONVERSATION,
      conversationIntegrationKey: PHONE,
      keyHash: docs[0]!.id,
    });

    const got = await lightning('GET', tok, PHONE);
    expect(got.status).toBe(200);
    expect(await got.json()).toEqual({ conversationName: CONVERSATION });
    expect((await lightning('DELETE', tok, '(415)%20555-0100')).status).toBe(200);
    expect((await lightning('GET', tok, PHONE)).status).toBe(404);
    expect(await mappings()).toHaveLength(0);
  });

  test('a signed Studio JSON request through the gateway verifies against the public URL', async () => {
    const tok = await token();
    const text = JSON.stringify({ conversationIntegrationKey: '415-555-0111', conversationName: CONVERSATION });
    const pathWithQuery = `/conversation-name?bodySHA256=${sha256Hex(text)}`;
    const signature = twilioSignature(stack.credentials.twilioAuthToken, `${base}${pathWithQuery}`);
    const send = (sig: string) =>
      fetch(`${base}${pathWithQuery}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: tok, 'x-twilio-signature': sig },
        body: text,
      });
    expect((await send(signature.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')))).status).toBe(401);
    expect((await send(signature)).status).toBe(200);
    expect(await (await lightning('GET', tok, '%2B14155550111')).json()).toEqual({ conversationName: CONVERSATION });
    await lightning('DELETE', tok, '+14155550111');
  });

  test('two Studio calls for the same phone at once leave one consistent mapping', async () => {
    const tok = await token();
    const names = ['projects/ccbridge-local/conversations/CAaaaa', 'projects/ccbridge-local/conversations/CAbbbb'];
    const results = await Promise.all([registerConversation(tok, PHONE, names[0]!), registerConversation(tok, '14155550100', names[1]!)]);
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    const docs = await mappings();
    expect(docs).toHaveLength(1);
    const stored = docs[0]!.data();
    expect(names).toContain(stored['conversationName']);
    const events = await waitFor(() => {
      const regs = received.filter((m) => names.includes(JSON.parse(m.data.toString()).conversationName));
      return regs.length === 2 ? regs : undefined;
    });
    const winner = events.map((m) => JSON.parse(m.data.toString())).find((e) => e.registrationId === stored['registrationId']);
    expect(winner?.conversationName).toBe(stored['conversationName']);
    expect(await (await lightning('GET', tok, PHONE)).json()).toEqual({ conversationName: stored['conversationName'] });
    await lightning('DELETE', tok, PHONE);
  });

  test('SIPREC provisioning against the stack’s Dialogflow mock prints a usable URI', async () => {
    const api = createDialogflowRest({ endpoint: stack.emulators.dialogflow });
    const profile = resolveProfile(stack.dialogflow.defaultProfile, {});
    const result = await ensureSiprecNumber(api, { profile, waitMs: 5000, pollMs: 10 });
    expect(result.status).toBe('ready');
    const number = stack.dialogflow.phoneNumbers().find((n) => n.conversationProfile === profile.name);
    expect(result).toMatchObject({ siprecUri: siprecUri(number!.phoneNumber) });
  });
});
