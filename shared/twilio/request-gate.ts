/**
 * Is this request from Twilio? A request carrying `X-Twilio-Signature` must verify — a bad
 * signature is never ignored (401). An unsigned request is judged by the configured policy:
 * - `accept`: anything unsigned passes (the reference's behaviour; its Twilio Function does
 *   not sign);
 * - `reads-only` (default): unsigned reads (the Lightning component's GET) and
 *   `/register-app` with an auth token in the body (the token is its own proof, checked with
 *   Twilio) pass; unsigned mapping writes (POST/DELETE /conversation-name) are refused;
 * - `reject`: everything must be signed.
 *
 * The signed URL is only ever one of the configured public URLs of the function (+ the path
 * inside it and the raw query, byte for byte: the JSON variant's `bodySHA256` lives there).
 * Never a URL rebuilt from Host / X-Forwarded-Host: those are the caller's to choose, so a
 * signature Twilio made for someone else's host (anyone can get one: point a Studio flow or
 * a Twilio Function at your own server) would verify here.
 *
 * A signature over a URL without `bodySHA256` covers form parameters only: for any other
 * non-empty body (JSON sent without the hash) it proves nothing about the body, so the
 * request counts as unsigned and the policy decides.
 */

import type { Secret } from '../config';
import { AppError } from '../errors';
import type { RequestContext } from '../http/app';
import { type SignedParams, verifyTwilioSignature } from './signature';
import { withoutTrailingSlash } from '../http/url';

export type UnsignedPolicy = 'accept' | 'reads-only' | 'reject';

/** What the request does: read a mapping, get a token with a credential in the body, or write a mapping. */
export type GateAccess = 'read' | 'register' | 'write';

/** `signed`: Twilio signed the URL and everything in the body; `unsigned`: let through by the policy. */
export type GateVerdict = 'signed' | 'unsigned';

export interface TwilioRequestGate {
  /** Throws a 401 AppError when the request may not proceed. */
  check(ctx: RequestContext, formParams: SignedParams, access: GateAccess): GateVerdict;
}

export interface TwilioRequestGateOptions {
  authTokens: Secret[];
  unsigned: UnsignedPolicy;
  /** Public URLs of the function itself, e.g. https://europe-west1-p.cloudfunctions.net/ui-connector */
  publicUrls: string[];
}

const unauthenticated = (message: string) => new AppError('unauthenticated', 401, message);

export function createTwilioRequestGate(options: TwilioRequestGateOptions): TwilioRequestGate {
  const publicBases = options.publicUrls.map(withoutTrailingSlash);
  const mayBeUnsigned = (access: GateAccess) => options.unsigned === 'accept' || (options.unsigned === 'reads-only' && access !== 'write');
  const refuseUnsigned = (access: GateAccess, why: string) => {
    if (mayBeUnsigned(access)) return 'unsigned' as const;
    throw unauthenticated(why);
  };
  return {
    check(ctx, formParams, access) {
      const header = ctx.req.headers['x-twilio-signature'];
      const signature = Array.isArray(header) ? header[0] : header;
      if (signature === undefined || signature === '')
        return refuseUnsigned(access, 'this endpoint accepts only requests signed by Twilio (X-Twilio-Signature)');
      // Without a configured auth token nothing can be verified; the policy is then `accept` (enforced at start).
      if (options.authTokens.length === 0) return 'unsigned';
      const urls = candidateUrls(ctx, publicBases);
      const verdict = verifyTwilioSignature({
        signature,
        urls,
        params: formParams,
        rawBody: ctx.rawBody,
        authTokens: options.authTokens.map((t) => t.reveal()),
      });
      if (!verdict.valid) {
        ctx.log.warn('twilio signature rejected', { reason: verdict.reason, path: ctx.path });
        throw unauthenticated(verdict.reason === 'body_hash_mismatch' ? 'the body does not match its bodySHA256' : 'invalid X-Twilio-Signature');
      }
      if (formParams.length === 0 && ctx.rawBody.length > 0 && !ctx.query.has('bodySHA256')) {
        ctx.log.warn('twilio signature covers no body: treated as unsigned', { path: ctx.path });
        return refuseUnsigned(access, 'the X-Twilio-Signature covers no body: a JSON body must be signed with bodySHA256 in the URL');
      }
      return 'signed';
    },
  };
}

/** The public URLs this request may have been sent to: each configured base + the path and raw query. */
function candidateUrls(ctx: Pick<RequestContext, 'req' | 'path'>, publicBases: string[]): string[] {
  const original = ctx.req.originalUrl ?? ctx.req.url ?? '/';
  const queryAt = original.indexOf('?');
  const rawQuery = queryAt >= 0 ? original.slice(queryAt) : '';
  // The path inside the function: what the Cloud Functions front end forwards (it strips the function's name).
  const rawPath = queryAt >= 0 ? original.slice(0, queryAt) : original;
  return [...new Set(publicBases.map((base) => `${base}${ctx.path === '/' ? '' : rawPath}${rawQuery}`))];
}
