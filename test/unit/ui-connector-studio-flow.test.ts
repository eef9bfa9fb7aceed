/** The importable Studio flow: wiring, parameters and the SIPREC fork as issue 3 describes them. */
import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { CONVERSATION_NAME } from '../../functions/ui-connector/inputs';

const stateSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  transitions: z.array(z.looseObject({ event: z.string(), next: z.string().optional() })).default([]),
  properties: z.record(z.string(), z.unknown()),
});
const flowSchema = z.looseObject({ initial_state: z.string(), states: z.array(stateSchema), flags: z.looseObject({}).optional() });
const flow = flowSchema.parse(JSON.parse(readFileSync(new URL('../../twilio/studio/agent-assist-flow.json', import.meta.url), 'utf8')));
const state = (name: string) => {
  const s = flow.states.find((x) => x.name === name);
  if (!s) throw new Error(`no state ${name}`);
  return s;
};
const next = (name: string, event: string) => state(name).transitions.find((t) => t.event === event)?.next;

describe('Studio flow agent-assist-flow.json', () => {
  test('every transition points at a state, and the call path is register_twilio → conversation_name → fork_stream → SendCallToAgent', () => {
    const names = new Set(flow.states.map((s) => s.name));
    for (const s of flow.states) for (const t of s.transitions) if (t.next) expect(names).toContain(t.next);
    expect(next(flow.initial_state, 'incomingCall')).toBe('set_parameters');
    expect(next('set_parameters', 'next')).toBe('register_twilio');
    expect(next('register_twilio', 'success')).toBe('conversation_name');
    expect(next('conversation_name', 'success')).toBe('fork_stream');
    expect(next('fork_stream', 'next')).toBe('SendCallToAgent');
    // A failure never strands the caller: the call still reaches an agent.
    expect(next('register_twilio', 'failed')).toBe('SendCallToAgent');
    expect(next('conversation_name', 'fail')).toBe('SendCallToAgent');
    expect(state('SendCallToAgent').type).toBe('send-to-flex');
  });

  test('service URL, project and connector name are parameters (set_parameters), used by every widget', () => {
    const keys = (state('set_parameters').properties['variables'] as Array<{ key: string }>).map((v) => v.key);
    expect(keys).toEqual(expect.arrayContaining(['ui_connector_url', 'gcp_project', 'siprec_connector']));
    expect(state('register_twilio').properties['url']).toBe('{{flow.variables.ui_connector_url}}/register-app');
    expect(JSON.parse(state('register_twilio').properties['body'] as string)).toEqual({ accountSid: '{{trigger.call.AccountSid}}', authToken: '{{flow.variables.twilio_auth_token}}' });
  });

  test('the Run Function widget passes what the Twilio Function needs, and the same conversation name as the fork', () => {
    const params = Object.fromEntries((state('conversation_name').properties['parameters'] as Array<{ key: string; value: string }>).map((p) => [p.key, p.value]));
    expect(params).toEqual({
      endpoint: '{{flow.variables.ui_connector_url}}/conversation-name',
      token: '{{widgets.register_twilio.parsed.token}}',
      phone: '{{trigger.call.From}}',
      conversationName: expect.any(String),
    });
    const fork = state('fork_stream').properties;
    expect(fork).toMatchObject({ stream_action: 'start', stream_transport_type: 'siprec', stream_track: 'both_tracks', stream_connector: '{{flow.variables.siprec_connector}}' });
    const streamParams = fork['stream_parameters'] as Array<{ key: string; value: string }>;
    expect(streamParams).toEqual([{ key: 'conversation', value: params['conversationName'] }]);
    // Once Studio fills the template in, the name is one the ui-connector accepts.
    const rendered = params['conversationName']!.replace('{{flow.variables.gcp_project}}', 'my-project').replace('{{flow.variables.gcp_location}}', 'global').replace('{{trigger.call.CallSid}}', 'CA0123456789abcdef0123456789abcdef');
    expect(rendered).toMatch(CONVERSATION_NAME);
  });
});
