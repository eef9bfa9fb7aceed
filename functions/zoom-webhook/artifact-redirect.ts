/**
 * `GET /artifacts/<engagement>/<artifact>?t=<token>`: the durable link the CRM holds.
 * Checks who asks (the link token, and optionally an IAP-asserted identity), checks that
 * the ledger has the artifact stored, then redirects to a V4 signed URL that lives for
 * minutes. The link itself never expires; access can be cut by rotating the link secret.
 */
import type { Secret } from '../../shared/config';
import { AppError, forbidden, notFound, unauthenticated } from '../../shared/errors';
import type { Logger } from '../../shared/logging';
import type { BlobStore } from '../../shared/ports/blobstore';
import { verifyArtifactLinkToken } from '../../shared/zoom/artifact-link';
import type { Ledger } from '../../shared/zoom/ledger';

export interface ArtifactRedirectDeps {
  linkSecrets: readonly Secret[];
  ledger: Ledger;
  blobs: BlobStore;
  signedUrlTtlSeconds: number;
  /** When set, an identity asserted by IAP is required, from one of these domains (empty = any). */
  requireIdentity?: { allowedDomains: string[] };
  log: Logger;
}

export interface ArtifactRequest {
  engagementId: string;
  key: string;
  token: string | undefined;
  /** x-goog-authenticated-user-email, e.g. "accounts.google.com:agent@example.com". */
  identity: string | undefined;
}

export async function handleArtifactRequest(deps: ArtifactRedirectDeps, input: ArtifactRequest): Promise<{ location: string }> {
  if (!input.token || !verifyArtifactLinkToken(deps.linkSecrets, input.engagementId, input.key, input.token)) {
    deps.log.warn('artifact link refused: bad token', { engagementId: input.engagementId, artifact: input.key });
    throw forbidden('this link is not valid');
  }
  let who: string | undefined;
  if (deps.requireIdentity) {
    who = input.identity?.replace(/^accounts\.google\.com:/, '');
    if (!who) throw unauthenticated('sign-in required');
    const domain = who.split('@')[1]?.toLowerCase() ?? '';
    const allowed = deps.requireIdentity.allowedDomains;
    if (allowed.length > 0 && !allowed.includes(domain)) throw forbidden('not allowed for this account');
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
