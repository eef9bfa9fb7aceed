/**
 * Zoom downloads carry the account's bearer token, so they go over https only, to the
 * allow-listed Zoom hosts only, and a redirect is followed only to such a host
 * (docs/contracts/zoom.md#download-urls). Observed from outside: a "foreign" server on another
 * loopback port counts what reaches it, and a hook on the client's got instance records every
 * request it starts, so "refused" means "nothing left the process".
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createZoomApiClient, createZoomHttp } from '../../shared/zoom/api-client';
import { ZoomUrlNotAllowedError } from '../../shared/zoom/errors';

interface Seen {
  path: string;
  authorization: string | undefined;
}
const allowedSeen: Seen[] = [];
const foreignSeen: Seen[] = [];
let allowed: http.Server;
let foreign: http.Server;
let allowedBase = '';
let foreignBase = '';

const serve = (seen: Seen[], handle: (req: http.IncomingMessage, res: http.ServerResponse) => void) =>
  http.createServer((req, res) => {
    seen.push({ path: req.url ?? '', authorization: req.headers.authorization });
    handle(req, res);
  });
const listen = async (server: http.Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

beforeAll(async () => {
  foreign = serve(foreignSeen, (_req, res) => res.writeHead(200, { 'content-type': 'audio/mpeg' }).end('stolen'));
  foreignBase = await listen(foreign);
  allowed = serve(allowedSeen, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const to = url.searchParams.get('to');
    if (url.pathname === '/redirect' && to) res.writeHead(302, { location: to }).end();
    else if (url.pathname === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': '4' }).end('file');
  });
  allowedBase = await listen(allowed);
});
afterAll(async () => {
  await new Promise<void>((resolve) => allowed.close(() => resolve()));
  await new Promise<void>((resolve) => foreign.close(() => resolve()));
});
beforeEach(() => {
  allowedSeen.length = 0;
  foreignSeen.length = 0;
  started.length = 0;
});

const started: string[] = [];
const got = createZoomHttp().extend({ hooks: { beforeRequest: [(o) => void started.push(String(o.url))] } });
const tokens = { getToken: async () => 'secret-bearer-token', invalidate: () => undefined, fetches: 0 };
const client = () => createZoomApiClient({ apiBaseUrl: `${allowedBase}/v2`, tokens, downloadHosts: [new URL(allowedBase).host, 'api.zoom.us'] }, got);
const read = async (body: NodeJS.ReadableStream) => {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

describe('Zoom downloads', () => {
  it('fetch an allow-listed URL with the bearer token', async () => {
    const download = await client().openDownload(`${allowedBase}/v2/contact_center/recording/download/r1?type=voice`);
    expect(await read(download.body)).toBe('file');
    expect(allowedSeen).toEqual([{ path: '/v2/contact_center/recording/download/r1?type=voice', authorization: 'Bearer secret-bearer-token' }]);
  });

  it('refuse plain http to a Zoom host before any request is made (the token would travel in clear)', async () => {
    await expect(client().openDownload('http://api.zoom.us/v2/contact_center/recording/download/r1')).rejects.toBeInstanceOf(ZoomUrlNotAllowedError);
    expect(started).toEqual([]);
  });

  it('refuse a host off the allow-list, and a URL carrying credentials, without any request', async () => {
    await expect(client().openDownload(`${foreignBase}/v2/contact_center/recording/download/r1`)).rejects.toBeInstanceOf(ZoomUrlNotAllowedError);
    await expect(client().openDownload('https://user:pw@api.zoom.us/x')).rejects.toBeInstanceOf(ZoomUrlNotAllowedError);
    await expect(client().openDownload('ftp://api.zoom.us/x')).rejects.toBeInstanceOf(ZoomUrlNotAllowedError);
    expect(started).toEqual([]);
    expect(foreignSeen).toEqual([]);
  });

  it('do not follow a redirect off the allow-listed hosts: nothing reaches the foreign host, the token least of all', async () => {
    const to = encodeURIComponent(`${foreignBase}/steal`);
    await expect(client().openDownload(`${allowedBase}/redirect?to=${to}`)).rejects.toBeInstanceOf(ZoomUrlNotAllowedError);
    expect(foreignSeen).toEqual([]);
    expect(started).toEqual([`${allowedBase}/redirect?to=${to}`]);
  });

  it('do not follow a redirect to plain http, even on a Zoom host', async () => {
    await expect(client().openDownload(`${allowedBase}/redirect?to=${encodeURIComponent('http://api.zoom.us/x')}`)).rejects.toBeInstanceOf(
      ZoomUrlNotAllowedError,
    );
    expect(started).toHaveLength(1);
  });

  it('follow a redirect that stays on an allow-listed host, checked again, and stop a redirect loop', async () => {
    const download = await client().openDownload(
      `${allowedBase}/redirect?to=${encodeURIComponent('/v2/contact_center/inbox/message/download/v1?type=voicemail')}`,
    );
    expect(await read(download.body)).toBe('file');
    expect(allowedSeen.map((s) => s.path)).toEqual([expect.stringMatching(/^\/redirect/), '/v2/contact_center/inbox/message/download/v1?type=voicemail']);
    await expect(client().openDownload(`${allowedBase}/loop`)).rejects.toMatchObject({ message: expect.stringContaining('redirects') });
    expect(foreignSeen).toEqual([]);
  });
});
