/**
 * The CLI's core: the same reconciliation as the `reconcile` function (shared/reconcile),
 * with its lanes in this process instead of on Pub/Sub, against the local stack or real
 * services. Writes the same Firestore documents, so a run interrupted here (Ctrl-C) resumes
 * on the next call for the same window — here or in the function.
 * Exit codes: 0 complete, 1 complete with failed slices or an error, 2 usage, 130 interrupted.
 */
import * as z from 'zod';
import { baseConfigShape, type Env, parseConfig } from '../../shared/config';
import { createFirestoreDocStore } from '../../shared/adapters/firestore';
import { createPubSubEventBus } from '../../shared/adapters/pubsub';
import { createFirestore, createPubSub } from '../../shared/google';
import { createLogger } from '../../shared/logging';
import { reconcileCoreConfigShape, reconcileSettingsOf } from '../../shared/reconcile/config';
import type { ReconcileDeps } from '../../shared/reconcile/deps';
import { reconcileInProcess } from '../../shared/reconcile/in-process';
import { createLaneLimits } from '../../shared/reconcile/lane-limits';
import { formatReportTable, type RunReport } from '../../shared/reconcile/report';
import { createReconcileStore } from '../../shared/reconcile/store';
import { defaultWindow, explicitWindow } from '../../shared/reconcile/window';
import { createReconcileZoom } from '../../shared/reconcile/zoom-clients';
import { parseCliArgs, USAGE, UsageError } from './args';
import { resolveEnvironment } from './environment';
import { createProgress, type ProgressSink } from './progress';
import { sleep } from '../../shared/sleep';

export interface CliIo {
  stdout: ProgressSink;
  stderr: ProgressSink;
  /** Aborts the run (Ctrl-C). */
  signal?: AbortSignal;
}

export interface CliResult {
  code: number;
  report?: RunReport;
}

export async function runReconcileCli(argv: string[], env: Env, repoRoot: string, io: CliIo): Promise<CliResult> {
  let args: ReturnType<typeof parseCliArgs>;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.stderr.write(`${err.message}\n${USAGE}\n`);
    return { code: 2 };
  }
  if (args.help) {
    io.stdout.write(`${USAGE}\n`);
    return { code: 0 };
  }

  const resolved = resolveEnvironment(args, env, repoRoot);
  // The Google client libraries read the emulator hosts from process.env.
  Object.assign(process.env, resolved.processEnv);
  const config = parseConfig('reconcile CLI', z.object({ ...baseConfigShape, ...reconcileCoreConfigShape }), resolved.env);
  const progress = createProgress(io.stderr);
  const log = createLogger({
    level: config.LOG_LEVEL,
    projectId: config.GCP_PROJECT,
    fields: { function: 'reconcile-cli' },
    sink: (line) => progress.note(line),
  });

  const now = Date.now();
  const window =
    args.from !== undefined && args.to !== undefined
      ? explicitWindow({ from: args.from, to: args.to }, config.RECONCILE_TIME_ZONE, now)
      : defaultWindow(now, config.RECONCILE_TIME_ZONE, config.RECONCILE_OVERLAP_HOURS);
  io.stderr.write(`reconcile ${window.from} → ${window.to}${args.dryRun ? ' (dry run: nothing is queued)' : ''} against ${resolved.describe}\n`);

  const firestore = createFirestore(config.GCP_PROJECT, config.FIRESTORE_DATABASE);
  const pubsub = createPubSub(config.GCP_PROJECT);
  const docs = createFirestoreDocStore(firestore);
  const deps: Omit<ReconcileDeps, 'dispatch'> = {
    store: createReconcileStore(docs),
    docs,
    bus: createPubSubEventBus(pubsub),
    zoom: createReconcileZoom({
      apiBaseUrl: config.ZOOM_API_BASE_URL,
      tokenUrl: config.ZOOM_OAUTH_TOKEN_URL,
      accountId: config.ZOOM_ACCOUNT_ID,
      clientId: config.ZOOM_CLIENT_ID,
      clientSecret: config.ZOOM_CLIENT_SECRET,
      retry: { limit: config.RECONCILE_ZOOM_RETRY_LIMIT, baseDelayMs: config.RECONCILE_ZOOM_RETRY_BASE_MS, maxDelayMs: config.RECONCILE_ZOOM_RETRY_MAX_MS },
    }),
    limits: createLaneLimits(),
    settings: reconcileSettingsOf(config),
    log,
    now: Date.now,
    sleep,
    onProgress: (event) => progress.onEvent(event),
    ...(io.signal ? { signal: io.signal } : {}),
  };

  try {
    const { report } = await reconcileInProcess(deps, { window, dryRun: args.dryRun, trigger: 'cli', restart: args.restart });
    progress.finish();
    io.stdout.write(`${formatReportTable(report)}\n`);
    return { code: report.state === 'complete' ? 0 : 1, report };
  } catch (err) {
    progress.finish();
    if (io.signal?.aborted) {
      io.stderr.write('interrupted: progress is saved; run the same command again to resume\n');
      return { code: 130 };
    }
    io.stderr.write(`reconcile failed: ${err instanceof Error ? err.message : String(err)}\nprogress is saved; run the same command again to resume\n`);
    return { code: 1 };
  } finally {
    await pubsub.close().catch(() => undefined);
    await firestore.terminate().catch(() => undefined);
  }
}
