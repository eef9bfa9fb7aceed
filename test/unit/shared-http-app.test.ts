import { http } from '@google-cloud/functions-framework';
import { getTestServer } from '@google-cloud/functions-framework/testing';
import * as z from 'zod';
import { AppError, conflict } from '../../shared/errors';
import { createHttpApp } from '../../shared/http/app';
import { parseBody } from '../../shared/http/body';
import { createLogger } from '../../shared/logging';
import { listen } from '../support/http';

const logLines: string[] = [];
const log = createLogger({ sink: (l) => logLines.push(l), level: 'debug' });
const writes: unknown[] = [];

http(
  'appUnderTest',
  createHttpApp({
    name: 'app-under-test',
    log,
    maxBodyBytes: 1024,
    cors: { allowedOrigins: ['https://allowed.example'] },
    routes: [
      {
        method: 'POST',
        path: '/items',
        handle: (ctx) => {
          const body = parseBody(ctx, z.object({ name: z.string().min(1), count: z.number().int() }));
          writes.push(body);
          return { status: 201, json: { id: '1', ...body } };
        },
      },
      { method: 'GET', path: '/items/:id', handle: (ctx) => ({ json: { id: ctx.params['id'] } }) },
      {
        method: 'GET',
        path: '/conflict',
        handle: () => {
          throw conflict('already there', { id: '7' });
        },
      },
      {
        method: 'GET',
        path: '/limited',
        handle: () => {
          throw new AppError('rate_limited', 429, 'slow down', { retryAfterSeconds: 3 });
        },
      },
      {
        method: 'GET',
        path: '/boom',
        handle: () => {
          throw new Error('database password is hunter2');
        },
      },
    ],
  }),
);

let server: Awaited<ReturnType<typeof listen>>;
beforeAll(async () => {
  server = await listen(getTestServer('appUnderTest'));
});
afterAll(() => server.close());

const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${server.url}${path}`, { method: 'POST', body, headers });

describe('HTTP app on the Functions Framework', () => {
  test('answers a health request at the function root', async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', function: 'app-under-test' });
  });

  test('routes by method and path with parameters', async () => {
    const res = await fetch(`${server.url}/items/a%2Fb`);
    expect(await res.json()).toEqual({ id: 'a/b' });
  });

  test('a valid body reaches the handler', async () => {
    const res = await post('/items', JSON.stringify({ name: 'x', count: 2 }));
    expect(res.status).toBe(201);
  });

  test('an invalid body is a 400 naming every problem, and the handler writes nothing', async () => {
    const before = writes.length;
    const res = await post('/items', JSON.stringify({ name: '', count: 'two' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; message: string; details: Array<{ path: string }> };
    expect(body.code).toBe('invalid_body');
    expect(body.details.map((d) => d.path).sort()).toEqual(['count', 'name']);
    expect(body.message).toMatch(/name/);
    expect(writes.length).toBe(before);
  });

  test('unknown paths are 404 and wrong methods 405, with JSON bodies', async () => {
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 'not_found' });
    const wrong = await fetch(`${server.url}/items`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(await wrong.json()).toMatchObject({ code: 'method_not_allowed' });
  });

  test('typed errors keep their status, code, details and Retry-After', async () => {
    const c = await fetch(`${server.url}/conflict`);
    expect(c.status).toBe(409);
    expect(await c.json()).toEqual({ code: 'conflict', message: 'already there', details: { id: '7' } });
    const r = await fetch(`${server.url}/limited`);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('3');
  });

  test('unexpected errors are a 500 that does not leak their text, and are logged', async () => {
    const res = await fetch(`${server.url}/boom`);
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toContain('hunter2');
    expect(JSON.parse(text)).toEqual({ code: 'internal', message: 'internal error' });
    expect(logLines.some((l) => l.includes('"severity":"ERROR"') && l.includes('request failed'))).toBe(true);
  });

  test('bodies over the limit are refused with 413 before the handler runs', async () => {
    const before = writes.length;
    const res = await post('/items', JSON.stringify({ name: 'x'.repeat(2000), count: 1 }));
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ code: 'payload_too_large' });
    expect(writes.length).toBe(before);
  });

  test('a body nesting deeper than 64 levels is refused with 400 before the handler runs (found by npm run fuzz)', async () => {
    const before = writes.length;
    const deep = `${'{"a":'.repeat(65)}1${'}'.repeat(65)}`;
    const res = await post('/items', deep);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: 'invalid_body', message: 'request body nests deeper than 64 levels' });
    expect(writes.length).toBe(before);
    const text = await post('/items', `${'['.repeat(500)}${']'.repeat(500)}`, { 'content-type': 'text/plain' });
    expect(text.status).toBe(400);
  });

  test('a path starting with "//" is a path, not a host followed by a path (found by npm run fuzz)', async () => {
    const res = await fetch(`${server.url}//attacker.example/items/1`);
    expect(res.status).toBe(404);
  });

  test('CORS headers only for configured origins, and preflight answered', async () => {
    const ok = await fetch(`${server.url}/items/1`, { headers: { origin: 'https://allowed.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    const other = await fetch(`${server.url}/items/1`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${server.url}/items`, { method: 'OPTIONS', headers: { origin: 'https://allowed.example' } });
    expect(preflight.status).toBe(204);
  });

  test('a CORS policy allowing no origin is no CORS: no headers, and a preflight is an unknown method (405)', async () => {
    http(
      'appWithoutOrigins',
      createHttpApp({ name: 'no-origins', log, cors: { allowedOrigins: [] }, routes: [{ method: 'POST', path: '/items', handle: () => ({ status: 201 }) }] }),
    );
    const bare = await listen(getTestServer('appWithoutOrigins'));
    try {
      const preflight = await fetch(`${bare.url}/items`, { method: 'OPTIONS', headers: { origin: 'https://allowed.example' } });
      expect(preflight.status).toBe(405);
      expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await bare.close();
    }
  });
});
