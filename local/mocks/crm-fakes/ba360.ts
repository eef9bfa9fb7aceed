/**
 * A local Be Aware 360, written from its documented external-system integration:
 * - `POST /ba360/apir/v10/login/authexternalsystem` with JSON `{user, pass, company,
 *   secretkey, clientkey}` → a token (the answer's exact shape is not public; this fake
 *   answers `{"token": "…"}`, which the adapter reads along with other common shapes);
 *   wrong credentials → 401;
 * - `GET /integracionview/{platform}/{channel}/{interactionId}/{params}/{token}` (new URL
 *   format; params = `{"contacto","empresa","caso"}` JSON) → the agent view, here an HTML page
 *   naming what was opened; an unknown token → 401; a channel outside the accepted list or an
 *   interaction id over 120 characters → 400.
 */
import { randomBytes } from 'node:crypto';
import type http from 'node:http';
import { type MockServer, sendJson, startMockServer } from '../http-mock';
import { createFailures, type FakeFailures, jsonBody, safeEqual } from './fake-kit';

export interface Ba360Credentials {
  user: string;
  pass: string;
  company: string;
  secretkey: string;
  clientkey: string;
}

export interface Ba360Opened {
  platform: string;
  channel: string;
  interactionId: string;
  params: { contacto: string | null; empresa: string | null; caso: string | null };
}

export interface Ba360Fake extends MockServer {
  readonly opened: Ba360Opened[];
  readonly tokensIssued: number;
  readonly failures: FakeFailures;
}

const ACCEPTED = ['voz', 'call', 'chat', 'email', 'sms', 'twdirect', 'messenger', 'facebook', 'whatsapp', 'telegram', 'hangout', 'instagram'];

const html = (res: http.ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(`<!doctype html><html><body>${body}</body></html>`);
};

export async function startBa360Fake(options: { credentials: Ba360Credentials; port?: number }): Promise<Ba360Fake> {
  const tokens = new Set<string>();
  const opened: Ba360Opened[] = [];
  const failures = createFailures();
  let issued = 0;
  const server = await startMockServer(
    'ba360',
    [
      {
        method: 'POST',
        path: '/ba360/apir/v10/login/authexternalsystem',
        handle: (req, res) => {
          if (failures.apply(req, res)) return;
          const body = jsonBody(req);
          const ok = (Object.keys(options.credentials) as Array<keyof Ba360Credentials>).every((k) => safeEqual(String(body[k] ?? ''), options.credentials[k]));
          if (!ok) return sendJson(res, 401, { message: 'invalid credentials' });
          const token = randomBytes(18).toString('base64url');
          tokens.add(token);
          issued++;
          sendJson(res, 200, { token });
        },
      },
      {
        method: 'GET',
        path: '/integracionview/:platform/:channel/:interaction/:params/:token',
        handle: (req, res) => {
          if (!tokens.has(req.params['token']!)) return html(res, 401, '<p>invalid token</p>');
          const channel = req.params['channel']!;
          const interactionId = req.params['interaction']!;
          if (!ACCEPTED.includes(channel.toLowerCase())) return html(res, 400, '<p>unknown channel</p>');
          if (interactionId.length > 120) return html(res, 400, '<p>interaction id too long</p>');
          let params: Ba360Opened['params'];
          try {
            params = JSON.parse(req.params['params']!) as Ba360Opened['params'];
          } catch {
            return html(res, 400, '<p>invalid parameters</p>');
          }
          opened.push({ platform: req.params['platform']!, channel, interactionId, params });
          html(res, 200, `<h1 id="interaction">${interactionId.replace(/</g, '&lt;')}</h1>`);
        },
      },
    ],
    options.port === undefined ? {} : { port: options.port },
  );
  return {
    ...server,
    opened,
    failures,
    get tokensIssued() {
      return issued;
    },
  };
}
