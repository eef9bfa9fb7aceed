/**
 * call-log on the local stack: conversation.registered reaches it through the real Pub/Sub
 * push (wrapped body, OIDC token of its own account), Twilio's signed status callback through
 * the gateway, the sweep with a Scheduler OIDC token, and the log lands once in the crm
 * function (mock mode), read back through the contract.
 */
import twilio from 'twilio';
import { localServiceAccounts } from '../../local/env';
import { type Stack, startStack } from '../../local/stack';
import { createCrmClient, parseCrmClientConfig } from '../../shared/crm/factory';
import { createLogger } from '../../shared/logging';
import { createPubSub } from '../../shared/google';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
}, 60_000);
afterAll(() => stack.stop());

/** Asks again until the probe has an answer; the test's own timeout bounds the wait (`what` names it in a debugger). */
async function until<T>(probe: () => Promise<T | undefined>, _what: string): Promise<T> {
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a registration pushed from conversation-events and a signed status callback make one call log in the crm mock', async () => {
  const callSid = 'CA0000000000000000000000000000c0de';
  const url = stack.functions['call-log']!;
  const crm = createCrmClient(parseCrmClientConfig(stack.env), { log: createLogger({ level: 'error', sink: () => undefined }) });

  const pubsub = createPubSub(stack.env['GCP_PROJECT']!);
  const now = new Date();
  await pubsub.topic(stack.env['CONVERSATION_EVENTS_TOPIC']!).publishMessage({
    json: {
      type: 'conversation.registered',
      version: 1,
      registrationId: 'r-1',
      conversationName: `projects/p/locations/global/conversations/${callSid}`,
      conversationIntegrationKey: '+14155550142',
      keyKind: 'phone',
      keyHash: 'h',
      registeredAt: now.toISOString(),
      expireAt: new Date(now.getTime() + 3600_000).toISOString(),
    },
  });
  await pubsub.close();

  const params = {
    CallSid: callSid,
    AccountSid: stack.credentials.twilioAccountSid,
    CallStatus: 'completed',
    CallDuration: '73',
    From: '+14155550142',
    To: '+14155550199',
    Direction: 'inbound',
  };
  const signature = twilio.getExpectedTwilioSignature(stack.credentials.twilioAuthToken, `${url}/twilio/status`, params);
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${url}/twilio/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(204);
  }

  const record = await until(async () => {
    const r = await crm.findRecord({ sessionId: callSid });
    return r?.notes?.includes(`conversations/${callSid}`) && r.durationSeconds === 73 ? r : undefined;
  }, 'the call log with its conversation name and duration');
  expect(record.status).toBe('closed');

  const sweep = await fetch(`${url}/sweep`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.oidc.mint(url, localServiceAccounts.callLogSweep)}` },
  });
  expect(sweep.status).toBe(200);
  const forged = await fetch(`${url}/sweep`, { method: 'POST', headers: { authorization: `Bearer ${stack.oidc.mint(url, localServiceAccounts.scheduler)}` } });
  expect(forged.status).toBe(403);
}, 60_000);
