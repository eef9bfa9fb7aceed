/**
 * Links to stored artifacts that the CRM keeps for years. A V4 signed URL expires within
 * 7 days and a Zoom URL needs a Zoom token, so the CRM gets a link to the bundle itself:
 * `<PUBLIC_BASE_URL>/zoom-webhook/artifacts/<engagement>/<artifact>?t=<token>`. Opening it
 * redirects to a fresh signed URL valid for minutes (see zoom-webhook README).
 *
 * The token is `v2.<kid>.<mac>`: an HMAC of the artifact's identity under an
 * ARTIFACT_LINK_SECRET, and the id of that key (derived from it, so it reveals nothing and
 * needs no second setting). Links cannot be forged or walked by editing ids, and are revoked
 * by rotating their key out: set a new ARTIFACT_LINK_SECRET with the old one as
 * ARTIFACT_LINK_SECRET_PREVIOUS (both accepted), then drop the previous one — every link
 * under it answers "revoked". Tokens issued before key versions (a bare HMAC, "v1") are still
 * accepted while their key is, and revoked with it.
 */
import { createHmac } from 'node:crypto';
import type { Secret } from '../config';
import { constantTimeEqual } from '../constant-time';
import { withoutTrailingSlash } from '../http/url';

const PURPOSE_V1 = 'ccbridge-artifact-link:v1';
const PURPOSE_V2 = 'ccbridge-artifact-link:v2';
const TOKEN_V2 = /^v2\.([A-Za-z0-9_-]{8})\.([A-Za-z0-9_-]{43})$/;

/** The key version a link names: 8 base64url characters derived from the key. */
export function artifactLinkKeyId(secret: Secret): string {
  return createHmac('sha256', secret.reveal()).update('ccbridge-artifact-link-key-id').digest('base64url').slice(0, 8);
}

function mac(secret: Secret, kid: string, engagementId: string, key: string): string {
  return createHmac('sha256', secret.reveal()).update(`${PURPOSE_V2}\n${kid}\n${engagementId}\n${key}`).digest('base64url');
}

export function artifactLinkToken(secret: Secret, engagementId: string, key: string): string {
  const kid = artifactLinkKeyId(secret);
  return `v2.${kid}.${mac(secret, kid, engagementId, key)}`;
}

export function artifactLinkUrl(baseUrl: string, secret: Secret, engagementId: string, key: string): string {
  const base = withoutTrailingSlash(baseUrl);
  const token = artifactLinkToken(secret, engagementId, key);
  return `${base}/zoom-webhook/artifacts/${encodeURIComponent(engagementId)}/${encodeURIComponent(key)}?t=${token}`;
}

export type LinkTokenCheck = 'valid' | 'revoked' | 'invalid';

/**
 * Checks a token against the accepted keys, in constant time per key: `revoked` when it is
 * well-formed but names a key no longer accepted (its links were revoked by rotation).
 */
export function checkArtifactLinkToken(secrets: readonly Secret[], engagementId: string, key: string, token: string): LinkTokenCheck {
  const v2 = TOKEN_V2.exec(token);
  if (v2) {
    const kid = v2[1]!;
    const secret = secrets.find((s) => constantTimeEqual(artifactLinkKeyId(s), kid));
    if (!secret) return 'revoked';
    return constantTimeEqual(mac(secret, kid, engagementId, key), v2[2]!) ? 'valid' : 'invalid';
  }
  let ok = false;
  for (const secret of secrets) {
    const legacy = createHmac('sha256', secret.reveal()).update(`${PURPOSE_V1}\n${engagementId}\n${key}`).digest('base64url');
    if (constantTimeEqual(legacy, token)) ok = true;
  }
  return ok ? 'valid' : 'invalid';
}

export function verifyArtifactLinkToken(secrets: readonly Secret[], engagementId: string, key: string, token: string): boolean {
  return checkArtifactLinkToken(secrets, engagementId, key, token) === 'valid';
}
