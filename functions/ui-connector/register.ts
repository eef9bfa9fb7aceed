/**
 * POST /register, Salesforce flavour (the reference's AUTH_OPTION=SalesforceLWC): the
 * Lightning component sends `Authorization: Bearer <Salesforce access token>` obtained
 * with the client-credentials flow, and no body. A token of a configured org gets a
 * ui-connector token with register-app's claims, the Salesforce user as
 * `gcp_agent_assist_user` and `ccbridge_role: "agent"`; anything else is a 401 with a
 * message; Salesforce slow or down is a 503.
 */
import { AppError } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import type { SalesforceTokenVerifier } from './salesforce-userinfo';
import type { TokenService } from './tokens';

export interface RegisterDeps {
  salesforce: SalesforceTokenVerifier;
  tokens: TokenService;
  log: Logger;
}

/** The role claim of tokens issued to agents' desktops (read mappings, proxy, socket). */
const AGENT_ROLE = 'agent' as const;

const refused = () => new AppError('unauthenticated', 401, 'Could not authenticate user');

/** "Bearer <token>", case-insensitive scheme; Salesforce tokens contain "!" and ".", never spaces. */
function readBearer(authorization: string | undefined): string | undefined {
  const match = /^\s*Bearer\s+([\x21-\x7e]{1,4096})\s*$/i.exec(authorization ?? '');
  const token = match?.[1];
  return token === undefined || token === 'undefined' || token === 'null' ? undefined : token;
}

export async function handleRegister(deps: RegisterDeps, authorization: string | undefined): Promise<{ token: string }> {
  const accessToken = readBearer(authorization);
  if (!accessToken) {
    deps.log.info('register refused', { reason: 'no bearer token' });
    throw refused();
  }
  const check = await deps.salesforce.verify(accessToken);
  if (check.verdict !== 'valid') {
    deps.log.info('register refused', { reason: check.reason });
    throw refused();
  }
  const user = `salesforce:${check.user.organization_id}/${check.user.user_id}`;
  const { token, expiresAt } = await deps.tokens.issue(user, AGENT_ROLE);
  deps.log.info('register token issued', { salesforceOrg: check.user.organization_id, salesforceUser: check.user.user_id, expiresAt: expiresAt.toISOString() });
  return { token };
}
