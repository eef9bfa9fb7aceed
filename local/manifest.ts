/** Reads functions/functions.json, the one list of deployable functions. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

const manifestSchema = z.object({
  functions: z.array(
    z.object({
      name: z.string().regex(/^[a-z][a-z0-9-]*$/),
      entryPoint: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/),
      signature: z.enum(['http']),
      /** public: allUsers may invoke; iam: Cloud Run's invoker check runs first (local/gateway.ts). */
      access: z.enum(['public', 'iam']),
      /** The function is the push endpoint of a subscription on this topic. */
      topic: z.string().optional(),
      description: z.string(),
    }),
  ),
});

export type FunctionManifestEntry = z.output<typeof manifestSchema>['functions'][number];

export function readFunctionManifest(): FunctionManifestEntry[] {
  const raw: unknown = JSON.parse(readFileSync(new URL('../functions/functions.json', import.meta.url), 'utf8'));
  return manifestSchema.parse(raw).functions;
}
