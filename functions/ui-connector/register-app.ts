/**
 * POST /register-app: a Twilio account's SID and auth token in, a UI-connector token out
 * (`200 {"token": <JWT>}`), as the reference does. A wrong or unconfigured pair is a 401;
 * Twilio being slow or down is a 503 (the Studio widget's Fail branch), never a 401.
 */
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import type { RegisterAppBody } from './inputs';
import type { TokenService } from './tokens';
import type { AccountVerifier } from './twilio-accounts';

export interface RegisterAppDeps {
  accounts: AccountVerifier;
  tokens: TokenService;
  log: Logger;
}

export async function handleRegisterApp(deps: RegisterAppDeps, input: RegisterAppBody): Promise<{ token: string }> {
  const verdict = await deps.accounts.verify(input.accountSid, input.authToken);
  if (verdict !== 'valid') {
    deps.log.info('register-app refused', { accountSid: input.accountSid });
    // The reference's text; the same answer for an unknown account and a wrong token.
    throw new AppError('unauthenticated', 401, 'Could not authenticate user');
  }
  const { token, expiresAt } = await deps.tokens.issue(`twilio:${input.accountSid}`);
  deps.log.info('register-app token issued', { accountSid: input.accountSid, expiresAt: expiresAt.toISOString() });
  return { token };
}
