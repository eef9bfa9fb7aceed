/**
 * A stand-in for what CCAI Platform does with a host-signed end-user JWT (the SDK sends it to
 * the platform, which verifies it and issues its own auth token): the documented rules only
 * (docs/contracts/ccai-platform-sdk.md) — HS256 signed with the company secret; `iat` and
 * `exp` required; `phone`, when present, in E.164; no identifier means an anonymous guest.
 * Tests hand it every token the function signs, so a token the platform would refuse fails.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';

export interface PlatformEndUser {
  /** Undefined: the platform creates an anonymous guest account. */
  identifier: string | undefined;
  name?: string;
  email?: string;
  phone?: string;
}

const E164 = /^\+[1-9]\d{1,14}$/;

export async function acceptEndUserToken(token: string, companySecret: string, now: Date): Promise<PlatformEndUser> {
  const header = decodeProtectedHeader(token);
  if (header.alg !== 'HS256') throw new Error(`refused: alg ${String(header.alg)}, HS256 expected`);
  const { payload } = await jwtVerify(token, new TextEncoder().encode(companySecret), {
    algorithms: ['HS256'],
    currentDate: now,
    requiredClaims: ['iat', 'exp'],
  });
  const text = (key: string): string | undefined => {
    const v = payload[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw new Error(`refused: ${key} is not a string`);
    return v;
  };
  const phone = text('phone');
  if (phone !== undefined && !E164.test(phone)) throw new Error('refused: phone is not in E.164');
  const user: PlatformEndUser = { identifier: text('identifier') };
  for (const key of ['name', 'email'] as const) {
    const v = text(key);
    if (v !== undefined) user[key] = v;
  }
  if (phone !== undefined) user.phone = phone;
  return user;
}
