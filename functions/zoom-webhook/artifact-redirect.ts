/**
 * `GET /artifacts/<engagement>/<artifact>?t=<token>`: the durable link the CRM holds.
 * Checks who asks (the link token and its key version, and optionally the identity IAP's
 * signed assertion proves), checks that the ledger has the artifact stored, then redirects to
 * a V4 signed URL that lives for minutes. A link is revoked by rotating its key out
 * (shared/zoom/artifact-link).
 */
import type { Secret } from '../../shared/config';
import { AppError, forbidden, notFound } from '../../shared/errors';
import type { IapVerifier } from '../../shared/http/iap-assertion';
import type { Logger } from '../../shared/logging';
import type { BlobStore } from '../../shared/ports/blobstore';
import { checkArtifactLinkToken } from '../../shared/zoom/artifact-link';
import type { Ledger } from '../../shared/zoom/ledger';

export interface ArtifactRedirectDeps {
  linkSecrets: readonly Secret[];
  ledger: Ledger;
  blobs: BlobStore;
  signedUrlTtlSeconds: number;
  /** When set, an identity proven by IAP's signed assertion is required, from one of these domains (empty = any). */
  requireIdentity?: { verifier: IapVerifier; allowedDomains: string[] };
  log: Logger;
}

export interface ArtifactRequest {
  engagementId: string;
  key: string;
  token: string | undefined;
  /** x-goog-iap-jwt-assertion (the unsigned x-goog-authenticated-user-* headers are never read). */
  iapAssertion: string | undefined;
}

export async function handleArtifactRequest(deps: ArtifactRedirectDeps, input: ArtifactRequest): Promise<{ location: string }> {
  const check = input.token ? checkArtifactLinkToken(deps.linkSecrets, input.engagementId, input.key, input.token) : 'invalid';
  if (check !== 'valid') {
    deps.log.warn('artifact link refused', { engagementId: input.engagementId, artifact: input.key, reason: check });
    throw forbidden(check === 'revoked' ? 'this link was revoked (its key was rotated out)' : 'this link is not valid');
  }
  let who: string | undefined;
  if (deps.requireIdentity) {
    const identity = await deps.requireIdentity.verifier.verify(input.iapAssertion);
    who = identity.email;
    const allowed = deps.requireIdentity.allowedDomains;
    if (allowed.length > 0 && !allowed.includes(identity.domain)) throw forbidden('not allowed for this account');
  }
  const doc = await deps.ledger.get(input.engagementId);
  const artifact = doc?.artifacts[input.key];
  if (!artifact || (artifact.state !== 'stored' && artifact.state !== 'linked')) throw notFound('no such artifact');
  const fileName = artifact.path.split('/').pop() ?? 'artifact';
  let location: string;
  try {
    location = await deps.blobs.signedReadUrl(artifact.path, deps.signedUrlTtlSeconds, { responseDisposition: `inline; filename="${fileName}"` });
  } catch (err) {
    throw new AppError('unavailable', 503, 'could not sign a download URL', { retryable: true, cause: err });
  }
  deps.log.info('artifact link opened', { engagementId: input.engagementId, artifact: input.key, who });
  return { location };
}
