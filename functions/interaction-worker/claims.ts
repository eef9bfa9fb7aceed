/**
 * Runs `write` while renewing a claim every third of the lease, so a write slower than the
 * lease (a CRM timing out and retrying) keeps what it claimed, and a writer that died
 * mid-write (SIGKILL, instance gone) is taken over one lease after its last renewal. The
 * renewals run on the process's own timers: they are the sign of life of this process,
 * whatever clock the worker is given. The renewing stops, and its last write settles, before
 * `write`'s outcome is returned, so no renewal can follow the claimed entry's next state.
 * Used for a note's or disposition's claim (Ledger.claimItem) and an artifact's CRM link
 * (Ledger.claimArtifactLink); `renew` says whether the claim is still ours.
 */
import type { WorkerDeps } from './deps';

export async function holdingClaim(
  deps: Pick<WorkerDeps, 'settings' | 'log'>,
  renew: () => Promise<boolean>,
  what: Record<string, string>,
  write: () => Promise<void>,
): Promise<void> {
  const everyMs = Math.max(100, Math.floor(deps.settings.itemClaimLeaseMs / 3));
  let stopped = false;
  let renewing: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    timer = setTimeout(() => {
      renewing = renew()
        .then((held) => {
          if (!held) deps.log.warn('zoom: claim lost while writing (taken over after its lease)', what);
          else if (!stopped) schedule();
        })
        .catch((err: unknown) => {
          deps.log.warn('zoom: claim renewal failed', { ...what, err });
          if (!stopped) schedule();
        });
    }, everyMs);
    timer.unref();
  };
  schedule();
  try {
    await write();
  } finally {
    stopped = true;
    clearTimeout(timer);
    await renewing;
  }
}
