/**
 * Salesforce identity stand-in for the Agent Assist Lightning component: the OAuth 2.0
 * client-credentials token endpoint (`/services/oauth2/token`) and the OpenID Connect
 * UserInfo endpoint (`/services/oauth2/userinfo`) of local orgs, as documented in
 * docs/contracts/agent-assist.md. Each connected app (consumer key/secret) runs as one
 * integration user of one org; tokens expire and can be revoked; faults and latency can
 * be injected to show how /register behaves when Salesforce is slow or down.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { constantEqual, type MockRequest, type MockServer, sendJson, startMockServer } from '../http-mock';

export interface SalesforceConnectedApp {
  consumerKey: string;
  consumerSecret: string;
  /** 18-character org id (the form Salesforce answers with). */
  organizationId: string;
  /** 18-character id of the integration user the client-credentials flow runs as. */
  userId: string;
  username: string;
}

export interface SalesforceIdentityMock extends MockServer {
  /** Every token issued so far, by value (tests revoke one or read its user). */
  tokens(): string[];
  revoke(token: string): void;
  /** The next `times` userinfo calls answer `status` (e.g. 503). */
  failNext(times: number, status: number): void;
  /** Userinfo answers after this delay (a slow Salesforce). */
  setLatency(ms: number): void;
  userInfoCalls(): number;
}

/** Salesforce's case-safe suffix of a 15-character id (3 characters, one per 5-character chunk). */
export function caseSafeId(id15: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15[chunk * 5 + i]!;
      if (c >= 'A' && c <= 'Z') bits |= 1 << i;
    }
    suffix += alphabet[bits]!;
  }
  return id15 + suffix;
}

export async function startSalesforceIdentityMock(options: {
  apps: SalesforceConnectedApp[];
  port?: number;
  tokenTtlSeconds?: number;
  now?: () => number;
}): Promise<SalesforceIdentityMock> {
  const now = options.now ?? Date.now;
  const ttlMs = (options.tokenTtlSeconds ?? 7200) * 1000;
  const issued = new Map<string, { app: SalesforceConnectedApp; expiresAt: number }>();
  let failures = 0;
  let failureStatus = 503;
  let latencyMs = 0;
  let userInfoCalls = 0;
  let baseUrl = '';

  const issueToken = (req: MockRequest, res: http.ServerResponse) => {
    // The documented request is a form POST; the Lightning component sends the same
    // parameters in the query string of a GET: both are read, body first.
    const form =
      req.method === 'POST' && String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')
        ? new URLSearchParams(req.body.toString('utf8'))
        : new URLSearchParams();
    const param = (name: string) => form.get(name) ?? req.query.get(name);
    if (param('grant_type') !== 'client_credentials') {
      sendJson(res, 400, { error: 'unsupported_grant_type', error_description: 'grant type not supported' });
      return;
    }
    const app = options.apps.find((a) => a.consumerKey === param('client_id'));
    if (!app || !constantEqual(param('client_secret') ?? '', app.consumerSecret)) {
      sendJson(res, 400, { error: 'invalid_client', error_description: 'invalid client credentials' });
      return;
    }
    const token = `${app.organizationId.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
    issued.set(token, { app, expiresAt: now() + ttlMs });
    sendJson(res, 200, {
      access_token: token,
      signature: randomBytes(32).toString('base64'),
      scope: 'api',
      instance_url: baseUrl,
      id: `${baseUrl}/id/${app.organizationId}/${app.userId}`,
      token_type: 'Bearer',
      issued_at: String(now()),
    });
  };

  const userInfo = async (req: MockRequest, res: http.ServerResponse) => {
    userInfoCalls++;
    if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs).unref());
    if (failures > 0) {
      failures--;
      sendJson(res, failureStatus, [{ message: 'Service Unavailable', errorCode: 'SERVER_UNAVAILABLE' }]);
      return;
    }
    const bearer = /^Bearer (\S+)$/.exec(String(req.headers.authorization ?? ''))?.[1];
    const token = bearer ?? req.query.get('oauth_token') ?? req.query.get('access_token') ?? '';
    const entry = issued.get(token);
    if (!entry || entry.expiresAt <= now()) {
      res.writeHead(403, { 'content-type': 'text/plain' }).end('Bad_OAuth_Token');
      return;
    }
    const { app } = entry;
    sendJson(res, 200, {
      sub: `${baseUrl}/id/${app.organizationId}/${app.userId}`,
      user_id: app.userId,
      organization_id: app.organizationId,
      preferred_username: app.username,
      nickname: app.username.split('@')[0],
      name: 'Integration User',
      email_verified: true,
      user_type: 'STANDARD',
      active: true,
      is_salesforce_integration_user: true,
    });
  };

  const server = await startMockServer(
    'salesforce-identity',
    [
      { method: 'POST', path: '/services/oauth2/token', handle: issueToken },
      { method: 'GET', path: '/services/oauth2/token', handle: issueToken },
      { method: 'GET', path: '/services/oauth2/userinfo', handle: userInfo },
      { method: 'POST', path: '/services/oauth2/userinfo', handle: userInfo },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  baseUrl = server.baseUrl;
  return {
    ...server,
    baseUrl: server.baseUrl,
    port: server.port,
    requests: server.requests,
    stop: server.stop,
    tokens: () => [...issued.keys()],
    revoke: (token) => {
      issued.delete(token);
    },
    failNext(times, status) {
      failures = times;
      failureStatus = status;
    },
    setLatency(ms) {
      latencyMs = ms;
    },
    userInfoCalls: () => userInfoCalls,
  };
}
