/**
 * The line every instance logs as it starts (shared/heap-shape.ts, shared/entry.ts): the memory
 * limit Node sees, V8's heap limit and NODE_OPTIONS — what a deployment is checked against its
 * sizing with (terraform/README.md, checklist 16).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createMemoryCgroup, inCgroup } from '../../bench/_memory-cgroup';
import { heapShape } from '../../shared/heap-shape';
import { nodeOptionsOf, readFunctionManifest } from '../../local/manifest';

const run = promisify(execFile);
const MiB = 2 ** 20;
const sources = (limit: number | undefined, heap = 304 * MiB, nodeOptions?: string) => ({
  constrainedMemory: () => limit,
  heapSizeLimit: () => heap,
  env: nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions },
});

describe('heapShape', () => {
  it('reports the memory limit Node sees, the heap limit and NODE_OPTIONS, in MiB', () => {
    expect(heapShape(sources(512 * MiB, 304 * MiB, '--max-semi-space-size=16'))).toEqual({
      memoryLimitMiB: 512,
      heapLimitMiB: 304,
      nodeOptions: '--max-semi-space-size=16',
    });
  });

  it('no limit seen is null, however Node says it: 0 (Node 22), undefined (before), or cgroup "max" as a huge number', () => {
    for (const limit of [0, undefined, 2 ** 63]) expect(heapShape(sources(limit, 4144 * MiB)).memoryLimitMiB).toBeNull();
    expect(heapShape(sources(0, 4144 * MiB, '  ')).nodeOptions).toBeNull();
  });

  it('in a process of its own, inside the instance memory limit with the deployed options: the figures checklist 16 expects', async () => {
    const zoom = readFunctionManifest().find((f) => f.name === 'zoom-webhook')!.instance!;
    const cgroup = createMemoryCgroup(`ccbridge-heap-shape-${process.pid}`, 512 * MiB);
    const probe = ['--import', 'tsx', '-e', "import('./shared/heap-shape.ts').then((m) => process.stdout.write(JSON.stringify(m.heapShape())))"];
    const { command, args } = inCgroup('unavailable' in cgroup ? undefined : cgroup, process.execPath, probe);
    try {
      const { stdout } = await run(command, args, { env: { ...process.env, NODE_OPTIONS: nodeOptionsOf(zoom).join(' ') }, timeout: 60_000 });
      const shape = JSON.parse(stdout) as ReturnType<typeof heapShape>;
      expect(shape.nodeOptions).toBe(`--max-semi-space-size=${zoom.semiSpaceMiB}`);
      if ('unavailable' in cgroup) return; // no cgroup here: the limit cannot be shown to the probe
      // Node 22.23 at 512 MiB: 259 MB of heap with 1 MiB semi-spaces, + 3 × 15 MiB with 16 MiB ones.
      expect(shape.memoryLimitMiB).toBe(512);
      expect(shape.heapLimitMiB).toBeGreaterThanOrEqual(290);
      expect(shape.heapLimitMiB).toBeLessThan(512);
    } finally {
      if (!('unavailable' in cgroup)) cgroup.remove();
    }
  });
});
