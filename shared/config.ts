/**
 * Configuration is parsed once, by a zod schema, from an injected `env` (process.env in
 * production, literal objects in tests). Startup fails fast with one error listing every
 * bad key. Secrets are wrapped in `Secret` so they cannot be logged or serialised by mistake.
 */
import * as z from 'zod';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(scope: string, problems: string[]) {
    super(`invalid configuration for ${scope}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Record<string, string | undefined>;

export function parseConfig<S extends z.ZodType>(scope: string, schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  // Only key names and the rule broken are reported: a value may be a secret.
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(env)';
    return `${key}: ${issue.message}`;
  });
  throw new ConfigError(scope, problems);
}

/** A secret value. Its string forms are redacted; `reveal()` is the only way in. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}

/** A required secret of at least `min` characters (short values would be guessable and unmaskable). */
export const secret = (min = 8) =>
  z
    .string({ error: 'required secret is missing' })
    .min(min, { error: `must be at least ${min} characters` })
    .transform((v) => new Secret(v));

export const optionalSecret = (min = 8) =>
  z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v))
    .pipe(
      z
        .string()
        .min(min, { error: `must be at least ${min} characters` })
        .transform((v) => new Secret(v))
        .optional(),
    );

/** Collects the revealed values of every Secret in a parsed config, for the log masker. */
export function secretValues(config: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (v instanceof Secret) out.push(v.reveal());
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(config);
  return out;
}

// Reusable env field parsers.
export const envString = () => z.string({ error: 'required' }).trim().min(1, { error: 'required' });
export const envUrl = () => z.url({ error: 'must be an absolute URL' });
export const envInt = (min: number, max: number) => z.coerce.number({ error: 'must be a number' }).int().min(min).max(max);
export const envBool = () =>
  z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'must be true or false' }).transform((v) => v === 'true' || v === '1' || v === 'yes');
export const envList = () =>
  z.string().transform((v) =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  );

/** Settings every function has. */
export const baseConfigShape = {
  /** No default: a deployment names its project (the local stack sets its own). */
  GCP_PROJECT: envString(),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }).default('info'),
  FIRESTORE_DATABASE: z.string().trim().min(1).default('(default)'),
};
