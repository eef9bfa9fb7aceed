import http from 'node:http';
import https from 'node:https';
import type { PushRequestContent } from './push-request';
import type { PushTarget } from './subscription-config';

/** Mints the OIDC token Pub/Sub attaches when a push subscription has `oidcToken` set. */
export type MintOidcToken = (audience: string, serviceAccountEmail: string) => Promise<string> | string;

export type PushOutcome = { readonly ok: true; readonly status: number } | { readonly ok: false; readonly reason: string };

/** Sends push requests over agents it owns, so stop() can end every socket it opened. */
export class PushSender {
  private readonly httpAgent = new http.Agent({ keepAlive: true });
  private readonly httpsAgent = new https.Agent({ keepAlive: true });
  private readonly inFlight = new Set<AbortController>();
  private readonly mintOidcToken: MintOidcToken | undefined;

  constructor(mintOidcToken: MintOidcToken | undefined) {
    this.mintOidcToken = mintOidcToken;
  }

  async send(target: PushTarget, content: PushRequestContent, timeoutMs: number): Promise<PushOutcome> {
    const headers: Record<string, string> = { ...content.headers, 'content-length': String(content.body.length) };
    if (target.oidc !== undefined && this.mintOidcToken !== undefined) {
      try {
        const token = await this.mintOidcToken(target.oidc.audience, target.oidc.serviceAccountEmail);
        headers['authorization'] = `Bearer ${token}`;
      } catch (error) {
        return { ok: false, reason: `minting the OIDC token failed: ${String(error)}` };
      }
    }
    const controller = new AbortController();
    this.inFlight.add(controller);
    // Pub/Sub treats a push that outlives the ack deadline as failed.
    const timer = setTimeout(() => controller.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();
    try {
      return await this.post(target.endpoint, headers, content.body, controller.signal);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  private post(endpoint: string, headers: Record<string, string>, body: Buffer, signal: AbortSignal): Promise<PushOutcome> {
    return new Promise((resolve) => {
      const isHttps = endpoint.startsWith('https:');
      const request = (isHttps ? https : http).request(endpoint, {
        method: 'POST',
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
        signal,
      });
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        // Read the body to its end so the keep-alive socket can be reused.
        response.resume();
        response.on('end', () => resolve(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, reason: `HTTP ${status}` }));
        response.on('error', (error) => resolve({ ok: false, reason: error.message }));
      });
      request.on('error', (error) => {
        const reason = signal.aborted && signal.reason instanceof Error ? signal.reason.message : error.message;
        resolve({ ok: false, reason });
      });
      request.end(body);
    });
  }

  close(): void {
    for (const controller of this.inFlight) controller.abort(new Error('emulator stopped'));
    this.inFlight.clear();
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
