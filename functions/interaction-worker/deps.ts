/** What the worker's core needs, passed in by the composition root (or a test). */
import type { CrmClient } from '../../shared/crm/port';
import type { Logger } from '../../shared/logging';
import type { BlobStore } from '../../shared/ports/blobstore';
import type { ZoomApiClient } from '../../shared/zoom/api-client';
import type { Ledger } from '../../shared/zoom/ledger';

export interface WorkerSettings {
  archivePrefix: string;
  resumableThresholdBytes: number;
  notReadyDelaysMs: number[];
  notReadyWindowMs: number;
  itemSettleMs: number;
  itemOrderWaitMs: number;
  itemOrderStaleMs: number;
  /** A `writing` claim's lease: renewed every third of it while the write runs (ZOOM_ITEM_CLAIM_LEASE_MS). */
  itemClaimLeaseMs: number;
  /** Deliveries of a message before Pub/Sub dead-letters it (0: unknown, never give up). */
  maxDeliveryAttempts: number;
  /** Builds the durable link the CRM gets for a stored artifact. */
  linkFor(engagementId: string, artifactKey: string): string;
}

export interface WorkerDeps {
  zoom: ZoomApiClient;
  blobs: BlobStore;
  crm: CrmClient;
  ledger: Ledger;
  settings: WorkerSettings;
  log: Logger;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}
