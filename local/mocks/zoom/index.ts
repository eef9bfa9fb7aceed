/**
 * Zoom API mock: Server-to-Server OAuth (`POST /oauth/token?grant_type=account_credentials`)
 * and the Contact Center REST endpoints the bundle reads. The Zoom issue grows this into
 * the full mock (generated data, signed webhooks, fault injection).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type MockServer, sendJson, startMockServer } from '../http-mock';

export interface ZoomMockOptions {
  accountId: string;
  clientId: string;
  clientSecret: string;
  port?: number;
  tokenTtlSeconds?: number;
}

export interface ZoomMock extends MockServer {
  /** Access tokens issued so far (for tests of token caching). */
  readonly tokensIssued: number;
}

export async function startZoomMock(options: ZoomMockOptions): Promise<ZoomMock> {
  const tokens = new Map<string, number>();
  let issued = 0;
  const server = await startMockServer(
    'zoom',
    [
      {
        method: 'POST',
        path: '/oauth/token',
        handle: (req, res) => {
          const expected = `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`;
          const given = req.headers.authorization ?? '';
          if (!safeEqual(given, expected)) return sendJson(res, 401, { reason: 'Invalid client_id or client_secret', error: 'invalid_client' });
          if (req.query.get('grant_type') !== 'account_credentials') return sendJson(res, 400, { reason: 'Unsupported grant type', error: 'unsupported_grant_type' });
          if (req.query.get('account_id') !== options.accountId) return sendJson(res, 400, { reason: 'Invalid account_id', error: 'invalid_request' });
          const ttl = options.tokenTtlSeconds ?? 3600;
          const token = randomBytes(24).toString('base64url');
          tokens.set(token, Date.now() + ttl * 1000);
          issued++;
          return sendJson(res, 200, { access_token: token, token_type: 'bearer', expires_in: ttl, scope: 'contact_center:read:admin', api_url: 'https://api.zoom.us' });
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  return {
    ...server,
    get tokensIssued() {
      return issued;
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
