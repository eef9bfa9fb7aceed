/**
 * reconcile's HTTP surface:
 * - `POST /` (Cloud Scheduler, operators): start — or resume — the run of a window and answer
 *   with its report (200), or 202 with the run id and progress if it takes longer than the wait;
 * - `POST /slices` (the reconcile-slices push subscription): one lane step;
 * - `GET /runs/:runId`: a run's report, or its progress.
 * Every route requires a Google-signed OIDC token for this function's URL (./oidc), as
 * Cloud Run forwards it when the invoker check is on (signature stripped, then trusted).
 */
import { conflict, notFound } from '../../shared/errors';
import { createHttpApp, type HttpFunction } from '../../shared/http/app';
import { parseBody } from '../../shared/http/body';
import type { Logger } from '../../shared/logging';
import type { ReconcileDeps } from '../../shared/reconcile/deps';
import { runLaneStep } from '../../shared/reconcile/lanes';
import { coordinateRun, progressOf } from '../../shared/reconcile/run';
import { defaultWindow, explicitWindow } from '../../shared/reconcile/window';
import { decodeLanePush, runRequestSchema } from './inputs';
import { type OidcVerifier, platformCredential } from './oidc';

export interface ReconcileAppDeps {
  core: ReconcileDeps;
  oidc: OidcVerifier;
  invokers: string[];
  pushInvokers: string[];
  timeZone: string;
  overlapHours: number;
  waitMs: number;
  pollMs: number;
  log: Logger;
  projectId: string;
}

export function createReconcileApp(deps: ReconcileAppDeps): HttpFunction {
  return createHttpApp({
    name: 'reconcile',
    log: deps.log,
    projectId: deps.projectId,
    routes: [
      {
        method: 'POST',
        path: '/',
        handle: async (ctx) => {
          const caller = await deps.oidc.verify(platformCredential(ctx.req.headers), deps.invokers);
          const body = parseBody(ctx, runRequestSchema);
          const now = deps.core.now();
          const window =
            body.from !== undefined && body.to !== undefined
              ? explicitWindow({ from: body.from, to: body.to }, deps.timeZone, now)
              : defaultWindow(now, deps.timeZone, deps.overlapHours);
          ctx.log.info('reconcile: run requested', { caller: caller.email, from: window.from, to: window.to, dryRun: body.dryRun, trigger: body.trigger });
          const outcome = await coordinateRun(
            { ...deps.core, log: ctx.log },
            { window, dryRun: body.dryRun, trigger: body.trigger, restart: body.restart },
            { waitMs: body.wait ? deps.waitMs : 0, pollMs: deps.pollMs },
          );
          if (outcome.finished) return { status: 200, json: { ...outcome.report, resumed: outcome.resumed } };
          return { status: 202, json: { ...outcome.progress, message: 'the run goes on; GET /runs/<runId> for its report' } };
        },
      },
      {
        method: 'POST',
        path: '/slices',
        handle: async (ctx) => {
          await deps.oidc.verify(platformCredential(ctx.req.headers), deps.pushInvokers);
          const decoded = decodeLanePush(ctx.req.body);
          if (!decoded.ok) {
            // Acknowledged: redelivering a message that can never be read would only dead-letter it later.
            ctx.log.warn('reconcile: lane message dropped', { reason: decoded.reason });
            return { status: 204 };
          }
          const log = ctx.log.child({ messageId: decoded.messageId, deliveryAttempt: decoded.deliveryAttempt });
          const outcome = await runLaneStep({ ...deps.core, log }, decoded.message, { budgetMs: deps.core.settings.laneBudgetMs });
          // Busy: another delivery of this step is being worked on; Pub/Sub asks again later.
          if (outcome === 'busy') throw conflict('this lane step is being worked on');
          return { status: 200, json: { outcome } };
        },
      },
      {
        method: 'GET',
        path: '/runs/:runId',
        handle: async (ctx) => {
          await deps.oidc.verify(platformCredential(ctx.req.headers), deps.invokers);
          const runId = ctx.params['runId']!;
          const report = await deps.core.store.getReport(runId);
          if (report) return { status: 200, json: report };
          const run = await deps.core.store.getRun(runId);
          if (!run) throw notFound(`no run ${runId}`);
          return { status: 202, json: await progressOf(deps.core, run, false) };
        },
      },
    ],
  });
}
