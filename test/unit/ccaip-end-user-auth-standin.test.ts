/** The CCAI Platform end-user token stand-in refuses what the documentation says the platform refuses. */
import { SignJWT } from 'jose';
import { acceptEndUserToken } from '../support/ccaip-end-user-auth';

const SECRET = 'company-secret-of-the-ccaip-tenant-0123456789';
const NOW = new Date(Date.UTC(2026, 11, 4, 9, 0, 0));
const iat = Math.floor(NOW.getTime() / 1000);

async function token(payload: Record<string, unknown>, options: { alg?: string; secret?: string } = {}): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: options.alg ?? 'HS256' }).sign(new TextEncoder().encode(options.secret ?? SECRET));
}

it('accepts a documented token and reads the end user; no identifier is an anonymous guest', async () => {
  expect(
    await acceptEndUserToken(
      await token({ iat, exp: iat + 300, identifier: 'u-1', name: 'Ada', email: 'ada@example.com', phone: '+14155552671' }),
      SECRET,
      NOW,
    ),
  ).toEqual({
    identifier: 'u-1',
    name: 'Ada',
    email: 'ada@example.com',
    phone: '+14155552671',
  });
  expect(await acceptEndUserToken(await token({ iat, exp: iat + 300 }), SECRET, NOW)).toEqual({ identifier: undefined });
});

it.each([
  ['signed with another secret', () => token({ iat, exp: iat + 300 }, { secret: `${SECRET}-other` }), /signature/],
  ['HS512', () => token({ iat, exp: iat + 300 }, { alg: 'HS512' }), /HS256 expected/],
  ['without exp', () => token({ iat }), /exp/],
  ['without iat', () => token({ exp: iat + 300 }), /iat/],
  ['expired', () => token({ iat: iat - 600, exp: iat - 300 }), /exp/],
  ['a phone not in E.164', () => token({ iat, exp: iat + 300, phone: '(415) 555-2671' }), /E\.164/],
])('refuses a token %s', async (_what, make, reason) => {
  await expect(acceptEndUserToken(await make(), SECRET, NOW)).rejects.toThrow(reason);
});
