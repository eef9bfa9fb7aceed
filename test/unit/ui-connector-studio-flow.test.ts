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

/** Renders the flow's few Liquid constructs as Studio would for one call (enough for this flow's templates). */
function render(template: string, vars: Record<string, string>): string {
  const value = (expr: string) => {
    const [path, ...filters] = expr.split('|').map((x) => x.trim());
    let v = vars[path!] ?? '';
    for (const f of filters) {
      const m = /^remove:\s*'([^']*)'$/.exec(f);
      if (!m) throw new Error(`filter not rendered here: ${f}`);
      v = v.split(m[1]!).join('');
    }
    return v;
  };
  const out = template.replace(
    /\{%\s*if\s+([\w.]+)\s*==\s*'([^']*)'\s*%\}(.*?)\{%\s*else\s*%\}(.*?)\{%\s*endif\s*%\}/g,
    (_m, left: string, right: string, yes: string, no: string) => (vars[left] === right ? yes : no),
  );
  return out.replace(/\{\{(.*?)\}\}/g, (_m, expr: string) => value(expr));
}

const CALL = {
  'trigger.call.CallSid': 'CA0123456789abcdef0123456789abcdef',
  'trigger.call.From': '+14155550100',
  'trigger.call.AccountSid': 'AC0123456789abcdef0123456789abcdef',
};
const variablesOf = (name: string) =>
  Object.fromEntries((state(name).properties['variables'] as Array<{ key: string; value: string }>).map((v) => [v.key, v.value]));

describe('Studio flow agent-assist-flow.json', () => {
  test(
    'every transition points at a state; the call path is set_parameters → set_conversation_id → fork_stream → ' +
      'register_twilio → conversation_name → SendCallToAgent',
    () => {
      const names = new Set(flow.states.map((s) => s.name));
      for (const s of flow.states) for (const t of s.transitions) if (t.next) expect(names).toContain(t.next);
      expect(next(flow.initial_state, 'incomingCall')).toBe('set_parameters');
      expect(next('set_parameters', 'next')).toBe('set_conversation_id');
      expect(next('set_conversation_id', 'next')).toBe('fork_stream');
      expect(next('fork_stream', 'next')).toBe('register_twilio');
      expect(next('register_twilio', 'success')).toBe('conversation_name');
      expect(next('conversation_name', 'success')).toBe('SendCallToAgent');
      // A failure never strands the caller: the call still reaches an agent.
      expect(next('register_twilio', 'failed')).toBe('SendCallToAgent');
      expect(next('conversation_name', 'fail')).toBe('SendCallToAgent');
      expect(state('SendCallToAgent').type).toBe('send-to-flex');
    },
  );

  test(
    'every path from the incoming call to the agent passes the SIPREC fork (Agent Assist creates the ' +
      'conversation on the fly; the fork does not wait for registration)',
    () => {
      const paths: string[][] = [];
      const walk = (name: string, path: string[]) => {
        if (path.includes(name)) throw new Error(`loop at ${name}`);
        const here = [...path, name];
        if (name === 'SendCallToAgent') return void paths.push(here);
        const targets = state(name)
          .transitions.map((t) => t.next)
          .filter((n): n is string => n !== undefined);
        for (const t of new Set(targets)) walk(t, here);
      };
      walk(next(flow.initial_state, 'incomingCall')!, []);
      expect(paths.length).toBeGreaterThanOrEqual(2);
      for (const p of paths) expect(p).toContain('fork_stream');
    },
  );

  test('the auth token is nowhere in the flow: register-app is called signed by Studio, with the account SID only', () => {
    const text = JSON.stringify(flow);
    expect(text).not.toMatch(/auth_?token/i);
    expect(state('register_twilio').properties['url']).toBe('{{flow.variables.ui_connector_url}}/register-app');
    expect(state('register_twilio').properties['content_type']).toMatch(/^application\/json/);
    expect(JSON.parse(state('register_twilio').properties['body'] as string)).toEqual({ accountSid: '{{trigger.call.AccountSid}}' });
    expect(state('register_twilio').properties['add_twilio_auth']).toBe(false);
  });

  test('the Run Function widget passes token, phone and name — no endpoint (the Function posts only to its configured URL)', () => {
    const params = Object.fromEntries(
      (state('conversation_name').properties['parameters'] as Array<{ key: string; value: string }>).map((p) => [p.key, p.value]),
    );
    expect(Object.keys(params).sort()).toEqual(['conversationName', 'phone', 'token']);
    expect(params).toMatchObject({ token: '{{widgets.register_twilio.parsed.token}}', phone: '{{trigger.call.From}}' });
  });

  test('Fork Stream widget keys as exported by Studio (stream_connector, pinned from a flow validated by Twilio), the same name as registered', () => {
    const fork = state('fork_stream').properties;
    expect(fork).toMatchObject({
      stream_action: 'start',
      stream_transport_type: 'siprec',
      stream_track: 'both_tracks',
      stream_connector: '{{flow.variables.siprec_connector}}',
    });
    expect(fork).not.toHaveProperty('stream_connector_name');
    const registered = (state('conversation_name').properties['parameters'] as Array<{ key: string; value: string }>).find(
      (p) => p.key === 'conversationName',
    )!.value;
    expect(fork['stream_parameters']).toEqual([{ key: 'conversation', value: registered }]);
  });

  test.each([
    ['callsid', 'CA0123456789abcdef0123456789abcdef'],
    ['phone-callsid', 'TW-14155550100-CA0123456789abcdef0123456789abcdef'],
  ])('conversation naming %s renders an id Dialogflow and the ui-connector accept', (naming, id) => {
    const params = { ...variablesOf('set_parameters'), conversation_naming: naming };
    const vars: Record<string, string> = { ...CALL, ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`flow.variables.${k}`, v])) };
    vars['flow.variables.gcp_project'] = 'my-project';
    vars['flow.variables.conversation_id'] = render(variablesOf('set_conversation_id')['conversation_id']!, vars);
    expect(vars['flow.variables.conversation_id']).toBe(id);
    const name = render((state('fork_stream').properties['stream_parameters'] as Array<{ value: string }>)[0]!.value, vars);
    expect(name).toBe(`projects/my-project/locations/global/conversations/${id}`);
    expect(name).toMatch(CONVERSATION_NAME);
  });

  test('set_parameters holds every value to edit after import, and the naming defaults to the CallSid', () => {
    expect(variablesOf('set_parameters')).toMatchObject({
      gcp_location: 'global',
      conversation_naming: 'callsid',
      siprec_connector: expect.any(String),
      ui_connector_url: expect.any(String),
      gcp_project: expect.any(String),
    });
  });
});
