/**
 * Twilio Accounts API mock: `GET /2010-04-01/Accounts/{Sid}.json` with Basic sid:token.
 * Known accounts answer 200 with `sid` and `status`; a wrong pair answers 401 with
 * Twilio's error 20003, as the real API does.
 */
import { constantEqual, type MockServer, sendJson, startMockServer } from '../http-mock';

export interface TwilioAccount {
  sid: string;
  authToken: string;
  status?: 'active' | 'suspended' | 'closed';
}

export interface TwilioMock extends MockServer {
  /** The next `times` account look-ups answer `status` (e.g. 503, 429). */
  failNext(times: number, status: number): void;
}

export async function startTwilioMock(options: { accounts: TwilioAccount[]; port?: number; latencyMs?: number }): Promise<TwilioMock> {
  let failures = 0;
  let failureStatus = 503;
  const server = await startMockServer(
    'twilio',
    [
      {
        method: 'GET',
        path: '/2010-04-01/Accounts/:file',
        handle: async (req, res) => {
          if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
          if (failures > 0) {
            failures--;
            sendJson(res, failureStatus, { code: 20500, message: 'Internal Server Error', status: failureStatus });
            return;
          }
          const sid = req.params['file']?.replace(/\.json$/, '') ?? '';
          const auth = parseBasic(req.headers.authorization);
          const account = options.accounts.find((a) => a.sid === auth?.user);
          if (!auth || !account || !constantEqual(auth.password, account.authToken)) {
            sendJson(res, 401, { code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
            return;
          }
          if (sid !== account.sid) {
            sendJson(res, 404, { code: 20404, message: `The requested resource /2010-04-01/Accounts/${sid}.json was not found`, status: 404 });
            return;
          }
          sendJson(res, 200, { sid: account.sid, friendly_name: 'ccbridge local account', status: account.status ?? 'active', type: 'Full' });
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  return {
    ...server,
    baseUrl: server.baseUrl,
    port: server.port,
    requests: server.requests,
    stop: server.stop,
    failNext(times, status) {
      failures = times;
      failureStatus = status;
    },
  };
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  if (!header?.startsWith('Basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
  const i = decoded.indexOf(':');
  return i < 0 ? undefined : { user: decoded.slice(0, i), password: decoded.slice(i + 1) };
}
