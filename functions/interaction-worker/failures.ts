/**
 * The worker's retry rule in one place. Retryable (throw → Pub/Sub redelivers, then
 * dead-letters): Zoom 429/5xx and network errors, Storage 5xx, CRM 429/5xx, files not
 * ready within the window. Permanent (recorded in the ledger, acknowledged): a file still
 * missing after the window, CRM 4xx, a download URL outside Zoom.
 */
import { isAppError } from '../../shared/errors';

export function isRetryable(err: unknown): boolean {
  if (isAppError(err)) return err.retryable;
  const status = httpStatusOf(err);
  if (status !== undefined) return status === 408 || status === 429 || status >= 500;
  // Unknown errors (sockets, timeouts, bugs) are retried: the dead-letter topic bounds them.
  return true;
}

/** A short reason for the ledger: never a URL (tokens) nor a body. */
export function reasonOf(err: unknown): string {
  const status = httpStatusOf(err);
  const code = isAppError(err) ? err.code : (err as { code?: unknown })?.code;
  const message = err instanceof Error ? err.message.replace(/https?:\/\/\S+/g, '<url>') : String(err);
  return [code, status ? `HTTP ${status}` : undefined, message.slice(0, 200)].filter(Boolean).join(': ');
}

function httpStatusOf(err: unknown): number | undefined {
  if (isAppError(err)) return err.status;
  const e = err as { code?: unknown; status?: unknown; response?: { statusCode?: unknown } } | null;
  for (const v of [e?.status, e?.code, e?.response?.statusCode]) if (typeof v === 'number' && v >= 100 && v < 600) return v;
  return undefined;
}
