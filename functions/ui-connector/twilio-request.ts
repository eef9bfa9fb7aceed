/**
 * Is this request from Twilio? A request carrying `X-Twilio-Signature` must verify — a bad
 * signature is never ignored. An unsigned request is judged by the configured policy:
 * `accept` (the reference's behaviour: its Twilio Function does not sign), `reads-only`
 * (only the Lightning component's GET/DELETE may be unsigned) or `reject`.
 *
 * The signed URL is the public one Twilio called, which the function does not see directly
 * behind the Google front end: TLS ends there (the container gets http) and the Cloud
 * Functions URL has the function's name in its path. So the candidates are the configured
 * public URL of the function + the path inside it, and the URL rebuilt from
 * X-Forwarded-Proto / X-Forwarded-Host (custom domains, Cloud Run URLs). Both keep the raw
 * query string byte for byte (the JSON variant's `bodySHA256` lives there).
 */
import { AppError } from '../../shared/errors';
import type { RequestContext } from '../../shared/http/app';
import { type SignedParams, verifyTwilioSignature } from '../../shared/twilio/signature';
import type { Secret } from '../../shared/config';

export type UnsignedPolicy = 'accept' | 'reads-only' | 'reject';

export interface TwilioRequestGate {
  /** Throws a 403 AppError when the request may not proceed. */
  check(ctx: RequestContext, formParams: SignedParams, access: 'read' | 'write'): void;
}

export interface TwilioRequestGateOptions {
  authTokens: Secret[];
  unsigned: UnsignedPolicy;
  /** Public URL of the function itself, e.g. https://europe-west1-p.cloudfunctions.net/ui-connector */
  publicUrl: string | undefined;
}

const forbidden = (message: string) => new AppError('forbidden', 403, message);

export function createTwilioRequestGate(options: TwilioRequestGateOptions): TwilioRequestGate {
  const publicBase = options.publicUrl?.replace(/\/+$/, '');
  return {
    check(ctx, formParams, access) {
      const header = ctx.req.headers['x-twilio-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      if (signature === undefined || signature === '') {
        if (options.unsigned === 'accept' || (options.unsigned === 'reads-only' && access === 'read')) return;
        throw forbidden('this endpoint accepts only requests signed by Twilio (X-Twilio-Signature)');
      }
      // Without a configured auth token nothing can be verified; the policy is then `accept` (enforced at start).
      if (options.authTokens.length === 0) return;
      const verdict = verifyTwilioSignature({
        signature,
        urls: candidateUrls(ctx, publicBase),
        params: formParams,
        rawBody: ctx.rawBody,
        authTokens: options.authTokens.map((t) => t.reveal()),
      });
      if (!verdict.valid) {
        ctx.log.warn('twilio signature rejected', { reason: verdict.reason, path: ctx.path });
        throw forbidden(verdict.reason === 'body_hash_mismatch' ? 'the body does not match its bodySHA256' : 'invalid X-Twilio-Signature');
      }
    },
  };
}

/** The public URLs this request may have been sent to. */
export function candidateUrls(ctx: Pick<RequestContext, 'req' | 'path'>, publicBase: string | undefined): string[] {
  const original = ctx.req.originalUrl ?? ctx.req.url ?? '/';
  const queryAt = original.indexOf('?');
  const rawQuery = queryAt >= 0 ? original.slice(queryAt) : '';
  const rawPath = queryAt >= 0 ? original.slice(0, queryAt) : original;
  const urls: string[] = [];
  if (publicBase) urls.push(`${publicBase}${ctx.path === '/' ? '' : rawPath}${rawQuery}`);
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)?.split(',')[0]?.trim();
  const proto = first(ctx.req.headers['x-forwarded-proto']) ?? 'http';
  const host = first(ctx.req.headers['x-forwarded-host']) ?? first(ctx.req.headers.host);
  if (host && /^(https?)$/i.test(proto)) urls.push(`${proto.toLowerCase()}://${host}${original}`);
  return [...new Set(urls)];
}
