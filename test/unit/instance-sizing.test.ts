/**
 * How a hot path's instance is sized (functions/functions.json "instance", local/manifest.ts):
 * the manifest refuses what Cloud Run refuses, and the Node options Terraform sets as
 * NODE_OPTIONS are taken from the environment by the Node the functions run on and change
 * V8's heap as intended (docs/contracts/google-cloud.md §12).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { memoryBytesOf, nodeOptionsOf, parseFunctionManifest, readFunctionManifest } from '../../local/manifest';

const run = promisify(execFile);
const MiB = 2 ** 20;

const manifestWith = (instance: unknown) => {
  const raw = JSON.parse(readFileSync(new URL('../../functions/functions.json', import.meta.url), 'utf8')) as { functions: Array<Record<string, unknown>> };
  raw.functions = raw.functions.map((f) => (f['name'] === 'zoom-webhook' ? { ...f, instance } : f));
  return () => parseFunctionManifest(raw);
};

/** V8's heap limit (young generation included) of a fresh Node given `nodeOptions` in its environment. */
async function heapLimitWith(nodeOptions: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['-e', 'process.stdout.write(String(require("v8").getHeapStatistics().heap_size_limit))'], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions },
    timeout: 30_000,
  });
  return Number(stdout);
}

describe('instance sizing in functions.json', () => {
  const zoom = readFunctionManifest().find((f) => f.name === 'zoom-webhook')!.instance!;

  it('reads the committed sizing: memory in bytes (Mi = 2^20, M = 10^6) and the Node options', () => {
    expect(memoryBytesOf(zoom)).toBe(512 * MiB);
    expect(memoryBytesOf({ ...zoom, memory: '512M' })).toBe(512e6);
    expect(memoryBytesOf({ ...zoom, memory: '2Gi' })).toBe(2048 * MiB);
    expect(nodeOptionsOf(zoom)).toEqual([`--max-semi-space-size=${zoom.semiSpaceMiB}`]);
  });

  it('refuses more than one request at a time below 1 vCPU, as Cloud Run does', () => {
    expect(manifestWith({ ...zoom, cpu: '0.5' })).toThrow(/concurrency above 1 needs at least 1 vCPU/);
    expect(manifestWith({ ...zoom, cpu: '0.5', concurrency: 1 })()).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'zoom-webhook' })]));
  });

  it('refuses a memory that is not a quantity, a CPU Cloud Run does not offer, a concurrency above 1000', () => {
    expect(manifestWith({ ...zoom, memory: '512' })).toThrow(/Kubernetes quantity/);
    expect(manifestWith({ ...zoom, memory: '512MB' })).toThrow(/Kubernetes quantity/);
    expect(manifestWith({ ...zoom, cpu: '3' })).toThrow(/vCPU count/);
    expect(manifestWith({ ...zoom, concurrency: 1001 })).toThrow(/1000/);
    expect(manifestWith({ ...zoom, semiSpaceMiB: 0 })).toThrow(/semiSpaceMiB/);
  });

  it('Node takes the options from NODE_OPTIONS and grows the young generation by 3 × the semi-space (three semi-spaces)', async () => {
    const [smallest, deployed] = await Promise.all([heapLimitWith('--max-semi-space-size=1'), heapLimitWith(nodeOptionsOf(zoom).join(' '))]);
    expect((deployed - smallest) / MiB).toBe(3 * (zoom.semiSpaceMiB - 1));
  });
});
