/**
 * Settings of the trace (CLI and the operator function): where the stores are, and what the
 * ui-connector hashes conversation keys with — the same variables the ui-connector reads, so
 * a registration is found by the hash it was stored under.
 */
import { hkdfSync } from 'node:crypto';
import type * as z from 'zod';
import { envBool, envString, optionalSecret } from '../config';
import { countryCodeSchema } from '../phone';

export const traceConfigShape = {
  ARCHIVE_BUCKET: envString(),
  /** Whether the nightly reconciliation queues given-up artifacts again (the reconcile function's setting). */
  RECONCILE_RETRY_FAILED: envBool().default(true),
  UI_CONNECTOR_COLLECTION: envString().default('conversations'),
  UI_CONNECTOR_DEFAULT_COUNTRY: countryCodeSchema().default('US'),
  UI_CONNECTOR_KEY_HASH_SECRET: optionalSecret(32),
  /** Only to derive the key hash key when UI_CONNECTOR_KEY_HASH_SECRET is not set (as the ui-connector does). */
  UI_CONNECTOR_JWT_SECRET: optionalSecret(32),
};

type TraceConfig = z.output<z.ZodObject<typeof traceConfigShape>>;

/**
 * The ui-connector's conversation key hash key (functions/ui-connector/compose.ts): its own
 * secret, or HKDF of its token signing key. Undefined: registrations cannot be looked up.
 */
export function conversationHashKeyOf(config: Pick<TraceConfig, 'UI_CONNECTOR_KEY_HASH_SECRET' | 'UI_CONNECTOR_JWT_SECRET'>): Buffer | undefined {
  if (config.UI_CONNECTOR_KEY_HASH_SECRET) return Buffer.from(config.UI_CONNECTOR_KEY_HASH_SECRET.reveal(), 'utf8');
  if (config.UI_CONNECTOR_JWT_SECRET)
    return Buffer.from(hkdfSync('sha256', config.UI_CONNECTOR_JWT_SECRET.reveal(), 'ccbridge', 'ui-connector conversation key hash', 32));
  return undefined;
}
