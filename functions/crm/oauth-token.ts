/**
 * POST /oauth/token — the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) that CCAI
 * Platform's "OAuth" authentication calls before the contract endpoints. Client credentials
 * come as HTTP Basic (client_secret_basic) or in the form body (client_secret_post).
 * Its failures are answered in the RFC's own shape (`{error, error_description}`, §5.2),
 * because OAuth clients read that and not the contract's error body.
 */
import * as z from 'zod';
import type { HttpResult, RequestContext } from '../../shared/http/app';
import { parseBasic, type TokenIssuer } from './auth';

const tokenRequestSchema = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().max(200).optional(),
  client_secret: z.string().max(500).optional(),
  scope: z.string().max(500).optional(),
});

const oauthError = (status: number, error: string, description: string, headers: Record<string, string> = {}): HttpResult => ({
  status,
  headers: { 'cache-control': 'no-store', ...headers },
  json: { error, error_description: description },
});

export async function handleTokenRequest(issuer: TokenIssuer | undefined, ctx: RequestContext): Promise<HttpResult> {
  if (!issuer) return oauthError(400, 'unsupported_grant_type', 'OAuth is not enabled on this endpoint (CRM_AUTH_METHODS)');
  const body = ctx.req.body;
  const parsed = tokenRequestSchema.safeParse(body !== null && typeof body === 'object' && !Buffer.isBuffer(body) ? body : {});
  if (!parsed.success) return oauthError(400, 'invalid_request', 'the token request parameters are not strings');
  const form = parsed.data;
  if (form.grant_type !== 'client_credentials') {
    return oauthError(400, form.grant_type === undefined ? 'invalid_request' : 'unsupported_grant_type', 'grant_type must be client_credentials');
  }
  const authorization = ctx.req.headers.authorization;
  const basic = parseBasic(typeof authorization === 'string' ? authorization : undefined);
  // client_secret_basic encodes id and secret form-urlencoded before base64 (RFC 6749 §2.3.1).
  const decode = (v: string) => {
    try {
      return decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      return v;
    }
  };
  const clientId = basic ? decode(basic.user) : form.client_id;
  const clientSecret = basic ? decode(basic.password) : form.client_secret;
  if (clientId === undefined || clientSecret === undefined) {
    return oauthError(401, 'invalid_client', 'client authentication required', { 'www-authenticate': 'Basic realm="ccbridge-crm"' });
  }
  const issued = await issuer.issue(clientId, clientSecret);
  if (!issued) return oauthError(401, 'invalid_client', 'client authentication failed', { 'www-authenticate': 'Basic realm="ccbridge-crm"' });
  return {
    status: 200,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    json: { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn },
  };
}
