/**
 * What every composition root starts with: its configuration parsed (base settings plus
 * the function's own), and a logger that masks that configuration's secrets.
 */
import * as z from 'zod';
import { baseConfigShape, type Env, parseConfig, secretValues } from './config';
import { createLogger, type Logger, type LoggerOptions } from './logging';
import { createMasker } from './mask';
import type { Sleep } from './sleep';

/**
 * What every `compose…(env, ports?, options?)` takes besides its configuration and ports: the
 * clock, the way to wait, and where log lines go — one shape for all functions, so a test
 * drives any of them with the same fake clock.
 */
export interface ComposeOptions {
  /** The clock, in epoch milliseconds (Date.now by default). */
  now?: () => number;
  /** How retries and pacing wait (shared/sleep by default). */
  sleep?: Sleep;
  /** Where log lines go (stdout by default); the logger itself is built here, masking the configuration's secrets. */
  log?: LoggerOptions['sink'];
}

export interface FunctionRuntime<C> {
  name: string;
  config: C & z.output<z.ZodObject<typeof baseConfigShape>>;
  log: Logger;
}

export function createFunctionRuntime<S extends z.ZodRawShape>(
  name: string,
  env: Env,
  shape: S,
  options: Pick<ComposeOptions, 'log'> = {},
): FunctionRuntime<z.output<z.ZodObject<S>>> {
  const schema = z.object({ ...baseConfigShape, ...shape });
  const config = parseConfig(name, schema, env) as FunctionRuntime<z.output<z.ZodObject<S>>>['config'];
  const masker = createMasker(secretValues(config));
  const log = createLogger({
    level: config.LOG_LEVEL,
    projectId: config.GCP_PROJECT,
    masker,
    fields: { function: name },
    ...(options.log ? { sink: options.log } : {}),
  });
  return { name, config, log };
}
