/** Reads functions/functions.json, the one list of deployable functions. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Kubernetes quantities as the Functions API takes them: M/G are powers of ten, Mi/Gi of two. */
const MEMORY_UNITS = { M: 1e6, G: 1e9, Mi: 2 ** 20, Gi: 2 ** 30 } as const;

/**
 * How an instance of a hot path is sized (docs/contracts/google-cloud.md §12). The platform
 * refuses more than one request at a time below 1 vCPU, so the schema does too.
 */
const instanceSchema = z
  .object({
    memory: z.string().regex(/^[1-9][0-9]*(Mi|Gi|M|G)$/, 'a Kubernetes quantity such as 512Mi'),
    cpu: z.string().regex(/^(0\.[0-9]+|1|2|4|6|8)$/, 'a vCPU count: 0.08 to 1, or 1, 2, 4, 6, 8'),
    concurrency: z.number().int().min(1).max(1000),
    /** V8's semi-space in MiB: its default follows the memory limit (1 MiB at 512 MiB). */
    semiSpaceMiB: z.number().int().min(1).max(256),
  })
  .refine((i) => i.concurrency === 1 || Number(i.cpu) >= 1, 'concurrency above 1 needs at least 1 vCPU');

export type InstanceSizing = z.output<typeof instanceSchema>;

/** The instance's memory limit in bytes. */
export function memoryBytesOf(instance: InstanceSizing): number {
  const [, count, unit] = /^([0-9]+)(Mi|Gi|M|G)$/.exec(instance.memory)!;
  return Number(count) * MEMORY_UNITS[unit as keyof typeof MEMORY_UNITS];
}

/** Node's options for the instance: what Terraform sets as NODE_OPTIONS (terraform/functions.tf builds the same string). */
export function nodeOptionsOf(instance: InstanceSizing): string[] {
  return [`--max-semi-space-size=${instance.semiSpaceMiB}`];
}

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
      instance: instanceSchema.optional(),
    }),
  ),
});

export type FunctionManifestEntry = z.output<typeof manifestSchema>['functions'][number];

export function readFunctionManifest(): FunctionManifestEntry[] {
  return parseFunctionManifest(JSON.parse(readFileSync(new URL('../functions/functions.json', import.meta.url), 'utf8')));
}

/** functions.json's content, checked (throws naming what is wrong). */
export function parseFunctionManifest(raw: unknown): FunctionManifestEntry[] {
  return manifestSchema.parse(raw).functions;
}
