/**
 * Links to stored artifacts that the CRM keeps for years. A V4 signed URL expires within
 * 7 days and a Zoom URL needs a Zoom token, so the CRM gets a link to the bundle itself:
 * `<PUBLIC_BASE_URL>/zoom-webhook/artifacts/<engagement>/<artifact>?t=<token>`. The token
 * is an HMAC of the artifact's identity under ARTIFACT_LINK_SECRET (rotatable: the
 * previous secret is still accepted), so links cannot be forged or walked by editing ids.
 * Opening it redirects to a fresh signed URL valid for minutes (see zoom-webhook README).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Secret } from '../config';

const PURPOSE = 'ccbridge-artifact-link:v1';

export function artifactLinkToken(secret: Secret, engagementId: string, key: string): string {
  return createHmac('sha256', secret.reveal()).update(`${PURPOSE}\n${engagementId}\n${key}`).digest('base64url');
}

export function artifactLinkUrl(baseUrl: string, secret: Secret, engagementId: string, key: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  const token = artifactLinkToken(secret, engagementId, key);
  return `${base}/zoom-webhook/artifacts/${encodeURIComponent(engagementId)}/${encodeURIComponent(key)}?t=${token}`;
}

/** Constant-time check against every accepted secret. */
export function verifyArtifactLinkToken(secrets: readonly Secret[], engagementId: string, key: string, token: string): boolean {
  const given = Buffer.from(token, 'utf8');
  let ok = false;
  for (const secret of secrets) {
    const expected = Buffer.from(artifactLinkToken(secret, engagementId, key), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) ok = true;
  }
  return ok;
}
