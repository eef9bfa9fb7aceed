import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PushSender } from '../../local/pubsub/push-sender';

const content = { headers: { 'content-type': 'application/json', 'ce-id': '1' }, body: Buffer.from('{}') };

let server: http.Server;
let endpoint: string;
let answer: (response: http.ServerResponse) => void;
const seen: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  server = http.createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => answer(response));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fn`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  seen.length = 0;
  answer = (response) => response.writeHead(204).end();
});

test('with oidcToken configured, the minted token goes out as a bearer token for the audience', async () => {
  const minted: string[] = [];
  const sender = new PushSender((audience, email) => {
    minted.push(`${audience}|${email}`);
    return 'token-123';
  });
  const outcome = await sender.send({ endpoint, oidc: { audience: 'https://fn.example', serviceAccountEmail: 'sa@p.iam.gserviceaccount.com' } }, content, 1000);
  sender.close();

  expect(outcome).toEqual({ ok: true, status: 204 });
  expect(minted).toEqual(['https://fn.example|sa@p.iam.gserviceaccount.com']);
  expect(seen[0]?.authorization).toBe('Bearer token-123');
  expect(seen[0]?.['ce-id']).toBe('1');
});

test('without a token minter no Authorization header is sent', async () => {
  const sender = new PushSender(undefined);
  await sender.send({ endpoint, oidc: { audience: endpoint, serviceAccountEmail: 'sa@p' } }, content, 1000);
  sender.close();
  expect(seen[0]?.authorization).toBeUndefined();
});

test('a non-2xx answer, a refused connection and a missed deadline are failures', async () => {
  const sender = new PushSender(undefined);
  answer = (response) => response.writeHead(503).end('busy');
  expect(await sender.send({ endpoint, oidc: undefined }, content, 1000)).toEqual({ ok: false, reason: 'HTTP 503' });

  const refused = await sender.send({ endpoint: 'http://127.0.0.1:1/', oidc: undefined }, content, 1000);
  expect(refused.ok).toBe(false);

  answer = () => {}; // never answers
  const slow = await sender.send({ endpoint, oidc: undefined }, content, 50);
  expect(slow).toEqual({ ok: false, reason: 'no answer within 50 ms' });
  sender.close();
});
