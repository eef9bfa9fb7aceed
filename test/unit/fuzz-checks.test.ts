/**
 * The fuzz run's verdicts, on literal evidence: each check must catch what it is for, or a
 * green fuzz run would prove nothing.
 */
import { markerOf, type Step, type StepResult } from '../../scripts/fuzz/case';
import { type CaseRecord, checkAnswer, checkLogs, checkStores, errorBodyProblem } from '../../scripts/fuzz/checks';
import { type FuzzOptionsError, parseFuzzArgs } from '../../scripts/fuzz/options';
import { createRng } from '../../scripts/fuzz/rng';
import { configuredSecrets } from '../../scripts/fuzz/run';
import { parseResponse } from '../../scripts/fuzz/transport';

const SEED = 7;

function step(expect: Step['expect'], method = 'POST'): Step {
  return { endpoint: 'fn POST /x', category: 'malformed', proves: 'p', request: { transport: 'http', method, path: '/fn/x', headers: {} }, expect };
}

function answer(status: number | undefined, body = '', contentType = 'application/json; charset=utf-8'): StepResult {
  return { status, headers: status === undefined ? {} : { 'content-type': contentType }, body: Buffer.from(body), ms: 1 };
}

const problem = JSON.stringify({ code: 'invalid_body', message: 'request body is not valid JSON' });

describe('checkAnswer', () => {
  test.each([
    { what: 'a 500', expect: { outcome: 'rejected' as const }, result: answer(500, '{"code":"internal","message":"internal error"}'), kinds: ['server-error'] },
    { what: 'a hostile request accepted', expect: { outcome: 'rejected' as const }, result: answer(200, '{}'), kinds: ['accepted-hostile'] },
    { what: 'a valid request refused', expect: { outcome: 'accepted' as const }, result: answer(400, problem), kinds: ['refused-valid'] },
    { what: 'another 4xx than expected', expect: { outcome: 'rejected' as const, status: [401] }, result: answer(400, problem), kinds: ['status'] },
    {
      what: 'an HTML 400 with a stack trace',
      expect: { outcome: 'rejected' as const },
      result: answer(
        400,
        '<pre>SyntaxError: x<br> &nbsp;at JSON.parse (<anonymous>)\n    at parse (/app/node_modules/body-parser/lib/types/json.js:92:19)</pre>',
        'text/html',
      ),
      kinds: ['error-body', 'stack-trace'],
    },
    {
      what: 'a JSON 400 without a message',
      expect: { outcome: 'rejected' as const },
      result: answer(400, '{"code":"bad_request","message":""}'),
      kinds: ['error-body'],
    },
    {
      what: 'no answer where one is due',
      expect: { outcome: 'rejected' as const },
      result: { ...answer(undefined), error: 'socket hang up' },
      kinds: ['no-answer'],
    },
    { what: 'a JSON 400 naming the problem', expect: { outcome: 'rejected' as const, status: [400] }, result: answer(400, problem), kinds: [] },
    { what: 'no answer to a cut request', expect: { outcome: 'cut' as const }, result: answer(undefined), kinds: [] },
    {
      what: 'a connection closed while sending a body refused for its size (RFC 9110 413)',
      expect: { outcome: 'rejected' as const, status: [413] },
      result: { ...answer(undefined), error: 'write EPIPE' },
      kinds: [],
    },
    {
      what: 'a connection closed where a 400 is due',
      expect: { outcome: 'rejected' as const, status: [400, 413] },
      result: { ...answer(undefined), error: 'write EPIPE' },
      kinds: ['no-answer'],
    },
    {
      what: 'a timeout on an oversized body',
      expect: { outcome: 'rejected' as const, status: [413] },
      result: { ...answer(undefined), error: 'timed out after 10000 ms' },
      kinds: ['no-answer'],
    },
    {
      what: 'a bare protocol refusal where allowed',
      expect: { outcome: 'rejected' as const, errorShape: 'protocol' as const },
      result: { status: 400, headers: {}, body: Buffer.alloc(0), ms: 1 },
      kinds: [],
    },
    {
      what: 'an OAuth error in its own shape',
      expect: { outcome: 'rejected' as const, errorShape: 'oauth' as const },
      result: answer(401, '{"error":"invalid_client","error_description":"client authentication failed"}'),
      kinds: [],
    },
    { what: 'handled as a 204 acknowledgement', expect: { outcome: 'handled' as const }, result: answer(204), kinds: [] },
  ])('$what → $kinds', ({ expect: e, result, kinds }) => {
    expect(checkAnswer(step(e), result, []).map((p) => p.kind)).toEqual(kinds);
  });

  test('a read that differs after a refused write is caught', () => {
    const before = answer(200, '{"data":{"status":"open"}}');
    const after = answer(200, '{"data":{"status":"closed"}}');
    expect(checkAnswer(step({ outcome: 'accepted', sameBodyAs: 0 }, 'GET'), after, [before]).map((p) => p.kind)).toEqual(['changed']);
    expect(checkAnswer(step({ outcome: 'accepted', sameBodyAs: 0 }, 'GET'), before, [before])).toEqual([]);
  });

  test('a bodiless refusal is not accepted where the contract shape is due', () => {
    expect(errorBodyProblem({ status: 404, headers: {}, body: Buffer.alloc(0), ms: 1 }, 'contract')).toMatch(/not JSON/);
  });
});

describe('checkStores', () => {
  const m = (i: number) => markerOf(SEED, i);
  const write = (collection: string, id: string, fields: Record<string, unknown>, kind: 'create' | 'update' | 'delete' = 'create') => ({
    kind,
    path: `projects/p/databases/(default)/documents/${collection}/${id}`,
    fields,
  });
  const record = (index: number, steps: Array<{ status: number | undefined; effects?: Step['expect']['effects'] }>): CaseRecord => ({
    index,
    generator: 'g',
    steps: steps.map((s) => ({ step: step({ outcome: 'handled', ...(s.effects ? { effects: s.effects } : {}) }), result: answer(s.status) })),
  });
  const evidence = (over: Partial<Parameters<typeof checkStores>[2]> = {}) => ({
    writes: { writes: [], counted: {} },
    messages: [],
    objects: [],
    journaled: {},
    ...over,
  });

  test('a refused request that wrote anything is named, with its case', () => {
    const cases = new Map([[1, record(1, [{ status: 400 }])]]);
    const v = checkStores(
      cases,
      SEED,
      evidence({ writes: { writes: [write('conversations', 'abc', { conversationName: `projects/p/conversations/${m(1)}x` })], counted: {} } }),
    );
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ caseIndex: 1, kind: 'write' });
    expect(v[0]!.detail).toMatch(/conversations\/abc/);
  });

  test('idempotency markers: up to the declared number per accepted step (pending claims included), none for a refused step, more is a violation', () => {
    const effects = [{ store: 'firestore-markers' as const, collection: 'crm-account-creates', atMost: 2 }];
    const pending = (id: string) => write('crm-account-creates', id, { state: 'pending', at: 1 });
    const done = (id: string) => write('crm-account-creates', id, { state: 'done', at: 1, account: { name: m(3) } }, 'update');
    const accepted = new Map([[3, record(3, [{ status: 201, effects }])]]);
    const two = [pending('a'), done('a'), pending('b'), done('b')];
    expect(checkStores(accepted, SEED, evidence({ writes: { writes: two, counted: {} } }))).toEqual([]);
    const three = [...two, pending('c'), done('c')];
    expect(checkStores(accepted, SEED, evidence({ writes: { writes: three, counted: {} } })).map((v) => v.detail)).toEqual(
      expect.arrayContaining([expect.stringMatching(/3 markers in crm-account-creates at the end, at most 2 expected/)]),
    );
    const refused = new Map([[3, record(3, [{ status: 400, effects }])]]);
    expect(checkStores(refused, SEED, evidence({ writes: { writes: [pending('a'), done('a')], counted: {} } })).length).toBeGreaterThan(0);
  });

  test('an accepted step must leave exactly the documents it declared, passing their checks', () => {
    const effects = [
      {
        store: 'firestore' as const,
        collection: 'zoomEventKeys',
        count: 1,
        check: (d: Record<string, unknown>) => (d['published'] === true ? undefined : 'not published'),
      },
    ];
    const cases = new Map([[2, record(2, [{ status: 200, effects }])]]);
    expect(checkStores(cases, SEED, evidence({ writes: { writes: [write('zoomEventKeys', 'k', { body: m(2), published: true })], counted: {} } }))).toEqual([]);
    expect(checkStores(cases, SEED, evidence()).map((v) => v.detail)).toEqual([expect.stringMatching(/0 documents in zoomEventKeys at the end, expected 1/)]);
    expect(
      checkStores(cases, SEED, evidence({ writes: { writes: [write('zoomEventKeys', 'k', { body: m(2), published: false })], counted: {} } }))[0]!.detail,
    ).toMatch(/not published/);
  });

  test('a delete declared by a later step counts: the document must be gone', () => {
    const cases = new Map([
      [
        3,
        record(3, [
          { status: 200, effects: [{ store: 'firestore', collection: 'conversations', count: 1 }] },
          { status: 200, effects: [{ store: 'firestore', collection: 'conversations', count: 0 }] },
        ]),
      ],
    ]);
    const created = write('conversations', 'c', { conversationName: m(3) });
    expect(checkStores(cases, SEED, evidence({ writes: { writes: [created, { ...created, kind: 'delete' }], counted: {} } }))).toEqual([]);
    expect(checkStores(cases, SEED, evidence({ writes: { writes: [created], counted: {} } }))).toHaveLength(1);
  });

  test('writes without a marker are allowed only where and as often as declared', () => {
    const cases = new Map([[4, record(4, [{ status: 201, effects: [{ store: 'firestore-unmarked', collection: 'crmMockKeys', atMost: 1 }] }])]]);
    const key = (id: string) => write('crmMockKeys', id, { targetId: 'REC-1' });
    expect(checkStores(cases, SEED, evidence({ writes: { writes: [key('a')], counted: {} } }))).toEqual([]);
    expect(checkStores(cases, SEED, evidence({ writes: { writes: [key('a'), key('b')], counted: {} } }))[0]!.detail).toMatch(
      /2 documents written in crmMockKeys carry no case marker \(allowed: 1\)/,
    );
    expect(checkStores(cases, SEED, evidence({ writes: { writes: [write('elsewhere', 'x', {})], counted: {} } }))).toHaveLength(1);
  });

  test('messages: exactly the declared number per case, none from a refused case, none without a marker', () => {
    const cases = new Map([
      [5, record(5, [{ status: 200, effects: [{ store: 'pubsub', topic: 'zoom-events', count: 1 }] }])],
      [6, record(6, [{ status: 401 }])],
    ]);
    const msg = (data: string) => ({ topic: 'zoom-events', data, attributes: {} });
    expect(checkStores(cases, SEED, evidence({ messages: [msg(m(5))] }))).toEqual([]);
    expect(checkStores(cases, SEED, evidence({ messages: [msg(m(5)), msg(m(5))] }))[0]!.detail).toMatch(/2 messages on zoom-events, expected 1/);
    expect(checkStores(cases, SEED, evidence({ messages: [msg(m(5)), msg(m(6))] }))[0]).toMatchObject({ caseIndex: 6, kind: 'message' });
    expect(checkStores(cases, SEED, evidence({ messages: [msg(m(5)), msg('{"no":"marker"}')] }))[0]!.detail).toMatch(/carries no case marker/);
  });

  test('any stored object, and a journal larger than the requests that may write it, are violations', () => {
    const cases = new Map([[7, record(7, [{ status: 400 }])]]);
    expect(checkStores(cases, SEED, evidence({ objects: [{ bucket: 'b', name: `${m(7)}.txt`, size: 1 }] }))[0]).toMatchObject({ caseIndex: 7, kind: 'object' });
    const journal = evidence({ writes: { writes: [], counted: { crmMockJournal: { writes: 3, created: 3 } } }, journaled: { crmMockJournal: { allowed: 2 } } });
    expect(checkStores(cases, SEED, journal)[0]!.detail).toMatch(/3 entries in crmMockJournal/);
  });
});

describe('checkLogs', () => {
  const lines = (...texts: string[]) => texts.map((text) => ({ stream: 'stdout' as const, text }));
  const needles = {
    secrets: new Map([['ZOOM_WEBHOOK_SECRET', 'local-zoom-webhook-secret-token']]),
    phones: [{ text: '(415) 555-0123', caseIndex: 3 }],
    emails: [{ text: 'Caller.X+fz7c3z@Example.com', caseIndex: 3 }],
  };

  test.each([
    ['a configured secret', '{"message":"x","h":"local-zoom-webhook-secret-token"}', 'log-secret'],
    ['the phone number as sent', '{"body":"{\\"phone\\":\\"(415) 555-0123\\"}"}', 'log-pii'],
    ['the phone number in E.164', '{"path":"/accounts/+14155550123"}', 'log-pii'],
    ['the phone number as national digits', '{"reason":"account 4155550123 not found"}', 'log-pii'],
    ['the email, lower-cased', '{"to":"caller.x+fz7c3z@example.com"}', 'log-pii'],
    ['the email, percent-encoded', '{"q":"caller.x%2Bfz7c3z%40example.com"}', 'log-pii'],
    ['an issued token', '{"authorization":"Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"}', 'log-secret'],
  ])('finds %s', (_what, text, kind) => {
    const tokens = new Map([['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ', 3]]);
    expect(checkLogs(lines(text), needles, tokens).map((v) => v.kind)).toEqual([kind]);
  });

  test('masked values and unrelated numbers pass', () => {
    const text =
      '{"path":"/accounts/+*********23","to":"c***@example.com","at":"2026-11-21T20:57:57.471Z","event_ts":1795294985383,"id":"01795294985383-ab12"}';
    expect(checkLogs(lines(text), needles, new Map())).toEqual([]);
  });
});

describe('the run setup', () => {
  test('a case is generated from (seed, index) alone, so it can be replayed by itself', () => {
    const draw = (index: number) => {
      const rng = createRng(SEED, index);
      return [rng.int(0, 1e6), rng.alnum(8), rng.pick(['a', 'b', 'c'])];
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
  });

  test('options: defaults, and every bad value reported at once', () => {
    expect(parseFuzzArgs([], () => 1234)).toEqual({ requests: 10_000, seed: 1234, concurrency: 8, caseIndex: undefined, only: undefined, maxViolations: 12 });
    expect(parseFuzzArgs(['--requests', '1000', '--seed=5', '--case', '17', '--only', 'crm/,ui-connector/'])).toMatchObject({
      requests: 1000,
      seed: 5,
      caseIndex: 17,
      only: ['crm/', 'ui-connector/'],
    });
    let problems: string[] = [];
    try {
      parseFuzzArgs(['--requests', 'lots', '--bogus', '1', 'stray']);
    } catch (err) {
      problems = (err as FuzzOptionsError).problems;
    }
    expect(problems).toEqual(
      expect.arrayContaining([expect.stringMatching(/--requests must be an integer/), 'unknown option --bogus', 'unexpected argument stray']),
    );
  });

  test('the secrets the log check looks for: secret settings, PEM lines, the Basic credential — not ids', () => {
    const secrets = configuredSecrets({
      ZOOM_WEBHOOK_SECRET: 'zoom-secret-value',
      TWILIO_AUTH_TOKEN: 'token-number-one,token-number-two',
      GCS_SIGNER_PRIVATE_KEY: `-----BEGIN PRIVATE KEY-----\n${'A'.repeat(64)}\n-----END PRIVATE KEY-----\n`,
      CRM_BASIC_USER: 'ccaip',
      CRM_BASIC_PASSWORD: 'local-crm-password',
      TWILIO_ACCOUNT_SID: 'AC0123456789abcdef0123456789abcdef',
      UI_CONNECTOR_TOKEN_TTL_MINUTES: '60',
    });
    expect([...secrets.values()]).toEqual(
      expect.arrayContaining([
        'zoom-secret-value',
        'token-number-one',
        'token-number-two',
        'A'.repeat(64),
        'local-crm-password',
        Buffer.from('ccaip:local-crm-password').toString('base64'),
      ]),
    );
    expect([...secrets.values()]).not.toContain('AC0123456789abcdef0123456789abcdef');
    expect([...secrets.values()]).not.toContain('60');
  });

  test('raw answers are read whole, chunked or not, and interim 100 Continue is not the answer', () => {
    expect(parseResponse(Buffer.from('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n'))).toMatchObject({ status: 400, complete: false });
    expect(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'))).toMatchObject({ status: 200, complete: true });
    expect(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n')).body.toString()).toBe('ok');
    expect(parseResponse(Buffer.from('HTTP/1.1 100 Continue\r\n\r\n')).status).toBeUndefined();
  });
});
