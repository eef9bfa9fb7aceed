/**
 * POST /register-app: a UI-connector token (`200 {"token": <JWT>}`, role `twilio`) for a
 * Twilio account, proven one of two ways:
 * - signed (recommended): the request carries a valid X-Twilio-Signature (checked by the
 *   gate before this runs) and names an allow-listed `accountSid`; no token in the body, no
 *   call to Twilio;
 * - the reference's body form `{accountSid, authToken}`: the pair is checked with the Twilio
 *   Accounts API (allow-listed SIDs only). A wrong or unconfigured pair is a 401; Twilio
 *   being slow or down is a 503 (the Studio widget's Fail branch), never a 401.
 *
 * Limits (per instance, see `RegisterLimits`): requests that are not Twilio-signed, per
 * source address; failed authentications, per account SID. An empty bucket answers 429
 * before Twilio is asked, so the endpoint is neither a password oracle nor a way to make
 * Twilio throttle the account.
 */
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import type { KeyedTokenBuckets } from '../../shared/rate-limit';
import type { TokenService } from './tokens';
import type { AccountVerifier } from './twilio-accounts';

export interface RegisterLimits {
  /** Charged by every request not signed by Twilio, keyed by source address. */
  perSource: KeyedTokenBuckets;
  /** Charged by every failed authentication, keyed by the account SID it named. */
  failuresPerAccount: KeyedTokenBuckets;
}

export interface RegisterAppDeps {
  accounts: AccountVerifier;
  allowedAccountSids: ReadonlySet<string>;
  tokens: TokenService;
  limits: RegisterLimits;
  log: Logger;
}

export type RegisterAppInput = { signed: true; accountSid: string } | { signed: false; accountSid: string; authToken: string };

const refused = () => new AppError('unauthenticated', 401, 'Could not authenticate user');

export const rateLimited = (retryAfterSeconds: number, what: string) =>
  new AppError('rate_limited', 429, `too many ${what}; try again later`, { retryable: true, retryAfterSeconds });

export async function handleRegisterApp(deps: RegisterAppDeps, input: RegisterAppInput): Promise<{ token: string }> {
  const { accountSid } = input;
  if (input.signed) {
    // The signature proves the request came from an account whose auth token is configured; it must also be one we serve.
    if (!deps.allowedAccountSids.has(accountSid)) {
      deps.log.info('register-app refused: signed for an account not allowed', { accountSid });
      throw refused();
    }
  } else {
    const budget = deps.limits.failuresPerAccount.peek(accountSid);
    if (!budget.allowed) {
      deps.log.warn('register-app rate limited: too many failed attempts for the account', { accountSid });
      throw rateLimited(budget.retryAfterSeconds, 'failed attempts for this account');
    }
    const verdict = await deps.accounts.verify(accountSid, input.authToken);
    if (verdict !== 'valid') {
      deps.limits.failuresPerAccount.take(accountSid);
      deps.log.info('register-app refused', { accountSid });
      // The reference's text; the same answer for an unknown account and a wrong token.
      throw refused();
    }
  }
  const { token, expiresAt } = await deps.tokens.issue(`twilio:${accountSid}`, 'twilio');
  deps.log.info('register-app token issued', { accountSid, signed: input.signed, expiresAt: expiresAt.toISOString() });
  return { token };
}
