/**
 * `npm run reconcile -- --from 2026-11-01 --to 2026-11-07 [--dry-run] [--restart] [--local | --env]`
 *
 * Finds what Zoom has for the window and the ledger lacks, and queues it for the worker —
 * the same core as the nightly `reconcile` function — against the local stack
 * (.ccbridge/local.json, written by `npm start`) or real services (the environment).
 * Progress goes to stderr (a bar on a terminal), the report table to stdout.
 * See functions/reconcile/README.md.
 */
import { repoRoot } from '../local/manifest';
import { runReconcileCli } from './reconcile/main';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
const { code } = await runReconcileCli(process.argv.slice(2), process.env, repoRoot, {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
process.exitCode = code;
