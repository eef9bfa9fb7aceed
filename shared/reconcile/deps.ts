/** What the reconciliation core needs, passed in by the function's composition root or the CLI. */
import type { Logger } from '../logging';
import type { DocStore } from '../ports/docstore';
import type { EventBus } from '../ports/eventbus';
import type { ZoomApiClient } from '../zoom/api-client';
import type { ZoomRateLimiter, ZoomRates } from '../zoom/rate-limiter';
import type { LaneLimits } from './lane-limits';
import type { Tally } from './report';
import type { SourceName } from './sources';
import type { ReconcileStore } from './store';

export interface ReconcileSettings {
  /** payload.account_id of the envelopes queued for the worker. */
  accountId: string;
  eventsTopic: string;
  /** Zoom requests per second per rate category, for the whole run (all lanes together). */
  rates: ZoomRates;
  /** Slices processed at once; each lane gets rates / (lanes still working). */
  lanes: number;
  /** Pages a slice should hold (bounds a slice's duration and its checkpoint document). */
  targetPagesPerSlice: number;
  /** Planning probes cover at most this many hours each. */
  planChunkHours: number;
  /** An entry left pending this long is queued again. */
  staleMs: number;
  retryFailedArtifacts: boolean;
  /** A lane whose heartbeat is older than this is taken over. */
  leaseMs: number;
  /** How long one lane invocation works before handing the lane on (under the push deadline). */
  laneBudgetMs: number;
  /** Page tokens older than this are not tried: the listing restarts from the slice's checkpoint. */
  tokenMaxAgeMs: number;
  /** Restarts of one slice's listing before the slice is given up. */
  maxRestarts: number;
  publishConcurrency: number;
}

/** The Pub/Sub message on reconcile-slices: "lane k of run r, step s". */
export interface LaneMessage {
  runId: string;
  lane: number;
  step: number;
}

export type ProgressEvent =
  | { kind: 'planned'; runId: string; slices: number; estimatedPages: number; resumed: boolean }
  | { kind: 'page'; runId: string; slice: number; source: SourceName; listed: number; tally: Tally }
  | { kind: 'slice'; runId: string; slice: number; state: 'done' | 'failed'; reason?: string };

export interface ReconcileDeps {
  store: ReconcileStore;
  /** For the ledger (read only). */
  docs: DocStore;
  bus: EventBus;
  /** A Zoom client whose API requests wait for `limiter` (one per lane). */
  zoom(limiter: ZoomRateLimiter): ZoomApiClient;
  /** The Zoom rate shared by the lanes in this process (and 429 pauses). */
  limits: LaneLimits;
  /** Starts the given lane step somewhere: Pub/Sub in the function, a local task in the CLI. */
  dispatch(message: LaneMessage): Promise<void>;
  settings: ReconcileSettings;
  log: Logger;
  now(): number;
  sleep(ms: number): Promise<void>;
  onProgress?(event: ProgressEvent): void;
  /** Aborts work between pages (the CLI's Ctrl-C, tests that kill a run midway). */
  signal?: AbortSignal;
}
