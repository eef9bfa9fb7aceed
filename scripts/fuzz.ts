/**
 * `npm run fuzz`: the hostile-input run over every HTTP endpoint of the local stack
 * (zoom-webhook, ui-connector, crm, reconcile, and the interaction worker's CloudEvent input).
 *
 *   npm run fuzz                                  10 000 requests, a new seed (printed)
 *   npm run fuzz -- --requests 2000 --seed 7     a reproducible run
 *   npm run fuzz -- --seed 7 --case 1234         replay one case of that run alone
 *   npm run fuzz -- --only crm/,ui-connector/    only those generators
 *
 * Exit status: 0 without violations, 1 with any, 2 for bad options.
 */
import { type FuzzCliOptions, parseFuzzArgs } from './fuzz/options';
import { formatReport } from './fuzz/report';
import { runFuzz } from './fuzz/run';

async function main(): Promise<number> {
  let options: FuzzCliOptions;
  try {
    options = parseFuzzArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const what = options.caseIndex !== undefined ? `case ${options.caseIndex}` : `${options.requests} requests`;
  process.stderr.write(`fuzz: seed ${options.seed}, ${what}, ${options.concurrency} at a time; starting the local stack…\n`);
  let lastShown = 0;
  const report = await runFuzz({
    requests: options.requests,
    seed: options.seed,
    concurrency: options.concurrency,
    ...(options.caseIndex !== undefined ? { caseIndex: options.caseIndex } : {}),
    ...(options.only ? { only: options.only } : {}),
    onProgress: (sent, total) => {
      if (process.stderr.isTTY && (sent - lastShown >= 100 || sent === total)) {
        lastShown = sent;
        process.stderr.write(`\r  ${sent}/${total} requests`);
      }
    },
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stdout.write(`${formatReport(report, { maxViolations: options.maxViolations })}\n`);
  return report.violations.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
