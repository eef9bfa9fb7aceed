/**
 * What every composition root starts with: its configuration parsed (base settings plus
 * the function's own), and a logger that masks that configuration's secrets.
 */
import * as z from 'zod';
import { baseConfigShape, type Env, parseConfig, secretValues } from './config';
import { createLogger, type Logger, type LoggerOptions } from './logging';
import { createMasker } from './mask';

export interface FunctionRuntime<C> {
  name: string;
  config: C & z.output<z.ZodObject<typeof baseConfigShape>>;
  log: Logger;
}

export function createFunctionRuntime<S extends z.ZodRawShape>(
  name: string,
  env: Env,
  shape: S,
  options: { sink?: LoggerOptions['sink'] } = {},
): FunctionRuntime<z.output<z.ZodObject<S>>> {
  const schema = z.object({ ...baseConfigShape, ...shape });
  const config = parseConfig(name, schema, env) as FunctionRuntime<z.output<z.ZodObject<S>>>['config'];
  const masker = createMasker(secretValues(config));
  const log = createLogger({
    level: config.LOG_LEVEL,
    projectId: config.GCP_PROJECT,
    masker,
    fields: { function: name },
    ...(options.sink ? { sink: options.sink } : {}),
  });
  return { name, config, log };
}
