/**
 * ccaip-sdk over HTTP on the Functions Framework, against a fake OIDC provider served through
 * the injected fetch, with an injected clock: the CCAI Platform tokens it signs verify with the
 * company secret and carry exactly the verified claims; nothing a caller writes becomes an
 * identity; guests stay guests; CORS and the rate limit hold.
 */
import { jest } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, UnsecuredJWT } from 'jose';
import { ConfigError } from '../../shared/config';
import { composeCcaipSdk } from '../../functions/ccaip-sdk/compose';
import { acceptEndUserToken } from '../support/ccaip-end-user-auth';
import { AUDIENCE, COMPANY_SECRET, ISSUER, SITE, type SdkUnderTest, startCcaipSdk } from '../support/ccaip-sdk-fixture';

const secretKey = new TextEncoder().encode(COMPANY_SECRET);
const USER = {
  sub: 'a3c1e7f0-5b2d-4c1e-9f7a-2d6b8e4c0a11',
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  email_verified: true,
  phone_number: '(415) 555-2671',
};

let sdk: SdkUnderTest;
afterEach(() => sdk?.stop());

const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

async function tokenOf(res: Response): Promise<{ token: string; guest?: string }> {
  expect(res.status).toBe(200);
  return (await res.json()) as { token: string; guest?: string };
}

describe('tokens for signed-in users', () => {
  beforeEach(async () => {
    sdk = await startCcaipSdk();
  });

  it.each(['GET', 'POST'])('%s /token: HS256 with the company secret, exactly the verified claims, a short exp', async (method) => {
    const res = await fetch(`${sdk.url}/token`, { method, headers: bearer(await sdk.idp.mint(USER)) });
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { token, guest } = await tokenOf(res);
    expect(guest).toBeUndefined();
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, secretKey, { algorithms: ['HS256'], currentDate: new Date(sdk.clock.now) });
    const iat = Math.floor(sdk.clock.now / 1000);
    expect(payload).toEqual({
      iss: 'Example Shop',
      iat,
      exp: iat + 300,
      identifier: USER.sub,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+14155552671',
    });
    // ...and CCAI Platform (its documented rules) takes it for that user.
    expect(await acceptEndUserToken(token, COMPANY_SECRET, new Date(sdk.clock.now))).toEqual({
      identifier: USER.sub,
      name: 'Ada Lovelace',
      email: 'ada@example.com',
      phone: '+14155552671',
    });
  });

  it('a token signed with any other key does not verify with the company secret (the test can fail)', async () => {
    const { token } = await tokenOf(await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER)) }));
    await expect(jwtVerify(token, new TextEncoder().encode(`${COMPANY_SECRET}x`))).rejects.toThrow(/signature/);
  });

  it("a POST body setting identifier, email or phone is ignored: the token carries the ID token's claims", async () => {
    const res = await fetch(`${sdk.url}/token`, {
      method: 'POST',
      headers: { ...bearer(await sdk.idp.mint(USER)), 'content-type': 'application/json' },
      body: JSON.stringify({ identifier: 'victim-uuid', email: 'victim@example.com', phone: '+442079460958', name: 'Mallory' }),
    });
    const claims = decodeJwt((await tokenOf(res)).token);
    expect([claims['identifier'], claims['email'], claims['phone'], claims['name']]).toEqual([USER.sub, USER.email, '+14155552671', USER.name]);
  });

  it('an unverified email or phone of the provider is left out; a missing name is not invented', async () => {
    const t = await sdk.idp.mint({
      sub: 'user-2',
      email: 'eve@example.com',
      email_verified: false,
      phone_number: '+14155550100',
      phone_number_verified: false,
    });
    const claims = decodeJwt((await tokenOf(await fetch(`${sdk.url}/token`, { headers: bearer(t) }))).token);
    expect(Object.keys(claims).sort()).toEqual(['exp', 'iat', 'identifier', 'iss']);
  });

  it.each([
    ['forged (signed with a key the provider never published)', (s: SdkUnderTest) => s.idp.forge(USER), /bad signature/],
    ['expired', (s: SdkUnderTest) => s.idp.mint(USER, { iatOffset: -7200, ttl: 3600 }), /expired/],
    ['for another audience', (s: SdkUnderTest) => s.idp.mint(USER, { audience: 'another-app' }), /wrong audience/],
    ['from another issuer', (s: SdkUnderTest) => s.idp.mint(USER, { issuer: 'https://evil.example/' }), /wrong issuer/],
    ['issued in the future beyond the tolerated skew', (s: SdkUnderTest) => s.idp.mint(USER, { iatOffset: 600 }), /not yet valid/],
    [
      'unsigned (alg none)',
      async (s: SdkUnderTest) =>
        new UnsecuredJWT(USER)
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(Math.floor(s.clock.now / 1000))
          .setExpirationTime('1h')
          .encode(),
      /./,
    ],
    [
      'HS256 with the company secret itself',
      async (s: SdkUnderTest) =>
        new SignJWT(USER)
          .setProtectedHeader({ alg: 'HS256', kid: 'key-1' })
          .setIssuer(ISSUER)
          .setAudience(AUDIENCE)
          .setIssuedAt(Math.floor(s.clock.now / 1000))
          .setExpirationTime('1h')
          .sign(secretKey),
      /algorithm not allowed/,
    ],
    ['not a JWT', async () => 'not-a-jwt', /malformed/],
    [
      'for several audiences including ours, issued to another party (azp)',
      (s: SdkUnderTest) => s.idp.mint({ ...USER, azp: 'another-app' }, { audience: [AUDIENCE, 'another-app'] }),
      /another party/,
    ],
  ])('an ID token %s → 401, nothing signed', async (_what, make, reason) => {
    const res = await fetch(`${sdk.url}/token`, { headers: bearer(await make(sdk)) });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { code: string; message: string; token?: string };
    expect(body.code).toBe('unauthenticated');
    expect(body.message).toMatch(reason);
    expect(body.token).toBeUndefined();
  });

  it('accepts a token for several audiences issued to ours (azp = our client id)', async () => {
    expect(
      (await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint({ ...USER, azp: AUDIENCE }, { audience: [AUDIENCE, 'api://backend'] })) })).status,
    ).toBe(200);
  });

  it('tolerates the configured clock skew: iat 30 s ahead and exp 30 s past are accepted', async () => {
    expect((await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER, { iatOffset: 30 })) })).status).toBe(200);
    expect((await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER, { iatOffset: -3630, ttl: 3600 })) })).status).toBe(200);
    expect((await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER, { iatOffset: -3700, ttl: 3600 })) })).status).toBe(401);
  });

  it('without an ID token and without guests → 401', async () => {
    const res = await fetch(`${sdk.url}/token`);
    expect(res.status).toBe(401);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('keys are fetched once and cached; a token under a rotated key makes it fetch them again', async () => {
    for (let i = 0; i < 3; i++) await tokenOf(await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER)) }));
    const afterWarm = sdk.idp.fetchCount();
    expect(afterWarm).toBe(2); // discovery + JWK Set
    await sdk.idp.rotate();
    // Within jose's cool-down (30 s, on its own Date.now clock) an unknown key id fetches nothing: a flood of them cannot hammer the provider.
    expect((await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER)) })).status).toBe(401);
    expect(sdk.idp.fetchCount()).toBe(afterWarm);
    const realNow = Date.now.bind(Date);
    const later = jest.spyOn(Date, 'now').mockImplementation(() => realNow() + 31_000);
    try {
      await tokenOf(await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER)) }));
    } finally {
      later.mockRestore();
    }
    expect(sdk.idp.fetchCount()).toBe(afterWarm + 1);
  });

  it("the provider's keys unreachable → 503 with Retry-After (not a 401 the page would treat as signed out)", async () => {
    sdk.idp.down = true;
    const res = await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER)) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it("logs neither the tokens nor the user's identifier, email or phone", async () => {
    const idToken = await sdk.idp.mint(USER);
    const { token } = await tokenOf(await fetch(`${sdk.url}/token`, { headers: bearer(idToken) }));
    await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.forge(USER)) });
    const all = sdk.logs.join('\n');
    expect(sdk.logs.some((l) => l.includes('end-user token issued'))).toBe(true);
    for (const s of [idToken, token, USER.sub, USER.email, '4155552671', COMPANY_SECRET]) expect(all).not.toContain(s);
  });
});

describe.each(['x509', 'spki'] as const)("keys published as Google's {kid: PEM} (%s, Firebase's documented format)", (format) => {
  it('verifies ID tokens against them, and still refuses a forged one', async () => {
    sdk = await startCcaipSdk({}, format);
    const { payload } = await jwtVerify((await tokenOf(await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint(USER)) }))).token, secretKey, {
      currentDate: new Date(sdk.clock.now),
    });
    expect(payload['identifier']).toBe(USER.sub);
    expect((await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.forge(USER)) })).status).toBe(401);
  });
});

describe("the mobile SDKs' payload (POST /sign)", () => {
  beforeEach(async () => {
    sdk = await startCcaipSdk({ SDK_MOBILE_ALLOWED_FIELDS: 'device_token,push_provider' });
  });
  const sign = async (body: unknown, idToken?: string) =>
    fetch(`${sdk.url}/sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(idToken ? bearer(idToken) : {}) },
      body: JSON.stringify(body),
    });

  it('adds the allowed fields (as the body or wrapped in "payload") to the verified identity', async () => {
    const idToken = await sdk.idp.mint(USER);
    for (const body of [{ device_token: 'apns-0f1e2d', push_provider: 'apns' }, { payload: { device_token: 'apns-0f1e2d', push_provider: 'apns' } }]) {
      const { payload } = await jwtVerify((await tokenOf(await sign(body, idToken))).token, secretKey, { currentDate: new Date(sdk.clock.now) });
      expect(payload).toMatchObject({ identifier: USER.sub, email: USER.email, device_token: 'apns-0f1e2d', push_provider: 'apns' });
      expect(Object.keys(payload).sort()).toEqual(['device_token', 'email', 'exp', 'iat', 'identifier', 'iss', 'name', 'phone', 'push_provider']);
    }
  });

  it.each([
    [{ device_token: 'apns-1', identifier: 'victim-uuid' }, ['identifier']],
    [
      { payload: { device_token: 'apns-1', email: 'victim@example.com', phone: '+14155550000', name: 'Mallory' }, payloadType: 'authToken' },
      ['payloadType', 'email', 'phone', 'name'],
    ],
    [{ device_token: 'apns-1', exp: 9999999999, iss: 'someone', custom_role: 'admin' }, ['exp', 'iss', 'custom_role']],
  ])("leaves out identity keys and fields not allowed from %j: the token is the ID token's user, the answer names what was left out", async (body, ignored) => {
    const res = await sign(body, await sdk.idp.mint(USER));
    const answer = (await res.json()) as { token: string; ignored: string[] };
    expect(res.status).toBe(200);
    expect(answer.ignored).toEqual(ignored);
    const user = await acceptEndUserToken(answer.token, COMPANY_SECRET, new Date(sdk.clock.now));
    expect(user).toEqual({ identifier: USER.sub, name: USER.name, email: USER.email, phone: '+14155552671' });
    const { payload } = await jwtVerify(answer.token, secretKey, { currentDate: new Date(sdk.clock.now) });
    expect(Object.keys(payload).sort()).toEqual(['device_token', 'email', 'exp', 'iat', 'identifier', 'iss', 'name', 'phone']);
    expect(payload['exp']).toBe(Math.floor(sdk.clock.now / 1000) + 300);
  });

  it.each([
    [{ device_token: { nested: true } }, /device_token must be a non-blank string/],
    [{ device_token: 42 }, /device_token must be a non-blank string/],
    [{ device_token: '  ' }, /device_token must be a non-blank string/],
    [{ device_token: 'abc\u0000def' }, /device_token must be a non-blank string/],
    [{ device_token: 'abc\u202edef' }, /printable ASCII/],
    [{ device_token: 'undefined' }, /not a placeholder/],
    [{ payload: { device_token: 'NULL' } }, /not a placeholder/],
    [{ payload: 'device_token' }, /payload must be a JSON object/],
    [['device_token'], /must be a JSON object/],
  ])('refuses %j with 400, nothing signed', async (body, message) => {
    const res = await sign(body, await sdk.idp.mint(USER));
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { message: string; token?: string };
    expect(answer.message).toMatch(message);
    expect(answer.token).toBeUndefined();
  });

  it('logs the names of the keys left out, never their values', async () => {
    await tokenOf(await sign({ device_token: 'apns-1', email: 'victim@example.com' }, await sdk.idp.mint(USER)));
    const line = sdk.logs.find((l) => l.includes('mobile payload keys left out'));
    expect(line).toContain('"ignored":["email"]');
    expect(sdk.logs.join('\n')).not.toContain('victim@example.com');
  });

  it('without an ID token (guests off) → 401 even with a well-formed payload', async () => {
    expect((await sign({ device_token: 'x' })).status).toBe(401);
  });

  it('a bad body is refused before anything is signed, and a bad ID token is 401 whatever the body', async () => {
    expect(
      (await fetch(`${sdk.url}/sign`, { method: 'POST', headers: { 'content-type': 'text/plain', ...bearer(await sdk.idp.mint(USER)) }, body: '{not json' }))
        .status,
    ).toBe(400);
    expect((await sign({ device_token: 'x' }, await sdk.idp.forge(USER))).status).toBe(401);
  });
});

describe('guests', () => {
  beforeEach(async () => {
    sdk = await startCcaipSdk({ SDK_ALLOW_GUESTS: 'true' });
  });
  const guestToken = async (headers: Record<string, string> = {}) => {
    const res = await fetch(`${sdk.url}/token`, { method: 'POST', headers });
    const body = await tokenOf(res);
    return { ...body, identifier: decodeJwt(body.token)['identifier'] as string, cookie: res.headers.get('set-cookie') };
  };

  it('a visitor without an ID token gets a guest identifier in the guest namespace, kept in an HttpOnly cookie', async () => {
    const first = await guestToken();
    expect(first.identifier).toMatch(/^guest-[A-Za-z0-9_-]{22}$/);
    expect(await acceptEndUserToken(first.token, COMPANY_SECRET, new Date(sdk.clock.now))).toEqual({ identifier: first.identifier });
    expect(first.cookie).toMatch(/^ccaip_guest=guest-[^;]+; Max-Age=15552000; HttpOnly; Secure; SameSite=None$/);
    expect(Object.keys(decodeJwt(first.token)).sort()).toEqual(['exp', 'iat', 'identifier', 'iss']);
  });

  it('stays the same guest in the same browser (cookie or the signed value the page keeps), a new one in another', async () => {
    const first = await guestToken();
    const cookie = first.cookie!.split(';')[0]!;
    expect((await guestToken({ cookie })).identifier).toBe(first.identifier);
    expect((await guestToken({ 'x-ccaip-guest': first.guest! })).identifier).toBe(first.identifier);
    expect((await guestToken()).identifier).not.toBe(first.identifier);
  });

  it('a guest value with a forged signature or another identifier is not believed: a fresh guest instead', async () => {
    const first = await guestToken();
    const [id, mac] = [first.guest!.slice(0, first.guest!.lastIndexOf('.')), first.guest!.slice(first.guest!.lastIndexOf('.') + 1)];
    const tampered = [`${id}.${mac.slice(0, -2)}AA`, `guest-AAAAAAAAAAAAAAAAAAAAAA.${mac}`, `${USER.sub}.${mac}`, 'victim-uuid'];
    for (const guest of tampered) {
      const next = await guestToken({ 'x-ccaip-guest': guest });
      expect(next.identifier).toMatch(/^guest-/);
      expect([first.identifier, USER.sub, 'victim-uuid']).not.toContain(next.identifier);
    }
  });

  it('guest and real identifiers never meet: a provider identifier in the guest namespace is refused (403)', async () => {
    const res = await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.mint({ ...USER, sub: 'GUEST-AAAAAAAAAAAAAAAAAAAAAA' })) });
    expect(res.status).toBe(403);
    // ...and a signed-in user with a guest cookie is the user, not the guest.
    const guest = await guestToken();
    const user = await fetch(`${sdk.url}/token`, { headers: { ...bearer(await sdk.idp.mint(USER)), 'x-ccaip-guest': guest.guest! } });
    expect(decodeJwt((await tokenOf(user)).token)['identifier']).toBe(USER.sub);
    expect(user.headers.get('set-cookie')).toBeNull();
  });

  it('an invalid ID token is 401, never downgraded to a guest', async () => {
    expect((await fetch(`${sdk.url}/token`, { headers: bearer(await sdk.idp.forge(USER)) })).status).toBe(401);
  });
});

describe('CORS and the rate limit', () => {
  it("answers the configured site's preflight and requests with credentials allowed; refuses other sites", async () => {
    sdk = await startCcaipSdk();
    const preflight = await fetch(`${sdk.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: SITE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(SITE);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');

    const ok = await fetch(`${sdk.url}/token`, { method: 'POST', headers: { origin: SITE, ...bearer(await sdk.idp.mint(USER)) } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(SITE);

    const foreign = await fetch(`${sdk.url}/token`, { method: 'POST', headers: { origin: 'https://evil.example', ...bearer(await sdk.idp.mint(USER)) } });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(((await foreign.json()) as { token?: string }).token).toBeUndefined();
    const foreignPreflight = await fetch(`${sdk.url}/token`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(foreignPreflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it("limits each client per minute (429 with Retry-After), by the address Google's front end appended, and refills with the clock", async () => {
    sdk = await startCcaipSdk({ SDK_RATE_LIMIT_PER_MINUTE: '3', SDK_ALLOW_GUESTS: 'true' });
    const from = (addr: string) => ({ 'x-forwarded-for': `spoofed-${Math.random()}, ${addr}` });
    for (let i = 0; i < 3; i++) expect((await fetch(`${sdk.url}/token`, { headers: from('203.0.113.7') })).status).toBe(200);
    const limited = await fetch(`${sdk.url}/token`, { headers: from('203.0.113.7') });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('20');
    expect(((await limited.json()) as { token?: string }).token).toBeUndefined();
    expect((await fetch(`${sdk.url}/token`, { headers: from('198.51.100.2') })).status).toBe(200);
    sdk.clock.now += 20_000;
    expect((await fetch(`${sdk.url}/token`, { headers: from('203.0.113.7') })).status).toBe(200);
    expect((await fetch(`${sdk.url}/token`, { headers: from('203.0.113.7') })).status).toBe(429);
  });

  it("with SDK_FORWARDED_HOPS=1 the client is the entry before the platform's own proxy", async () => {
    sdk = await startCcaipSdk({ SDK_RATE_LIMIT_PER_MINUTE: '1', SDK_ALLOW_GUESTS: 'true', SDK_FORWARDED_HOPS: '1' });
    const via = (client: string) => ({ 'x-forwarded-for': `${client}, 35.191.0.1` });
    expect((await fetch(`${sdk.url}/token`, { headers: via('203.0.113.7') })).status).toBe(200);
    expect((await fetch(`${sdk.url}/token`, { headers: via('203.0.113.7') })).status).toBe(429);
    expect((await fetch(`${sdk.url}/token`, { headers: via('198.51.100.2') })).status).toBe(200);
  });
});

describe('configuration', () => {
  const base = { GCP_PROJECT: 'ccbridge-test', CCAIP_COMPANY_SECRET: COMPANY_SECRET, SDK_OIDC_ISSUER: ISSUER, SDK_OIDC_AUDIENCE: AUDIENCE };
  it('refuses identity keys among the mobile fields, a bad guest prefix, and lists every bad key', () => {
    expect(() =>
      composeCcaipSdk(
        { ...base, SDK_MOBILE_ALLOWED_FIELDS: 'device_token,email', SDK_GUEST_PREFIX: 'G', SDK_TOKEN_TTL_SECONDS: '86400' },
        {},
        { log: () => {} },
      ),
    ).toThrow(ConfigError);
    try {
      composeCcaipSdk(
        { ...base, SDK_MOBILE_ALLOWED_FIELDS: 'device_token,email', SDK_GUEST_PREFIX: 'G', SDK_TOKEN_TTL_SECONDS: '86400' },
        {},
        { log: () => {} },
      );
    } catch (err) {
      expect((err as ConfigError).problems.map((p) => p.split(':')[0])).toEqual(['SDK_TOKEN_TTL_SECONDS', 'SDK_GUEST_PREFIX', 'SDK_MOBILE_ALLOWED_FIELDS.1']);
    }
  });
  it('requires the company secret, the issuer and an audience', () => {
    expect(() => composeCcaipSdk({}, {}, { log: () => {} })).toThrow(/CCAIP_COMPANY_SECRET[\s\S]*SDK_OIDC_ISSUER[\s\S]*SDK_OIDC_AUDIENCE/);
  });
});
