/**
 * What the Functions Framework refuses before a function runs (found by `npm run fuzz`):
 * answered as `{code, message}` JSON without a stack trace, and never logged with the body.
 */
import { cloudEvent, http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { errorCodeForStatus } from '../../shared/errors';
import { createHttpApp } from '../../shared/http/app';
import { frameworkErrorToAppError, installFrameworkErrorResponses } from '../../shared/http/framework-errors';
import { createLogger } from '../../shared/logging';
import { listen } from '../support/http';

const logLines: string[] = [];
installFrameworkErrorResponses(createLogger({ sink: (l) => logLines.push(l) }));

let handled = 0;
http(
  'frameworkErrorsHttp',
  createHttpApp({
    name: 'framework-errors',
    log: createLogger({ sink: () => undefined }),
    routes: [
      {
        method: 'POST',
        path: '/items',
        handle: () => {
          handled++;
          return { status: 201, json: {} };
        },
      },
    ],
  }),
);
let events = 0;
cloudEvent('frameworkErrorsEvent', () => {
  events++;
});

let httpServer: Awaited<ReturnType<typeof listen>>;
let eventServer: Awaited<ReturnType<typeof listen>>;
// Express's default handler writes refused requests (body included) with console.error.
const stderr: string[] = [];
const consoleError = console.error;
beforeAll(async () => {
  console.error = (...args: unknown[]) => {
    stderr.push(args.map((a) => (a instanceof Error ? `${a.stack} ${JSON.stringify(a)}` : String(a))).join(' '));
  };
  httpServer = await listen(getTestServer('frameworkErrorsHttp'));
  eventServer = await listen(getTestServer('frameworkErrorsEvent'));
});
afterAll(async () => {
  console.error = consoleError;
  await httpServer?.close();
  await eventServer?.close();
});

async function expectJsonProblem(res: Response, status: number, code: string): Promise<string> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const text = await res.text();
  const body = JSON.parse(text) as { code: string; message: string };
  expect(body.code).toBe(code);
  expect(body.message.length).toBeGreaterThan(0);
  expect(text).not.toMatch(/node_modules|\bat .+:\d+:\d+/);
  return body.message;
}

describe('requests the Functions Framework refuses itself', () => {
  test('broken JSON is a JSON 400 that does not quote the body, and the body is not logged', async () => {
    const secretish = '{"phone":"+14155550123","authToken":"f00dfeedf00dfeedf00dfeedf00dfeed",';
    const res = await fetch(`${httpServer.url}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: secretish });
    const message = await expectJsonProblem(res, 400, 'invalid_body');
    expect(message).toMatch(/not valid JSON/);
    expect(message).not.toContain('f00dfeed');
    // Once the refusal is logged, nothing logged quotes the body.
    while (!logLines.some((l) => l.includes('request refused by the function framework'))) await new Promise((r) => setImmediate(r));
    expect([...stderr, ...logLines].join('\n')).not.toMatch(/f00dfeed|4155550123/);
    expect(handled).toBe(0);
  });

  test.each([
    { what: 'an unsupported charset', headers: { 'content-type': 'application/json; charset=bogus' }, body: '{}', status: 415, code: 'unsupported_media_type' },
    {
      what: 'an unknown content-encoding',
      headers: { 'content-type': 'application/json', 'content-encoding': 'x-hostile' },
      body: '{}',
      status: 415,
      code: 'unsupported_media_type',
    },
    {
      what: 'a gzip header (no compressed body is accepted, see shared-body-guard)',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: '{}',
      status: 415,
      code: 'unsupported_media_type',
    },
    { what: 'a top-level JSON string', headers: { 'content-type': 'application/json' }, body: '"text"', status: 400, code: 'invalid_body' },
  ])('$what is a JSON $status', async ({ headers, body, status, code }) => {
    await expectJsonProblem(await fetch(`${httpServer.url}/items`, { method: 'POST', headers, body }), status, code);
    expect(handled).toBe(0);
  });

  test('a path with broken percent-encoding is a JSON 400', async () => {
    await expectJsonProblem(await fetch(`${httpServer.url}/items/%E0%A4%A`), 400, 'bad_request');
  });

  test('the browser asset paths the Framework keeps for itself are a JSON 404', async () => {
    await expectJsonProblem(await fetch(`${httpServer.url}/favicon.ico`), 404, 'not_found');
    await expectJsonProblem(await fetch(`${eventServer.url}/robots.txt`), 404, 'not_found');
  });

  test('an event function refuses what cannot be a delivery, in JSON, instead of crashing (500)', async () => {
    await expectJsonProblem(await fetch(`${eventServer.url}/`), 405, 'method_not_allowed');
    await expectJsonProblem(await fetch(`${eventServer.url}/`, { method: 'OPTIONS' }), 405, 'method_not_allowed');
    await expectJsonProblem(
      await fetch(`${eventServer.url}/`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'not an event' }),
      400,
      'invalid_body',
    );
    expect(events).toBe(0);
  });
});

describe('frameworkErrorToAppError', () => {
  test.each([
    {
      what: 'a JSON syntax error',
      err: { type: 'entity.parse.failed', status: 400, message: 'Unexpected token } in JSON at position 12' },
      method: 'POST',
      status: 400,
      code: 'invalid_body',
      message: /at position 12/,
    },
    {
      what: 'a body over the limit',
      err: { type: 'entity.too.large', status: 413 },
      method: 'POST',
      status: 413,
      code: 'payload_too_large',
      message: /too large/,
    },
    {
      what: 'too many form fields',
      err: { type: 'parameters.too.many', status: 413 },
      method: 'POST',
      status: 413,
      code: 'payload_too_large',
      message: /parameters/,
    },
    { what: 'an aborted request', err: { type: 'request.aborted', status: 400 }, method: 'POST', status: 400, code: 'bad_request', message: /aborted/ },
    { what: 'a zlib error', err: { code: 'Z_DATA_ERROR', status: 400 }, method: 'POST', status: 400, code: 'bad_request', message: /decompressed/ },
    {
      what: 'a path decoding error',
      err: { name: 'URIError', status: 400, message: "Failed to decode param '%E0'" },
      method: 'GET',
      status: 400,
      code: 'bad_request',
      message: /percent-encoding/,
    },
    { what: 'an unknown error', err: new Error('something inside broke'), method: 'POST', status: 500, code: 'internal', message: /^internal error$/ },
    { what: 'no route', err: undefined, method: 'GET', status: 404, code: 'not_found', message: /no such endpoint/ },
  ])('$what → $status $code', ({ err, method, status, code, message }) => {
    const e = frameworkErrorToAppError(err, { method });
    expect(e.status).toBe(status);
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });
});

describe('errorCodeForStatus (the one status → code map)', () => {
  it.each([
    [400, 'bad_request'],
    [401, 'unauthenticated'],
    [403, 'forbidden'],
    [404, 'not_found'],
    [405, 'method_not_allowed'],
    [409, 'conflict'],
    [413, 'payload_too_large'],
    [415, 'unsupported_media_type'],
    [422, 'bad_request'],
    [429, 'rate_limited'],
    [500, 'upstream_error'],
    [501, 'not_implemented'],
    [502, 'upstream_error'],
    [503, 'unavailable'],
  ] as const)('%d → %s', (status, code) => {
    expect(errorCodeForStatus(status)).toBe(code);
  });
});
