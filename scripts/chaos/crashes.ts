/**
 * "The worker killed mid-upload", for real: the Zoom mock holds the chosen downloads
 * halfway through the body; while it holds one, this waits until the storage emulator
 * shows that object's resumable upload session receiving bytes (so the kill lands with an
 * upload open), then has the worker pool start a replacement and SIGKILL the running
 * instance. The held download's connection, the upload's connection, and every other
 * request of that instance are cut by the kernel: no ledger update, a partial upload left
 * behind in an abandoned session, and Pub/Sub redelivers what was in flight.
 *
 * One crash at a time: a download reaching its hold while a crash is under way goes on
 * (counted as skipped; another target is armed in its place when one is left).
 */
import type { UploadInProgress } from '../../local/storage';
import type { WorkerPool } from './worker-pool';

export interface CrashRecord {
  /** Zoom file path being downloaded. */
  file: string;
  /** Object being uploaded. */
  object: string;
  fileBytes: number;
  /** Bytes the download had sent when it was held. */
  downloadedBytes: number;
  /** Bytes the upload had brought to Cloud Storage when the instance was killed (undefined: no session seen in time). */
  uploadedBytes: number | undefined;
  /** Bytes the abandoned session still holds after the kill: the partial upload left behind. */
  leftBehindBytes: number | undefined;
  killedPid: number;
}

export interface CrashTarget {
  file: string;
  object: string;
  bytes: number;
}

export interface Crasher {
  /** Makes the Zoom mock hold this file's first download halfway (see holdDownload). */
  readonly records: CrashRecord[];
  readonly skipped: number;
  /** Targets armed so far. */
  readonly armed: number;
}

export interface CrasherDeps {
  pool: WorkerPool;
  bucket: string;
  uploadsInProgress(): UploadInProgress[];
  /** Arms the Zoom mock to hold `target`'s next download after `afterBytes` and call `onHold`. */
  hold(target: CrashTarget, afterBytes: number, onHold: () => Promise<void>): void;
  log(line: string): void;
}

/** How long a held download waits for its upload to show up in the storage emulator. */
const UPLOAD_WAIT_MS = 5_000;

export function armCrashes(deps: CrasherDeps, targets: CrashTarget[], spares: CrashTarget[]): Crasher {
  const records: CrashRecord[] = [];
  let skipped = 0;
  let armed = 0;
  let busy = false;
  const spareQueue = [...spares];

  const arm = (target: CrashTarget) => {
    armed++;
    // Half the file: the upload is open and has bytes, and half is still to come.
    const afterBytes = Math.floor(target.bytes / 2);
    deps.hold(target, afterBytes, () => crashDuring(target, afterBytes));
  };

  const crashDuring = async (target: CrashTarget, downloadedBytes: number) => {
    if (busy) {
      skipped++;
      const spare = spareQueue.shift();
      if (spare) arm(spare);
      return;
    }
    busy = true;
    try {
      const session = (u: UploadInProgress) => u.bucket === deps.bucket && u.name === target.object;
      const open = await waitFor(() => deps.uploadsInProgress().find((u) => session(u) && u.received + u.arriving > 0), UPLOAD_WAIT_MS);
      const uploadedBytes = open ? open.received + open.arriving : undefined;
      const { killedPid } = await deps.pool.crash();
      // The connection is gone: the session stops receiving and keeps what arrived.
      const left = open ? await waitFor(() => deps.uploadsInProgress().find((u) => session(u) && !u.receiving), UPLOAD_WAIT_MS) : undefined;
      records.push({
        file: target.file,
        object: target.object,
        fileBytes: target.bytes,
        downloadedBytes,
        uploadedBytes,
        leftBehindBytes: left?.received,
        killedPid,
      });
      deps.log(
        `crash ${records.length}: killed worker pid ${killedPid} mid-upload of ${target.object} ` +
          `(${uploadedBytes ?? '?'} of ${target.bytes} bytes uploaded, ${left?.received ?? '?'} left behind)`,
      );
    } catch (err) {
      deps.log(`crash during ${target.object} failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      busy = false;
    }
  };

  for (const t of targets) arm(t);
  return {
    records,
    get skipped() {
      return skipped;
    },
    get armed() {
      return armed;
    },
  };
}

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = probe();
    if (found !== undefined || Date.now() >= deadline) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
}
