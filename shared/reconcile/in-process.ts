/**
 * A run with its lanes in this process instead of on Pub/Sub: the CLI's mode, and the unit
 * tests'. Same core, same Firestore documents — a run started here and killed resumes from
 * its checkpoints on the next call for the same window, here or in the function.
 * A lane step that fails is retried here with back-off (Pub/Sub's job in the function).
 */
import type { LaneMessage, ReconcileDeps } from './deps';
import { runLaneStep } from './lanes';
import { type RunOutcome, type RunRequest, coordinateRun } from './run';

export interface InProcessOptions {
  pollMs?: number;
  /** Attempts of one lane step before the run is abandoned (it resumes on the next call). */
  stepAttempts?: number;
  retryDelayMs?: number;
}

export async function reconcileInProcess(
  base: Omit<ReconcileDeps, 'dispatch'>,
  request: RunRequest,
  options: InProcessOptions = {},
): Promise<RunOutcome & { finished: true }> {
  const stop = new AbortController();
  const signal = base.signal ? AbortSignal.any([base.signal, stop.signal]) : stop.signal;
  const running = new Set<Promise<void>>();
  const attempts = options.stepAttempts ?? 5;
  const retryDelayMs = options.retryDelayMs ?? 1000;

  const deps: ReconcileDeps = {
    ...base,
    signal,
    dispatch: async (message) => {
      const task: Promise<void> = runSteps(message)
        .catch((err: unknown) => {
          if (!stop.signal.aborted) stop.abort(err instanceof Error ? err : new Error(String(err)));
        })
        .finally(() => running.delete(task));
      running.add(task);
    },
  };

  const runSteps = async (message: LaneMessage): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        // 'busy' (another process holds the lane) needs nothing either: the watchdog restarts it if it dies.
        await runLaneStep(deps, message, { budgetMs: Number.POSITIVE_INFINITY });
        return;
      } catch (err) {
        if (signal.aborted || attempt >= attempts) throw err;
        deps.log.warn('reconcile lane: step failed, retrying', { lane: message.lane, attempt, err });
        await deps.sleep(retryDelayMs * 2 ** (attempt - 1));
      }
    }
  };

  try {
    const outcome = await coordinateRun(deps, request, { waitMs: Number.POSITIVE_INFINITY, pollMs: options.pollMs ?? 250 });
    if (!outcome.finished) throw new Error('reconcile: run did not finish');
    return outcome;
  } catch (err) {
    // The first lane failure is the interesting error, not the abort it caused.
    throw stop.signal.aborted && stop.signal.reason !== undefined && !base.signal?.aborted ? stop.signal.reason : err;
  } finally {
    stop.abort(new Error('reconcile: run over'));
    await Promise.allSettled([...running]);
  }
}
