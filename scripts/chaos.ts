/**
 * `npm run chaos`: proof of no loss — a generated day of Zoom Contact Center traffic through
 * the whole pipeline on the local stack while everything misbehaves (dropped, duplicated and
 * late webhooks; Zoom 429s, files not ready, cut-off downloads; Cloud Storage 503s; CRM 500s
 * and 429s; the worker process SIGKILLed mid-upload), then the nightly reconciliation, then
 * checks of every artifact, CRM write and ledger entry against what Zoom has.
 *
 *   npm run chaos                                    2 000 engagements, issue 8's fault rates
 *   npm run chaos -- --engagements 200 --seed 7      a smaller, other day
 *   npm run chaos -- --crash 5% --crm-500 0.2         harsher
 *
 * Progress on stderr, the report on stdout. Exit status: 0 with no loss and no duplicate,
 * 1 otherwise, 2 for bad options.
 */
import { appendFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChaosOptionsError, parseChaosArgs, USAGE } from './chaos/options';
import { formatChaosReport } from './chaos/report';
import { runChaos } from './chaos/run';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let options: ReturnType<typeof parseChaosArgs>;
  try {
    options = parseChaosArgs(argv);
  } catch (err) {
    process.stderr.write(`${err instanceof ChaosOptionsError ? `${err.message}\n\n${USAGE}` : String(err)}\n`);
    return 2;
  }
  const say = (line: string) => process.stderr.write(`${line}\n`);
  say(`chaos: seed ${options.seed}, ${options.engagements} engagements; starting the local stack and the worker process…`);
  // The functions in this process log JSON lines to stdout: they go to a file, the report to stdout alone.
  const logDir = mkdtempSync(join(tmpdir(), 'ccbridge-chaos-'));
  const functionsLog = join(logDir, 'functions.log');
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    appendFileSync(functionsLog, chunk);
    rest.find((r): r is () => void => typeof r === 'function')?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    const report = await runChaos({ ...options, logDir, progress: say });
    write(`${formatChaosReport(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    process.stdout.write = write;
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
