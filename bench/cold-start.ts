/**
 * `npm run bench -- cold-start [runs]`: for each function bundle, the time to load it in a
 * fresh Node process (median of N, default 15), as a ratio to a bare Functions Framework
 * function built the same way and measured in the same run. Target: ratio ≤ 2.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readFunctionManifest, repoRoot } from '../local/manifest';
import { buildBundle } from '../scripts/build-bundles';

const LOADER = `
const t0 = performance.now();
await import(process.argv[2]);
const t1 = performance.now();
process.stdout.write(JSON.stringify({ importMs: t1 - t0, sinceStartMs: t1 }));
`;

interface Sample {
  importMs: number;
  sinceStartMs: number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function measure(loader: string, bundle: string, runs: number): { importMs: number; processMs: number } {
  const samples: Sample[] = [];
  // One warm-up run so the OS file cache is equally warm for every bundle.
  execFileSync(process.execPath, [loader, bundle]);
  for (let i = 0; i < runs; i++) {
    samples.push(JSON.parse(execFileSync(process.execPath, [loader, bundle], { encoding: 'utf8' })) as Sample);
  }
  return { importMs: median(samples.map((s) => s.importMs)), processMs: median(samples.map((s) => s.sinceStartMs)) };
}

export default async function coldStart(args: string[]): Promise<void> {
  const runs = Math.max(10, Number(args[0] ?? 15));
  const benchDir = join(repoRoot, 'dist', '.bench');
  mkdirSync(benchDir, { recursive: true });
  const loader = join(benchDir, 'load.mjs');
  writeFileSync(loader, LOADER);

  const bare = await buildBundle({ repoRoot, name: 'bare', entry: join(repoRoot, 'bench', '_bare-function.ts'), outDir: join(benchDir, 'bare') });
  const bundles = [];
  for (const fn of readFunctionManifest()) {
    bundles.push(await buildBundle({ repoRoot, name: fn.name, entry: join(repoRoot, 'functions', fn.name, 'index.ts'), outDir: join(repoRoot, 'dist', fn.name) }));
  }

  const baseline = measure(loader, join(bare.outDir, 'index.js'), runs);
  console.log(`cold start: median of ${runs} fresh processes, Node ${process.version}`);
  console.log(`${'bundle'.padEnd(20)} ${'KiB'.padStart(6)} ${'import ms'.padStart(10)} ${'ratio'.padStart(6)} ${'to ready ms'.padStart(12)} ${'ratio'.padStart(6)}`);
  const row = (name: string, kib: number, m: { importMs: number; processMs: number }) =>
    console.log(
      `${name.padEnd(20)} ${kib.toFixed(0).padStart(6)} ${m.importMs.toFixed(1).padStart(10)} ${(m.importMs / baseline.importMs).toFixed(2).padStart(6)} ${m.processMs.toFixed(1).padStart(12)} ${(m.processMs / baseline.processMs).toFixed(2).padStart(6)}`,
    );
  row('bare (baseline)', bare.bytes / 1024, baseline);
  let worst = 0;
  for (const b of bundles) {
    const m = measure(loader, join(b.outDir, 'index.js'), runs);
    worst = Math.max(worst, m.importMs / baseline.importMs);
    row(b.name, b.bytes / 1024, m);
  }
  console.log(`worst import ratio ${worst.toFixed(2)} (target ≤ 2.00)`);
}
