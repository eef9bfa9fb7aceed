/**
 * The sample page of ccaip-sdk on the local stack, as a browser runs it: headless Chromium
 * (Debian's `chromium`) loads /ccaip-sdk/demo, whose Web SDK `authenticate` callback fetches
 * a token from /ccaip-sdk/token — signed in with an ID token of the local OIDC issuer (the
 * stack's identity provider), or as a guest that stays the same in the same browser profile.
 * The real widget script cannot be downloaded here; the page loads it only when CCAIP_HOST is
 * set, and the callback is what the widget would call.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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
const profiles: string[] = [];
const profile = () => {
  const dir = mkdtempSync(join(tmpdir(), 'ccaip-sdk-chromium-'));
  profiles.push(dir);
  return dir;
};

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  stack = await startStack({ functions: ['ccaip-sdk'] });
  url = stack.functions['ccaip-sdk']!;
});
afterAll(async () => {
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

test('signed in: the callback returns a token signed with the company secret for exactly the ID token\'s user', async () => {
  const user = { sub: 'e2a4c6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f', name: 'Grace Hopper', email: 'grace@example.com', email_verified: true, phone_number: '+14155550142' };
  const idToken = stack.oidc.mintIdToken(LOCAL_SDK_AUDIENCE, user);
  const dom = await pageIn(`${url}/demo?check=1#id_token=${idToken}`, profile());
  expect(textOf(dom, 'error')).toBe('');
  const payload = await verified(textOf(dom, 'token'));
  expect(payload).toEqual({ iss: 'ccbridge local', iat: expect.any(Number), exp: (payload.iat as number) + 300, identifier: user.sub, name: user.name, email: user.email, phone: user.phone_number });
  expect(JSON.parse(textOf(dom, 'claims').replace(/&quot;/g, '"'))).toEqual(payload);
  expect(await acceptEndUserToken(textOf(dom, 'token'), stack.credentials.ccaipCompanySecret, new Date())).toEqual({ identifier: user.sub, name: user.name, email: user.email, phone: user.phone_number });
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
