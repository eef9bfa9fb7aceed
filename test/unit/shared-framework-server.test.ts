/**
 * The Framework's server builds requests and responses with the prototypes Express gives them
 * (shared/http/framework-server.ts): Express then changes no prototype per request, and the
 * function answers exactly as on the stock server. Real Functions Framework, real HTTP.
 */
import http from 'node:http';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { type HttpModuleLike, installExpressRequestClasses } from '../../shared/http/framework-server';
import { listen } from '../support/http';

type ExpressApp = http.RequestListener & { request: object; response: object };

registerHttp('frameworkServerEcho', (req, res) => {
  res
    .status(201)
    .set('x-seen-header', req.get('x-probe') ?? 'none')
    .json({ body: req.body, raw: req.rawBody?.toString('utf8'), path: req.path, query: req.query, ip: typeof req.ip });
});

/** The Framework's Express application for the function above (the stock server's listener). */
function frameworkApp(): ExpressApp {
  return getTestServer('frameworkServerEcho').listeners('request')[0] as ExpressApp;
}

/** A copy of node:http's three members, so these tests change nothing process-wide. */
function httpCopy(): HttpModuleLike {
  return { createServer: http.createServer, IncomingMessage: http.IncomingMessage, ServerResponse: http.ServerResponse };
}

/** Serves `server`, sends one request, and tells the prototypes the request and response had before Express ran. */
async function exchange(server: http.Server, app: ExpressApp) {
  const born: { request?: boolean; response?: boolean } = {};
  server.prependListener('request', (req, res) => {
    born.request = Object.getPrototypeOf(req) === app.request;
    born.response = Object.getPrototypeOf(res) === app.response;
  });
  const served = await listen(server);
  try {
    const res = await fetch(`${served.url}/items?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-probe': 'p-1' },
      body: JSON.stringify({ a: [1, 2], b: 'ü' }),
    });
    const answer = { status: res.status, type: res.headers.get('content-type'), seen: res.headers.get('x-seen-header'), json: await res.json() };
    return { born, answer };
  } finally {
    await served.close();
  }
}

test('a server the Framework creates for its Express app builds requests and responses with the app’s own prototypes', async () => {
  const target = httpCopy();
  expect(installExpressRequestClasses(target)).toBe(true);
  const app = frameworkApp();
  const { born } = await exchange(target.createServer(app), app);
  // Express's setPrototypeOf(req, app.request) then has nothing to change.
  expect(born).toEqual({ request: true, response: true });
});

test('the function answers exactly as on the stock server (body, raw body, headers, path, query, status)', async () => {
  const app = frameworkApp();
  // new http.Server(app) is what the stock createServer(app) does, whatever another test file installed in this worker.
  const stock = await exchange(new http.Server(app), app);
  const target = httpCopy();
  installExpressRequestClasses(target);
  const patched = await exchange(target.createServer(app), app);
  expect(stock.born).toEqual({ request: false, response: false });
  expect(patched.answer).toEqual(stock.answer);
  expect(patched.answer).toEqual({
    status: 201,
    type: 'application/json; charset=utf-8',
    seen: 'p-1',
    json: { body: { a: [1, 2], b: 'ü' }, raw: '{"a":[1,2],"b":"ü"}', path: '/items', query: { x: '1' }, ip: 'string' },
  });
});

test('every other createServer call is passed on untouched', async () => {
  const target = httpCopy();
  installExpressRequestClasses(target);
  const app = frameworkApp();
  // A plain listener, and an Express app given with options of the caller's own: stock objects.
  for (const server of [target.createServer((req, res) => app(req, res)), target.createServer({}, app)]) {
    const { born, answer } = await exchange(server, app);
    expect(born).toEqual({ request: false, response: false });
    expect(answer.status).toBe(201);
  }
  const plain = target.createServer();
  expect(plain).toBeInstanceOf(http.Server);
  expect(plain.listenerCount('request')).toBe(0);
});

test('installs once, however often called', () => {
  const target = httpCopy();
  installExpressRequestClasses(target);
  const first = target.createServer;
  expect(installExpressRequestClasses(target)).toBe(true);
  expect(target.createServer).toBe(first);
});

test('installs nothing when Node’s constructors are classes (they could not be run on a new object)', () => {
  const createServer = http.createServer;
  const target = {
    createServer,
    IncomingMessage: class extends http.IncomingMessage {},
    ServerResponse: http.ServerResponse,
  } as HttpModuleLike;
  expect(installExpressRequestClasses(target)).toBe(false);
  expect(target.createServer).toBe(createServer);
});

test('the entry files install it on node:http before the Framework creates its server', async () => {
  const { startComposing } = await import('../../shared/entry');
  await startComposing(async () => 'composed', 'framework-server-test')();
  // getTestServer calls http.createServer(app), as the Framework's main does for a deployed function.
  const server = getTestServer('frameworkServerEcho');
  const { born } = await exchange(server, server.listeners('request')[0] as ExpressApp);
  expect(born).toEqual({ request: true, response: true });
});

test('the benchmarks’ lone-function servers are built as deployed, or as the Framework ships them with stockServer', async () => {
  const { serveAlone } = await import('../../local/gateway');
  const seen: boolean[] = [];
  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    seen.push(Object.getPrototypeOf(req) !== http.IncomingMessage.prototype);
    res.end('{}');
  };
  for (const stockServer of [false, true]) {
    const lone = await serveAlone(stockServer ? 'loneStock' : 'loneDeployed', { signature: 'http', handler: handler as never }, { stockServer });
    const born: boolean[] = [];
    lone.server.prependListener('request', (req) => born.push(Object.getPrototypeOf(req) !== http.IncomingMessage.prototype));
    try {
      expect((await fetch(`${lone.url}/`)).status).toBe(200);
    } finally {
      await lone.stop();
    }
    expect(born).toEqual([!stockServer]);
  }
  // Express gives both the app's prototype before the function runs.
  expect(seen).toEqual([true, true]);
});
