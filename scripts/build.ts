/** `npm run build`: every function in functions/functions.json into dist/<name>/. */
import { join } from 'node:path';
import { readFunctionManifest, repoRoot } from '../local/manifest';
import { buildBundle } from './build-bundles';

const only = process.argv.slice(2);
const rows: string[] = [];
for (const fn of readFunctionManifest()) {
  if (only.length > 0 && !only.includes(fn.name)) continue;
  const result = await buildBundle({
    repoRoot,
    name: fn.name,
    entry: join(repoRoot, 'functions', fn.name, 'index.ts'),
    outDir: join(repoRoot, 'dist', fn.name),
  });
  rows.push(
    `${fn.name.padEnd(20)} ${(result.entryBytes / 1024).toFixed(0).padStart(5)} KiB at start, ` +
      `${(result.bytes / 1024).toFixed(0).padStart(5)} KiB in all  entry point ${fn.entryPoint.padEnd(18)} externals: ` +
      `${result.externals.join(', ')}`,
  );
}
console.log(rows.join('\n'));
