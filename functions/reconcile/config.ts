/** Settings of reconcile (see .env.example, `# --- reconcile ---`): the core's, plus the function's own. */
import * as z from 'zod';
import { envBool, envInt, envList, envString, envUrl } from '../../shared/config';
import { reconcileCoreConfigShape } from '../../shared/reconcile/config';

const emails = () =>
  envList().pipe(z.array(z.email({ error: 'must be service account emails, comma-separated' })).min(1, { error: 'at least one service account is required' }));

export const reconcileConfigShape = {
  ...reconcileCoreConfigShape,
  /** Topic of the lane messages, pushed back to this function at /slices. */
  RECONCILE_SLICES_TOPIC: envString(),
  /** This function's own URL: the audience its callers' OIDC tokens must carry. */
  RECONCILE_AUDIENCE: envUrl(),
  /** Service accounts allowed to start runs and read reports (Cloud Scheduler's; operators'). */
  RECONCILE_INVOKERS: emails(),
  /** Service accounts whose tokens the reconcile-slices push subscription carries (this function's own). */
  RECONCILE_PUSH_INVOKERS: emails(),
  /**
   * Cloud Run's invoker check is in front (Terraform sets it): tokens it verified arrive with
   * their signature stripped and are trusted on their claims. Off: every token is verified here.
   */
  OIDC_PLATFORM_VERIFIED: envBool().default(false),
  /** Where Google's token-signing certificates are published (local: the stack's issuer). */
  OIDC_CERTS_URL: envUrl().default('https://www.googleapis.com/oauth2/v1/certs'),
  /** How long a run request waits for the report before answering 202 (the run goes on). */
  RECONCILE_WAIT_SECONDS: envInt(0, 3500).default(1500),
  /** How often a waiting run request looks at the slices (and restarts lanes gone quiet). */
  RECONCILE_POLL_MS: envInt(50, 60_000).default(2000),
};
