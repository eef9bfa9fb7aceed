/**
 * The sample page of ccaip-sdk on the local stack, as a browser runs it: headless Chromium
 * (Debian's `chromium`) loads /ccaip-sdk/demo, whose Web SDK `authenticate` callback fetches
 * a token from /ccaip-sdk/token — signed in with an ID token of the local OIDC issuer (the
 * stack's identity provider), or as a guest that stays the same in the same browser profile.
 * The real widget script cannot be downloaded here; the page loads it only when CCAIP_HOST is
 * set, and the callback is what the widget would call. A host site on another origin (its own
 * server) checks CORS and the guest cookie as a browser applies them across origins.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { LOCAL_SDK_AUDIENCE } from '../../local/env';
import { type Stack, startStack } from '../../local/stack';
import { acceptEndUserToken } from '../support/ccaip-end-user-auth';
import { CHROMIUM, dumpDom } from '../support/chromium';

/** The DOM once the page's scripts have run (virtual time lets its fetch finish first), in a browser profile of its own. */
const pageIn = (url: string, profileDir: string) => dumpDom(url, [`--user-data-dir=${profileDir}`, '--virtual-time-budget=10000']);

const textOf = (dom: string, id: string): string => new RegExp(`<[a-z]+ id="${id}"[^>]*>([\\s\\S]*?)</[a-z]+>`).exec(dom)?.[1]?.trim() ?? '';

let stack: Stack;
let url: string;
/** The host site: a page on its own origin calling the function (allowed as http://127.0.0.1:<port>, not as http://localhost:<port>). */
let site: http.Server;
let sitePort: number;
const profiles: string[] = [];
const profile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccaip-sdk-chromium-'));
  profiles.push(dir);
  return dir;
};

const listening = async (server: http.Server, host?: string): Promise<number> => {
  await new Promise<void>((resolve) => (host ? server.listen(0, host, resolve) : server.listen(0, resolve)));
  return (server.address() as AddressInfo).port;
};

/** A host site's page: fetches a token from the function across origins, with credentials, and shows it. */
const sitePage = () => `<!DOCTYPE html><html><body><code id="token"></code><p id="error"></p><script>
var m = /id_token=([^&]+)/.exec(location.hash.slice(1));
fetch(${JSON.stringify(`${url}/token`)}, { method: 'POST', credentials: 'include', headers: m ? { authorization: 'Bearer ' + decodeURIComponent(m[1]) } : {} })
  .then(function (r) { if (!r.ok) throw new Error('status ' + r.status); return r.json(); })
  .then(function (b) { document.getElementById('token').textContent = b.token; }, function (e) { document.getElementById('error').textContent = String(e); });
</script></body></html>`;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  site = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(sitePage()));
  sitePort = await listening(site);
  const probe = http.createServer();
  const gatewayPort = await listening(probe, '127.0.0.1');
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  stack = await startStack({
    port: gatewayPort,
    functions: ['ccaip-sdk'],
    envOverrides: { SDK_CORS_ORIGINS: `http://127.0.0.1:${gatewayPort},http://127.0.0.1:${sitePort}` },
  });
  url = stack.functions['ccaip-sdk']!;
});
afterAll(async () => {
  site?.closeAllConnections();
  await new Promise<void>((resolve) => (site ? site.close(() => resolve()) : resolve()));
  await stack?.stop();
  for (const dir of profiles) rmSync(dir, { recursive: true, force: true });
});

async function verified(token: string) {
  return (await jwtVerify(token, new TextEncoder().encode(stack.credentials.ccaipCompanySecret), { algorithms: ['HS256'] })).payload;
}

test('the page holds no secret and wires the authenticate callback to the token endpoint', async () => {
  const res = await fetch(`${url}/demo`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  expect(html).not.toContain(stack.credentials.ccaipCompanySecret);
  expect(html).toContain("new URL('token', location.href)");
  expect(html).toContain('authenticate: getAuthToken');
  expect(html).toContain('CCAIP_HOST is not set');
});

test("signed in: the callback returns a token signed with the company secret for exactly the ID token's user", async () => {
  const user = {
    sub: 'e2a4c6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f',
    name: 'Grace Hopper',
    email: 'grace@example.com',
    email_verified: true,
    phone_number: '+14155550142',
  };
  const idToken = stack.oidc.mintIdToken(LOCAL_SDK_AUDIENCE, user);
  const dom = await pageIn(`${url}/demo?check=1#id_token=${idToken}`, profile());
  expect(textOf(dom, 'error')).toBe('');
  const payload = await verified(textOf(dom, 'token'));
  expect(payload).toEqual({
    iss: 'ccbridge local',
    iat: expect.any(Number),
    exp: (payload.iat as number) + 300,
    identifier: user.sub,
    name: user.name,
    email: user.email,
    phone: user.phone_number,
  });
  expect(JSON.parse(textOf(dom, 'claims').replace(/&quot;/g, '"'))).toEqual(payload);
  expect(await acceptEndUserToken(textOf(dom, 'token'), stack.credentials.ccaipCompanySecret, new Date())).toEqual({
    identifier: user.sub,
    name: user.name,
    email: user.email,
    phone: user.phone_number,
  });
});

test('an ID token for another audience: the callback fails with 401, no token on the page', async () => {
  const idToken = stack.oidc.mintIdToken('another-client', { sub: 'someone' });
  const dom = await pageIn(`${url}/demo?check=1#id_token=${idToken}`, profile());
  expect(textOf(dom, 'error')).toMatch(/token endpoint answered 401: the ID token was refused \(wrong audience\)/);
  expect(textOf(dom, 'token')).toBe('');
});

test('a guest keeps the same identifier in the same browser, and another browser is another guest', async () => {
  const browser = profile();
  const identifierIn = async (dir: string) => {
    const dom = await pageIn(`${url}/demo?check=1`, dir);
    expect(textOf(dom, 'error')).toBe('');
    return (await verified(textOf(dom, 'token')))['identifier'] as string;
  };
  const first = await identifierIn(browser);
  expect(first).toMatch(/^guest-[A-Za-z0-9_-]{22}$/);
  expect(await identifierIn(browser)).toBe(first);
  expect(await identifierIn(profile())).not.toBe(first);
});

test("a host site on an allowed origin gets the signed-in user's token across origins; the same page on another origin gets none", async () => {
  const user = { sub: '7d1f3a5c-9e2b-4c6d-8f0a-1b3c5d7e9f21', name: 'Katherine Johnson', email: 'katherine@example.com', email_verified: true };
  const idToken = stack.oidc.mintIdToken(LOCAL_SDK_AUDIENCE, user);
  const allowed = await pageIn(`http://127.0.0.1:${sitePort}/#id_token=${idToken}`, profile());
  expect(textOf(allowed, 'error')).toBe('');
  expect(await acceptEndUserToken(textOf(allowed, 'token'), stack.credentials.ccaipCompanySecret, new Date())).toEqual({
    identifier: user.sub,
    name: user.name,
    email: user.email,
  });

  // http://localhost:<port> is another origin: the function refuses it and the browser shows the page nothing.
  const foreign = await pageIn(`http://localhost:${sitePort}/#id_token=${idToken}`, profile());
  expect(textOf(foreign, 'token')).toBe('');
  expect(textOf(foreign, 'error')).toMatch(/Failed to fetch|status 403/);
});

test('across origins, the HttpOnly guest cookie alone keeps a visitor the same guest', async () => {
  const browser = profile();
  const guestIn = async (dir: string) => {
    const dom = await pageIn(`http://127.0.0.1:${sitePort}/`, dir);
    expect(textOf(dom, 'error')).toBe('');
    return (await verified(textOf(dom, 'token')))['identifier'] as string;
  };
  const first = await guestIn(browser);
  expect(first).toMatch(/^guest-/);
  expect(await guestIn(browser)).toBe(first);
  expect(await guestIn(profile())).not.toBe(first);
});
