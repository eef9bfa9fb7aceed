/**
 * What V8 was given on this instance, logged once as it starts: the memory limit Node sees
 * (`process.constrainedMemory()`, from the cgroup), V8's heap limit and NODE_OPTIONS. A
 * deployment is checked against its sizing with it (terraform/README.md, checklist): Node sizes
 * V8's heap from the limit it sees, and whether an instance shows Node its limit is not stated
 * by Cloud Run (docs/contracts/google-cloud.md §12).
 */
import { getHeapStatistics } from 'node:v8';

export interface HeapShape {
  /** The memory limit Node sees, in MiB; null when it sees none (unlimited, or not shown to it). */
  memoryLimitMiB: number | null;
  /** V8's heap limit (old and young generations), in MiB. */
  heapLimitMiB: number;
  nodeOptions: string | null;
}

export interface HeapShapeSources {
  constrainedMemory: () => number | undefined;
  heapSizeLimit: () => number;
  env: NodeJS.ProcessEnv;
}

const MiB = 2 ** 20;
/** What Node reports for "no limit": 0 on Node 22, undefined before, or cgroup's "max" as a huge number. */
const NO_LIMIT_ABOVE = 2 ** 50;

const realSources: HeapShapeSources = {
  constrainedMemory: () => process.constrainedMemory(),
  heapSizeLimit: () => getHeapStatistics().heap_size_limit,
  env: process.env,
};

export function heapShape(sources: HeapShapeSources = realSources): HeapShape {
  const limit = sources.constrainedMemory();
  const seen = typeof limit === 'number' && limit > 0 && limit < NO_LIMIT_ABOVE;
  return {
    memoryLimitMiB: seen ? Math.round(limit / MiB) : null,
    heapLimitMiB: Math.round(sources.heapSizeLimit() / MiB),
    nodeOptions: sources.env['NODE_OPTIONS']?.trim() || null,
  };
}
