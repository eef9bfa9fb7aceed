/**
 * One artifact of an engagement: fetched from Zoom into Cloud Storage (ledger: stored),
 * then linked in the CRM with the bundle's durable link (ledger: linked). Each step is
 * skipped when the ledger says it is done, so a redelivery after a crash resumes where
 * the crash happened; the CRM attachment carries an idempotency key for the crash that
 * falls between the CRM write and the ledger write.
 */
import { randomUUID } from 'node:crypto';
import { AppError } from '../../shared/errors';
import { artifactPath, extensionFor, extensionOfContentType } from '../../shared/zoom/artifacts';
import { ZoomApiError, ZoomFileNotReadyError } from '../../shared/zoom/errors';
import type { LedgerArtifact } from '../../shared/zoom/ledger';
import type { QueuedZoomEvent } from '../../shared/zoom/queued-event';
import { transferZoomFile } from '../../shared/zoom/transfer';
import { holdingClaim } from './claims';
import { ensureCrmRecord } from './crm-record';
import type { WorkerDeps } from './deps';
import { isRetryable, reasonOf } from './failures';
import type { EventPlan, PlannedArtifact } from './plan';

/** `already_failed`: an earlier delivery failed it for good and this one does not try again. */
export type ArtifactOutcome = 'stored_and_linked' | 'linked' | 'already_done' | 'already_failed' | 'failed';

export async function storeArtifact(deps: WorkerDeps, plan: EventPlan, artifact: PlannedArtifact, source: QueuedZoomEvent['source']): Promise<ArtifactOutcome> {
  const engagementId = plan.engagementId;
  const log = deps.log.child({ engagementId, artifact: artifact.key });
  const entry = await deps.ledger.registerArtifact(engagementId, artifact.key, {
    kind: artifact.kind,
    path: artifactPath({ engagementId, startTime: artifact.time, key: artifact.key, kind: artifact.kind, prefix: deps.settings.archivePrefix }),
    sourceId: artifact.sourceId,
    eventTs: plan.eventTs,
  });
  if (entry.state === 'linked') {
    log.info('zoom artifact: already stored and linked');
    return 'already_done';
  }
  // A permanent failure stays one, unless the reconciliation asks again on purpose.
  if (entry.state === 'failed' && source !== 'reconcile') return 'already_failed';

  let contentType = entry.contentType;
  let outcome: ArtifactOutcome = 'linked';
  if (entry.state !== 'stored') {
    const stored = await step(deps, engagementId, artifact.key, 'zoom', () => fetchIntoStorage(deps, plan, artifact, entry));
    if (!stored) return 'failed';
    contentType = stored.contentType;
    outcome = 'stored_and_linked';
  }

  const linked = await step(deps, engagementId, artifact.key, 'crm', () => linkInCrm(deps, engagementId, artifact, contentType));
  if (linked === 'already_linked') {
    log.info('zoom artifact: linked by another delivery meanwhile');
    return 'already_done';
  }
  if (!linked) return 'failed';
  log.info('zoom artifact: linked in the CRM', { outcome });
  return outcome;
}

/**
 * The CRM link, written by one delivery at a time: a CRM's keyed write looks for the earlier
 * attempt's marker and then writes, which is safe after a crash but not between two deliveries
 * writing at once (a redelivery while the first attempt still waits on a slow CRM, a duplicate
 * event, the reconciliation's backfill). The claim is a lease in the ledger, renewed while the
 * write runs; another delivery finding it held is retried later (a 503 Pub/Sub redelivers).
 */
async function linkInCrm(deps: WorkerDeps, engagementId: string, artifact: PlannedArtifact, contentType: string | undefined): Promise<true | 'already_linked'> {
  const owner = randomUUID();
  const claim = await deps.ledger.claimArtifactLink(engagementId, artifact.key, { owner, staleMs: deps.settings.itemClaimLeaseMs, now: deps.now() });
  if (claim === 'gone') return 'already_linked';
  if (claim === 'taken') throw new AppError('unavailable', 503, 'another delivery is linking this artifact in the CRM; retry later', { retryable: true });
  try {
    const renew = () => deps.ledger.renewArtifactLinkClaim(engagementId, artifact.key, { owner, now: deps.now() });
    await holdingClaim(deps, renew, { engagementId, artifact: artifact.key }, async () => {
      const doc = await deps.ledger.get(engagementId);
      if (!doc) throw new Error(`ledger of ${engagementId} vanished`);
      const recordId = await ensureCrmRecord(deps, doc);
      const type = contentType ?? 'application/octet-stream';
      await deps.crm.addAttachment(recordId, {
        fileName: `${artifact.key}.${extensionOfContentType(type) ?? extensionFor(artifact.kind)}`,
        contentType: type,
        url: deps.settings.linkFor(engagementId, artifact.key),
        idempotencyKey: `zoom:${engagementId}:${artifact.key}`,
      });
    });
  } catch (err) {
    // Whoever tries next need not wait out the lease; a failed release leaves it to expire.
    await deps.ledger.releaseArtifactLinkClaim(engagementId, artifact.key, owner).catch(() => undefined);
    throw err;
  }
  await deps.ledger.updateArtifact(engagementId, artifact.key, { state: 'linked', reason: '' });
  return true;
}

async function fetchIntoStorage(deps: WorkerDeps, plan: EventPlan, artifact: PlannedArtifact, entry: LedgerArtifact): Promise<{ contentType: string }> {
  const engagementId = plan.engagementId;
  const doc = await deps.ledger.get(engagementId);
  const metadata: Record<string, string> = {
    engagementId,
    artifact: artifact.key,
    kind: artifact.kind,
    source: 'zoom-contact-center',
    ...(artifact.sourceId ? { zoomId: artifact.sourceId } : {}),
    ...(doc?.queueId ? { queueId: doc.queueId } : {}),
    ...(doc?.agentId ? { agentId: doc.agentId } : {}),
    ...(doc?.channel ? { channel: doc.channel } : {}),
    ...(doc?.startTime ? { engagementStart: doc.startTime } : {}),
    ...(artifact.time ? { artifactTime: artifact.time } : {}),
    eventTime: new Date(plan.eventTs).toISOString(),
  };
  const result = await waitForFile(deps, plan.eventTs, async () => {
    const url = artifact.url ?? (await lookUpRecordingUrl(deps, engagementId, artifact.sourceId));
    return transferZoomFile(
      { zoom: deps.zoom, blobs: deps.blobs, log: deps.log },
      { url, path: entry.path, metadata, resumableThresholdBytes: deps.settings.resumableThresholdBytes },
    );
  });
  await deps.ledger.updateArtifact(engagementId, artifact.key, {
    state: 'stored',
    reason: '',
    bytes: result.info.size,
    generation: result.info.generation,
    contentType: result.contentType,
    ...(result.info.crc32c ? { crc32c: result.info.crc32c } : {}),
  });
  deps.log.info('zoom artifact: stored', { engagementId, artifact: artifact.key, path: entry.path, bytes: result.info.size, reused: result.reused });
  return { contentType: result.contentType };
}

/**
 * Runs one step with the retry rule: permanent failures are recorded (artifact failed,
 * with the reason) and the step reports false; retryable ones are noted and thrown.
 */
async function step<T>(deps: WorkerDeps, engagementId: string, key: string, upstream: 'zoom' | 'crm', run: () => Promise<T>): Promise<T | false> {
  try {
    return await run();
  } catch (err) {
    const windowClosed = err instanceof ZoomFileNotReadyError;
    if (windowClosed || !isRetryable(err)) {
      const reason = windowClosed
        ? `zoom: file still not available ${Math.round(deps.settings.notReadyWindowMs / 1000)} s after the event`
        : `${upstream}: ${reasonOf(err)}`;
      await deps.ledger.updateArtifact(engagementId, key, { state: 'failed', reason, gaveUp: false });
      deps.log.warn('zoom artifact: permanent failure recorded', { engagementId, artifact: key, reason });
      return false;
    }
    await deps.ledger.updateArtifact(engagementId, key, { reason: `retrying: ${upstream}: ${reasonOf(err)}` }).catch(() => undefined);
    throw err;
  }
}

/**
 * Waits for a file Zoom has announced but does not serve yet (404/409 soon after the event):
 * tried again after each of the not-ready delays. When they are spent, the file is handed back
 * to Pub/Sub (retryable) while the window is open and becomes a ZoomFileNotReadyError
 * (permanent, see `step`) once it has closed. 429/5xx are not retried here: the Zoom client
 * already did (shared/zoom/README.md), and what it gives up on goes back to Pub/Sub.
 */
async function waitForFile<T>(deps: WorkerDeps, eventTs: number, run: () => Promise<T>): Promise<T> {
  const delays = deps.settings.notReadyDelaysMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof ZoomFileNotReadyError)) throw err;
      if (deps.now() - eventTs >= deps.settings.notReadyWindowMs) throw err;
      if (attempt >= delays.length) throw new NotReadyYetError(err.upstreamStatus);
      await deps.sleep(delays[attempt]!);
    }
  }
}

/** Still not ready, window still open: retryable, so Pub/Sub redelivers with its back-off. */
class NotReadyYetError extends ZoomApiError {
  constructor(status: number) {
    super(503, `file (HTTP ${status}: not ready yet)`);
    this.name = 'NotReadyYetError';
  }
}

/** recording_completed without download_url (field lists are unconfirmed): ask the REST API. */
async function lookUpRecordingUrl(deps: WorkerDeps, engagementId: string, recordingId: string | undefined): Promise<string> {
  for await (const recording of deps.zoom.listEngagementRecordings(engagementId)) {
    if (recording.recording_id === recordingId && recording.download_url) return recording.download_url;
  }
  throw new ZoomFileNotReadyError(404);
}
