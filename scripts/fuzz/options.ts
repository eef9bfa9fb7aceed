/** The command line of `npm run fuzz`, read once; every bad value is reported at once. */

export class FuzzOptionsError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid options:\n  - ${problems.join('\n  - ')}`);
    this.name = 'FuzzOptionsError';
  }
}

export interface FuzzCliOptions {
  requests: number;
  seed: number;
  concurrency: number;
  caseIndex: number | undefined;
  only: string[] | undefined;
  maxViolations: number;
}

/** Reads `argv` (without node and the script); `now` seeds runs given no --seed. */
export function parseFuzzArgs(argv: readonly string[], now: () => number = Date.now): FuzzCliOptions {
  const problems: string[] = [];
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) {
      problems.push(`unexpected argument ${arg}`);
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) problems.push(`--${m[1]} needs a value`);
    else values.set(m[1]!, value);
  }
  const known = new Set(['requests', 'seed', 'concurrency', 'case', 'only', 'max-violations']);
  for (const k of values.keys()) if (!known.has(k)) problems.push(`unknown option --${k}`);
  const int = (name: string, fallback: number | undefined, min: number, max: number): number | undefined => {
    const raw = values.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) {
      problems.push(`--${name} must be an integer from ${min} to ${max}, got ${raw}`);
      return fallback;
    }
    return n;
  };
  const options: FuzzCliOptions = {
    requests: int('requests', 10_000, 1, 10_000_000)!,
    // A new seed each run unless given; it is printed, so any run can be repeated.
    seed: int('seed', now() % 2_147_483_647, 0, 2_147_483_647)!,
    concurrency: int('concurrency', 8, 1, 256)!,
    caseIndex: int('case', undefined, 0, 100_000_000),
    only: values
      .get('only')
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    maxViolations: int('max-violations', 12, 1, 100_000)!,
  };
  if (problems.length > 0) throw new FuzzOptionsError(problems);
  return options;
}
