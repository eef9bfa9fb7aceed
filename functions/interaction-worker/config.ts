/** Settings of interaction-worker (see .env.example, `# --- zoom ---`), plus the CRM client's. */
import * as z from 'zod';
import { envInt, envList, envString, envUrl, secret } from '../../shared/config';
import { crmClientConfigShape } from '../../shared/crm/config';

const msList = () =>
  z
    .string()
    .transform((v) => v.split(',').map((s) => Number(s.trim())))
    .pipe(z.array(z.number().int().min(0).max(600_000)).min(1));

export const interactionWorkerConfigShape = {
  ...crmClientConfigShape,
  ZOOM_API_BASE_URL: envUrl().default('https://api.zoom.us/v2'),
  ZOOM_OAUTH_TOKEN_URL: envUrl().default('https://zoom.us/oauth/token'),
  ZOOM_ACCOUNT_ID: envString(),
  ZOOM_CLIENT_ID: envString(),
  ZOOM_CLIENT_SECRET: secret(8),
  /** Hosts download URLs may point at (the bearer token goes nowhere else); the API host is always allowed. */
  ZOOM_DOWNLOAD_HOSTS: envList().default(['zoom.us', 'api.zoom.us']),
  ZOOM_API_RETRY_LIMIT: envInt(0, 10).default(3),
  ZOOM_API_RETRY_BASE_MS: envInt(1, 60_000).default(500),
  /** In-invocation waits before re-asking Zoom for a file that is not ready yet (404/409). */
  ZOOM_NOT_READY_DELAYS_MS: msList().default([2000, 5000, 10_000]),
  /** After this long since the event, a file still 404 is a permanent failure (until then: redelivery). */
  ZOOM_NOT_READY_WINDOW_SECONDS: envInt(10, 7 * 86_400).default(3600),
  ARCHIVE_BUCKET: envString(),
  ARCHIVE_PREFIX: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/)
    .default('zoom'),
  /** Uploads at or above this size (or of unknown size) are resumable. */
  TRANSFER_RESUMABLE_THRESHOLD_BYTES: envInt(0, 2 ** 40).default(8 * 1024 * 1024),
  PUBLIC_BASE_URL: envUrl(),
  ARTIFACT_LINK_SECRET: secret(16),
  /** Notes/dispositions wait until they are this old so close neighbours can be put in order. */
  ZOOM_ITEM_SETTLE_MS: envInt(0, 60_000).default(2000),
  /** How long a note/disposition waits for earlier ones of its engagement before asking for redelivery. */
  ZOOM_ITEM_ORDER_WAIT_MS: envInt(0, 300_000).default(20_000),
  /**
   * How long a note/disposition's `writing` claim keeps other deliveries off after its last
   * renewal. The writer renews it every third of this while its CRM write runs, so only a
   * writer that died (or lost the ledger) is taken over, this long after its last sign of life.
   */
  ZOOM_ITEM_CLAIM_LEASE_MS: envInt(300, 600_000).default(15_000),
  /** An earlier item untouched this long is not waited for (its message may be dead-lettered). */
  ZOOM_ITEM_ORDER_STALE_MS: envInt(1000, 86_400_000).default(600_000),
  /**
   * The trigger subscription's max delivery attempts (Terraform's max_delivery_attempts): on
   * that delivery, what still fails retryably is recorded in the ledger as given up (failed,
   * queued again by the reconciliation) and the message acknowledged, instead of going to the
   * dead-letter topic unaccounted for. 0: never give up (only the dead-letter topic).
   */
  PUBSUB_MAX_DELIVERY_ATTEMPTS: envInt(0, 100).default(10),
  /** How long the record of a dead-lettered message is kept (./dead-letters; the operator's timeline shows it). */
  DEAD_LETTER_RECORD_TTL_DAYS: envInt(1, 365).default(30),
};
