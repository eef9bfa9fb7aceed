/**
 * The operator page on the local stack. The operator function is private (access "iam"): the
 * gateway, like Cloud Run, lets a request through only with an ID token of an invoker. A
 * browser does not attach one, so — as `gcloud run services proxy` does in production — this
 * proxy on 127.0.0.1 signs every request in as the local operator account (an ID token of the
 * stack's OIDC issuer for the function's URL) and forwards it. GET, HEAD and POST only (the
 * page's search form posts, so a phone number never sits in a URL); the function writes nothing.
 */
import http from 'node:http';
import { LOCAL_PROJECT } from './env';
import { withoutTrailingSlash } from '../shared/http/url';

/** Stands in for a member of the operators' group (Terraform: operator_invoker_group). */
export const LOCAL_OPERATOR = `operator@${LOCAL_PROJECT}.iam.gserviceaccount.com`;

export interface OperatorProxy {
  url: string;
  stop(): Promise<void>;
}

export async function startOperatorProxy(options: {
  functionUrl: string;
  mint: (audience: string, email: string) => string;
  port?: number;
}): Promise<OperatorProxy> {
  const target = new URL(options.functionUrl);
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && req.method !== 'POST') {
      res.writeHead(405, { allow: 'GET, HEAD, POST', 'content-type': 'text/plain' }).end('operator proxy: GET, HEAD and POST only\n');
      return;
    }
    const forwarded: http.OutgoingHttpHeaders = {
      accept: req.headers.accept ?? '*/*',
      authorization: `Bearer ${options.mint(options.functionUrl, LOCAL_OPERATOR)}`,
    };
    for (const h of ['content-type', 'content-length'] as const) if (req.headers[h] !== undefined) forwarded[h] = req.headers[h];
    const path = `${withoutTrailingSlash(target.pathname)}${req.url === '/' ? '/' : (req.url ?? '/')}`;
    const upstream = http.request({ host: target.hostname, port: target.port, method: req.method, path, headers: forwarded }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on('error', (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`operator proxy: ${err.message}\n`));
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('operator proxy: no port');
  return { url: `http://127.0.0.1:${address.port}/`, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}
