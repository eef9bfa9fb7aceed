/**
 * Body limits hold before the Functions Framework's parsers (issue #13, High 1): a compressed
 * body is refused without being inflated, a declared length over the limit without being read,
 * and a chunked body is cut as it crosses the limit — each answered as `{code, message}` JSON
 * and without the function running.
 */
import http from 'node:http';
import zlib from 'node:zlib';
import { http as registerHttp } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import { createHttpApp } from '../../shared/http/app';
import { bodyLimitFor, bodyLimitsOf, DEFAULT_BODY_LIMITS, withBodyLimits } from '../../shared/http/body-guard';
import { installFrameworkErrorResponses } from '../../shared/http/framework-errors';
import { createLogger } from '../../shared/logging';
import { listen } from '../support/http';

const MAX_BYTES = 64 * 1024;
const MAX_PARSED = 4 * 1024;
let handled = 0;
const app = createHttpApp({
  name: 'body-guard',
  log: createLogger({ sink: () => undefined }),
  maxBodyBytes: MAX_BYTES,
  maxParsedBodyBytes: MAX_PARSED,
  routes: [
    {
      method: 'POST',
      path: '/items',
      handle: (ctx) => {
        handled++;
        return { status: 201, json: { bytes: ctx.rawBody.length } };
      },
    },
  ],
});
const logLines: string[] = [];
installFrameworkErrorResponses(createLogger({ sink: (l) => logLines.push(l) }), { bodyLimits: (req) => bodyLimitsOf(app, req) });
registerHttp('bodyGuardHttp', app);

let server: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  server = await listen(getTestServer('bodyGuardHttp'));
});
afterAll(() => server?.close());
beforeEach(() => {
  handled = 0;
});

interface RawAnswer {
  status: number;
  body: { code?: string; message?: string; bytes?: number };
  /** Body bytes the client had written when the answer arrived. */
  sentWhenAnswered: number;
}

/**
 * Sends a request with node:http, writing `chunks` one at a time (each after the previous is
 * flushed) until the server answers, so what the server read before refusing is measurable.
 */
function send(headers: Record<string, string>, chunks: Iterable<Buffer>): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${server.url}/items`);
    let sent = 0;
    let answered = false;
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      answered = true;
      const sentWhenAnswered = sent;
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(parts).toString('utf8') || '{}'), sentWhenAnswered }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    const it = chunks[Symbol.iterator]();
    const next = () => {
      if (answered) return;
      const step = it.next();
      if (step.done) {
        req.end();
        return;
      }
      sent += step.value.length;
      req.write(step.value, (err) => {
        if (!err) setImmediate(next);
      });
    };
    next();
  });
}

function* repeat(chunk: Buffer, times: number): Generator<Buffer> {
  for (let i = 0; i < times; i++) yield chunk;
}

/** 50 MB of `[{},{},…]`, gzip-compressed to about 50 kB: what took a plain Framework server to 1.7 GB. */
const bomb = zlib.gzipSync(Buffer.from(`[${'{},'.repeat(16 * 1024 * 1024)}{}]`), { level: 9 });

describe('compressed bodies are refused before anything inflates them', () => {
  test.each([
    { coding: 'gzip', body: bomb },
    { coding: 'deflate', body: zlib.deflateSync(Buffer.from('{"a":1}')) },
    { coding: 'br', body: zlib.brotliCompressSync(Buffer.from('{"a":1}')) },
    { coding: 'x-hostile', body: Buffer.from('{}') },
    { coding: 'identity, gzip', body: zlib.gzipSync(Buffer.from('{}')) },
  ])('Content-Encoding $coding → 415 naming the coding, the function never runs', async ({ coding, body }) => {
    const answer = await send({ 'content-type': 'application/json', 'content-encoding': coding, 'content-length': String(body.length) }, [body]);
    expect(answer.status).toBe(415);
    expect(answer.body.code).toBe('unsupported_media_type');
    expect(answer.body.message).toMatch(/Content-Encoding/);
    expect(handled).toBe(0);
  });

  test('Content-Encoding identity is a plain body', async () => {
    const answer = await send({ 'content-type': 'application/json', 'content-encoding': 'identity', 'content-length': '7' }, [Buffer.from('{"a":1}')]);
    expect(answer).toMatchObject({ status: 201, body: { bytes: 7 } });
  });
});

describe('declared lengths over the limit are refused without reading the body', () => {
  test('a raw body declaring more than maxBodyBytes → 413 before the body is sent', async () => {
    const chunk = Buffer.alloc(1024, 1);
    const answer = await send({ 'content-type': 'application/octet-stream', 'content-length': String(1024 * 1024) }, repeat(chunk, 1024));
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('payload_too_large');
    expect(answer.body.message).toMatch(String(MAX_BYTES));
    expect(answer.sentWhenAnswered).toBeLessThan(1024 * 1024);
    expect(handled).toBe(0);
  });

  test('a body somewhat over the limit is read off after the 413 (no reset while the client still sends); a far larger one closes the connection', async () => {
    const connectionAfter = (declared: number) =>
      new Promise<{ status: number | undefined; connection: string | undefined }>((resolve) => {
        const url = new URL(`${server.url}/items`);
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path: url.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(declared) },
          },
          (res) => {
            resolve({ status: res.statusCode, connection: res.headers.connection });
            req.destroy();
          },
        );
        req.on('error', () => undefined);
        req.write(Buffer.alloc(1024));
      });
    expect(await connectionAfter(MAX_BYTES + 2 * 1024 * 1024)).toEqual({ status: 413, connection: 'keep-alive' });
    expect(await connectionAfter(MAX_BYTES + 64 * 1024 * 1024)).toEqual({ status: 413, connection: 'close' });
    expect(handled).toBe(0);
  });

  test('a JSON body over the parsed-body limit → 413 though raw bytes of that size pass', async () => {
    const json = Buffer.from(JSON.stringify({ pad: 'x'.repeat(MAX_PARSED) }));
    const refused = await send({ 'content-type': 'application/json', 'content-length': String(json.length) }, [json]);
    expect(refused.status).toBe(413);
    expect(refused.body.message).toMatch(String(MAX_PARSED));
    const raw = await send({ 'content-type': 'application/octet-stream', 'content-length': String(json.length) }, [json]);
    expect(raw).toMatchObject({ status: 201, body: { bytes: json.length } });
    expect(handled).toBe(1);
  });
});

describe('chunked bodies are counted as they arrive and cut at the limit', () => {
  test('an endless chunked body → 413 once it passes the limit, the function never runs', async () => {
    const chunk = Buffer.alloc(8 * 1024, 0x61);
    const answer = await send({ 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }, repeat(chunk, 100_000));
    expect(answer.status).toBe(413);
    expect(answer.body.code).toBe('payload_too_large');
    // The client learns of it as soon as the limit is crossed, not after 800 MB.
    expect(answer.sentWhenAnswered).toBeLessThan(MAX_BYTES + 16 * chunk.length);
    expect(handled).toBe(0);
    expect(logLines.some((l) => l.includes('request refused before its body was read'))).toBe(true);
  });

  test('a chunked JSON body is held to the parsed-body limit', async () => {
    const answer = await send({ 'content-type': 'application/json', 'transfer-encoding': 'chunked' }, [
      Buffer.from('['),
      ...repeat(Buffer.from('{},'.repeat(1000)), 10),
    ]);
    expect(answer.status).toBe(413);
    expect(handled).toBe(0);
  });

  test('a chunked body under the limit reaches the function whole', async () => {
    const answer = await send({ 'content-type': 'application/octet-stream', 'transfer-encoding': 'chunked' }, repeat(Buffer.alloc(1000, 1), 60));
    expect(answer).toMatchObject({ status: 201, body: { bytes: 60_000 } });
  });
});

describe('bodyLimitFor', () => {
  const limits = { maxBytes: 100, maxParsedBytes: 10 };
  test.each([
    { type: undefined, limit: 100 },
    { type: 'application/octet-stream', limit: 100 },
    { type: 'multipart/form-data; boundary=x', limit: 100 },
    { type: 'application/json', limit: 10 },
    { type: 'Application/JSON; charset=utf-8', limit: 10 },
    { type: 'application/cloudevents+json', limit: 10 },
    { type: 'application/x-www-form-urlencoded', limit: 10 },
    { type: 'text/plain', limit: 10 },
    { type: 'not a media type', limit: 100 },
  ])('$type → $limit', ({ type, limit }) => {
    expect(bodyLimitFor(type, limits)).toBe(limit);
  });
});

describe('limits per app of a function serving several (ui-connector), through the local gateway', () => {
  test('each request is held to the limits of the app its path goes to', async () => {
    const { startGateway } = await import('../../local/gateway');
    const small = createHttpApp({
      name: 'small',
      log: createLogger({ sink: () => undefined }),
      maxBodyBytes: 1024,
      routes: [{ method: 'POST', path: '/small', handle: () => ({ status: 201 }) }],
    });
    const big = createHttpApp({
      name: 'big',
      log: createLogger({ sink: () => undefined }),
      maxBodyBytes: 64 * 1024,
      routes: [{ method: 'POST', path: '/big', handle: () => ({ status: 201 }) }],
    });
    const appFor = (req: { url?: string | undefined }) => ((req.url ?? '').startsWith('/big') ? big : small);
    const handler = withBodyLimits(
      (req: Parameters<typeof small>[0], res: Parameters<typeof small>[1]) => appFor(req)(req, res),
      (req) => bodyLimitsOf(appFor(req), req),
    );
    const gateway = await startGateway();
    try {
      gateway.mount('multi', 'bodyGuardMulti', { signature: 'http', handler });
      const post = (path: string, bytes: number) =>
        fetch(`${gateway.url}/multi${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ pad: 'x'.repeat(bytes) }),
        });
      // Refused by the guard before the Framework parsed it (its message), not by the app afterwards.
      const refusedSmall = await post('/small', 2048);
      expect({ status: refusedSmall.status, body: await refusedSmall.json() }).toMatchObject({
        status: 413,
        body: { message: expect.stringMatching(/this endpoint's limit of 1024 bytes/) },
      });
      expect((await post('/big', 2048)).status).toBe(201);
      const refusedBig = await post('/big', 128 * 1024);
      expect({ status: refusedBig.status, body: await refusedBig.json() }).toMatchObject({
        status: 413,
        body: { message: expect.stringMatching(/this endpoint's limit of 65536 bytes/) },
      });
    } finally {
      await gateway.stop();
    }
  });

  test('bodyLimitsOf: a handler without limits gets the defaults', () => {
    expect(bodyLimitsOf(() => undefined, { url: '/' } as never)).toEqual(DEFAULT_BODY_LIMITS);
  });
});
