/** Command line of `npm run reconcile`. */
import { parseArgs } from 'node:util';
import { windowBoundSchema } from '../../shared/reconcile/window';

export const USAGE = `usage: npm run reconcile -- [--from 2026-11-01 --to 2026-11-07] [--dry-run] [--restart] [--local | --env]
  --from/--to   days (in RECONCILE_TIME_ZONE, both included) or ISO date-times; default: yesterday plus the overlap
  --dry-run     compare and count, queue nothing
  --restart     start a new run even if the window's last run is unfinished (default: resume it)
  --local       use the local stack from .ccbridge/local.json (default when that file exists and
                ZOOM_CLIENT_ID is not set); --env: use the environment (real services)`;

export interface CliArgs {
  from: string | undefined;
  to: string | undefined;
  dryRun: boolean;
  restart: boolean;
  target: 'local' | 'env' | 'auto';
  help: boolean;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseCliArgs(argv: string[]): CliArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        restart: { type: 'boolean', default: false },
        local: { type: 'boolean', default: false },
        env: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const from = values['from'] as string | undefined;
  const to = values['to'] as string | undefined;
  if ((from === undefined) !== (to === undefined)) throw new UsageError('give both --from and --to, or neither (yesterday)');
  for (const [name, value] of [
    ['--from', from],
    ['--to', to],
  ] as const) {
    if (value !== undefined && !windowBoundSchema.safeParse(value).success)
      throw new UsageError(`${name} must be YYYY-MM-DD or an ISO date-time, got ${value}`);
  }
  if (values['local'] && values['env']) throw new UsageError('--local and --env exclude each other');
  return {
    from,
    to,
    dryRun: values['dry-run'] === true,
    restart: values['restart'] === true,
    target: values['local'] ? 'local' : values['env'] ? 'env' : 'auto',
    help: values['help'] === true,
  };
}
