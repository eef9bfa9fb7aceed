/** Settings of the operator function (documented in README.md): the trace's settings, and IAP when the team puts the page behind it. */
import type * as z from 'zod';
import { baseConfigShape, ConfigError, envBool, envList, envUrl } from '../../shared/config';
import { IAP_PUBLIC_KEYS_URL } from '../../shared/http/iap-assertion';
import { traceConfigShape } from '../../shared/trace/config';

export const operatorConfigShape = {
  ...baseConfigShape,
  ...traceConfigShape,
  /** Require IAP's signed assertion (x-goog-iap-jwt-assertion) on every page and JSON request (Terraform: operator_iap_enabled). */
  OPERATOR_REQUIRE_IAP: envBool().default(false),
  /** The assertion's expected audience(s), comma-separated; required with OPERATOR_REQUIRE_IAP (docs/contracts/google-cloud.md, IAP). */
  OPERATOR_IAP_AUDIENCE: envList().optional(),
  /** IAP's public keys (JWKS); the local stack points at its IAP-like signer. */
  OPERATOR_IAP_KEYS_URL: envUrl().default(IAP_PUBLIC_KEYS_URL),
};
export type OperatorConfig = z.output<z.ZodObject<typeof operatorConfigShape>>;

/** Cross-key rules; every problem listed at once. */
export function checkOperatorConfig(config: OperatorConfig): void {
  if (config.OPERATOR_REQUIRE_IAP && (config.OPERATOR_IAP_AUDIENCE ?? []).length === 0) {
    throw new ConfigError('operator', ['OPERATOR_IAP_AUDIENCE: required when OPERATOR_REQUIRE_IAP is true (the audience of the IAP assertion)']);
  }
}
