import { createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { Secret } from '../../shared/config';
import { isAppError } from '../../shared/errors';
import { createTokenService, extractToken, type RolelessTokenPolicy } from '../../functions/ui-connector/tokens';

const KEY = 'test-ui-connector-signing-key-0123456789abcdef';
const OLD_KEY = 'previous-ui-connector-signing-key-0123456789ab';
const clock = { now: new Date('2026-11-21T10:00:00Z') };
const service = (keys = [KEY], roleless?: RolelessTokenPolicy) =>
  createTokenService({
    keys: keys.map((k) => new Secret(k)),
    project: 'ccbridge-test',
    ttlMinutes: 60,
    now: () => clock.now,
    ...(roleless ? { roleless } : {}),
  });

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');
/** A compact JWT assembled by hand, so the tests do not depend on the signer under test. */
function handMadeJwt(header: object, payload: object, key: string | undefined): string {
  const head = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const sig = key === undefined ? '' : createHmac('sha256', key).update(head).digest('base64url');
  return `${head}.${sig}`;
}
const nowSeconds = () => Math.floor(clock.now.getTime() / 1000);
const goodClaims = () => ({ exp: nowSeconds() + 600, iat: nowSeconds(), gcp_agent_assist_project: 'ccbridge-test', gcp_agent_assist_user: 'twilio:AC1' });

async function rejection(promise: Promise<unknown>): Promise<{ status: number; message: string }> {
  try {
    await promise;
  } catch (err) {
    if (isAppError(err)) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('UI-connector tokens', () => {
  test('issued tokens are HS256 with exp = iat + 60 min, the reference claims and the role', async () => {
    const { token, expiresAt } = await service().issue('twilio:AC1', 'twilio');
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const claims = decodeJwt(token);
    expect(claims).toEqual({
      iat: nowSeconds(),
      exp: nowSeconds() + 3600,
      gcp_agent_assist_project: 'ccbridge-test',
      gcp_agent_assist_user: 'twilio:AC1',
      ccbridge_role: 'twilio',
    });
    expect(expiresAt.getTime()).toBe((nowSeconds() + 3600) * 1000);
    // Signed with the configured key (the reference signed with an empty one): check by hand.
    const [h, p, s] = token.split('.');
    expect(createHmac('sha256', KEY).update(`${h}.${p}`).digest('base64url')).toBe(s);
  });

  test('a hand-made token with the right key verifies, raw or as Bearer', async () => {
    const token = handMadeJwt({ alg: 'HS256', typ: 'JWT' }, goodClaims(), KEY);
    await expect(service().verify(token)).resolves.toMatchObject({ gcp_agent_assist_user: 'twilio:AC1' });
    await expect(service().verify(`Bearer ${token}`)).resolves.toMatchObject({ gcp_agent_assist_project: 'ccbridge-test' });
  });

  test('a token from the reference /register (no iat, null user) is accepted when signed with the shared key', async () => {
    const token = handMadeJwt(
      { alg: 'HS256', typ: 'JWT' },
      { exp: nowSeconds() + 60, gcp_agent_assist_project: 'ccbridge-test', gcp_agent_assist_user: null },
      KEY,
    );
    await expect(service().verify(token)).resolves.toMatchObject({ gcp_agent_assist_user: null });
  });

  test.each([
    ['expired', () => handMadeJwt({ alg: 'HS256' }, { ...goodClaims(), exp: nowSeconds() - 120 }, KEY), 'Your token has expired.'],
    [
      'signed with another key',
      () => handMadeJwt({ alg: 'HS256' }, goodClaims(), 'some-other-key-that-is-long-enough-000000'),
      'The signature of your token is invalid.',
    ],
    ['signed with the empty key (the reference defect)', () => handMadeJwt({ alg: 'HS256' }, goodClaims(), ''), 'The signature of your token is invalid.'],
    ['alg: none', () => handMadeJwt({ alg: 'none' }, goodClaims(), undefined), 'The signing algorithm of your token is not allowed.'],
    ['alg: HS512', () => handMadeJwt({ alg: 'HS512' }, goodClaims(), KEY), 'The signing algorithm of your token is not allowed.'],
    ['without exp', () => handMadeJwt({ alg: 'HS256' }, { gcp_agent_assist_project: 'ccbridge-test' }, KEY), 'The expiration time in your token is missing.'],
    [
      'for another project',
      () => handMadeJwt({ alg: 'HS256' }, { ...goodClaims(), gcp_agent_assist_project: 'elsewhere' }, KEY),
      'The target project in your token is invalid.',
    ],
    ['without a project', () => handMadeJwt({ alg: 'HS256' }, { exp: nowSeconds() + 60 }, KEY), 'The target project in your token is missing.'],
    ['garbage', () => 'not.a.jwt', 'Failed to parse your token.'],
  ])('a token %s is a 401 with the reason', async (_what, make, message) => {
    expect(await rejection(service().verify(make()))).toEqual({ status: 401, message });
  });

  test('a missing token, or the text "undefined", is "Token is missing."', async () => {
    for (const header of [undefined, '', 'undefined', 'Bearer undefined', 'null']) {
      expect(await rejection(service().verify(header))).toEqual({ status: 401, message: 'Token is missing.' });
    }
  });

  test('during a key rotation, tokens of the previous key still verify; new tokens use the new key', async () => {
    const old = await createTokenService({ keys: [new Secret(OLD_KEY)], project: 'ccbridge-test', ttlMinutes: 60, now: () => clock.now }).issue('u', 'agent');
    const rotated = service([KEY, OLD_KEY]);
    await expect(rotated.verify(old.token)).resolves.toBeDefined();
    const fresh = await rotated.issue('u', 'agent');
    expect(
      await rejection(createTokenService({ keys: [new Secret(OLD_KEY)], project: 'ccbridge-test', ttlMinutes: 60, now: () => clock.now }).verify(fresh.token)),
    ).toMatchObject({ status: 401 });
  });

  test('a token without iat (as the reference issues them) is judged by exp alone', async () => {
    const token = await new SignJWT({ gcp_agent_assist_project: 'ccbridge-test' })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(nowSeconds() + 60)
      .sign(new TextEncoder().encode(KEY));
    await expect(service().verify(token)).resolves.toBeDefined();
  });

  test('a token verified once is remembered, but not past its exp (plus the 30 s clock tolerance), though the cache would keep it 60 s', async () => {
    const tokens = service();
    const token = handMadeJwt({ alg: 'HS256' }, { ...goodClaims(), exp: nowSeconds() + 20 }, KEY);
    await expect(tokens.verify(token)).resolves.toBeDefined();
    const start = clock.now;
    try {
      clock.now = new Date(start.getTime() + 10_000);
      await expect(tokens.verify(token)).resolves.toBeDefined();
      // exp + 31 s = 51 s after the first verification: inside the cache's 60 s, past exp and its tolerance.
      clock.now = new Date(start.getTime() + 51_000);
      expect(await rejection(tokens.verify(token))).toEqual({ status: 401, message: 'Your token has expired.' });
    } finally {
      clock.now = start;
    }
  });

  test('a token holds the role it was issued with: authorize lets it do that and nothing else (403)', async () => {
    const tokens = service();
    const twilio = (await tokens.issue('twilio:AC1', 'twilio')).token;
    const agent = (await tokens.issue('sf:005', 'agent')).token;
    await expect(tokens.authorize(twilio, 'twilio')).resolves.toMatchObject({ roles: ['twilio'], ccbridge_role: 'twilio' });
    await expect(tokens.authorize(`Bearer ${agent}`, 'agent')).resolves.toMatchObject({ roles: ['agent'] });
    expect(await rejection(tokens.authorize(agent, 'twilio'))).toMatchObject({ status: 403 });
    expect(await rejection(tokens.authorize(twilio, 'agent'))).toMatchObject({ status: 403 });
    // An invalid token is still a 401, whatever the role asked.
    expect(await rejection(tokens.authorize('garbage', 'agent'))).toMatchObject({ status: 401 });
  });

  test('a role that is not one of ours makes the token unparseable (401), not role-less', async () => {
    const token = handMadeJwt({ alg: 'HS256' }, { ...goodClaims(), ccbridge_role: 'admin' }, KEY);
    expect(await rejection(service().verify(token))).toEqual({ status: 401, message: 'Failed to parse your token.' });
  });

  test.each([
    ['agent', ['agent']],
    ['any', ['twilio', 'agent']],
  ] as const)('a token without a role (old, or from a reference /register) gets the roles of the policy %s', async (policy, roles) => {
    const token = handMadeJwt({ alg: 'HS256' }, goodClaims(), KEY);
    await expect(service([KEY], policy).verify(token)).resolves.toMatchObject({ roles });
  });

  test('a token without a role is refused under the policy reject', async () => {
    const token = handMadeJwt({ alg: 'HS256' }, goodClaims(), KEY);
    expect(await rejection(service([KEY], 'reject').verify(token))).toMatchObject({ status: 401 });
  });

  test('by default a role-less token cannot write (it reads like an agent)', async () => {
    const token = handMadeJwt({ alg: 'HS256' }, goodClaims(), KEY);
    expect(await rejection(service().authorize(token, 'twilio'))).toMatchObject({ status: 403 });
    await expect(service().authorize(token, 'agent')).resolves.toBeDefined();
  });

  test('extractToken reads raw and Bearer forms', () => {
    expect(extractToken('abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extractToken('bearer   abc.def.ghi ')).toBe('abc.def.ghi');
    expect(extractToken(undefined)).toBeUndefined();
  });
});
