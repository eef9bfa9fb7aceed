/**
 * Builds each function into its own deployable folder, dist/<name>/: one ES module bundle
 * (index.js) holding the function's own code and the small pure-JS libraries it uses,
 * and a package.json listing only the external packages that bundle actually imports
 * (the Google clients load .proto/JSON files at run time, so they stay node_modules
 * packages that Cloud Build installs), with a package-lock.json holding exactly the tree the
 * tests ran with (./bundle-lock), so the build installs the tested versions.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { bundleLockfile, parseLockfile } from './bundle-lock';

/** Bundled into the function: pure JS, no files read at run time. */
const INLINE = new Set(['got', 'zod', 'jose', 'libphonenumber-js']);

export interface BundleResult {
  name: string;
  outDir: string;
  /** All JavaScript of the bundle, and the part loaded at start (index.js and its static imports). */
  bytes: number;
  entryBytes: number;
  externals: string[];
}

interface RootPackage {
  dependencies: Record<string, string>;
}

export async function buildBundle(options: { repoRoot: string; name: string; entry: string; outDir: string; entryPoint?: string }): Promise<BundleResult> {
  const root = JSON.parse(readFileSync(join(options.repoRoot, 'package.json'), 'utf8')) as RootPackage;
  const externalPackages = Object.keys(root.dependencies).filter((d) => !INLINE.has(d));
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(options.outDir, { recursive: true });
  const result = await build({
    entryPoints: [options.entry],
    outdir: options.outDir,
    entryNames: 'index',
    // Code reached only through import() (clients loaded on first use) goes into chunks
    // that are read when first needed, not at instance start.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    external: externalPackages.flatMap((p) => [p, `${p}/*`]),
    // CommonJS code inside the bundle (e.g. got's http2-wrapper) calls require() for Node built-ins.
    banner: { js: "import { createRequire as __ccbridgeCreateRequire } from 'node:module'; const require = __ccbridgeCreateRequire(import.meta.url);" },
  });
  const externals = importedExternals(result.metafile, externalPackages);
  const pkg = {
    name: `ccbridge-${options.name}`,
    version: '1.0.0',
    private: true,
    type: 'module',
    main: 'index.js',
    engines: { node: '22' },
    dependencies: Object.fromEntries(externals.map((e) => [e, root.dependencies[e]!])),
  };
  writeFileSync(join(options.outDir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
  const rootLock = parseLockfile(readFileSync(join(options.repoRoot, 'package-lock.json'), 'utf8'));
  writeFileSync(join(options.outDir, 'package-lock.json'), `${JSON.stringify(bundleLockfile(rootLock, pkg.name, pkg.dependencies), null, 2)}\n`);
  const outputs = result.metafile.outputs;
  const bytes = Object.entries(outputs).reduce((sum, [file, o]) => (file.endsWith('.js') ? sum + o.bytes : sum), 0);
  const entryFile = Object.keys(outputs).find((f) => f.endsWith('/index.js'))!;
  const entryBytes = staticClosure(outputs, entryFile).reduce((sum, f) => sum + outputs[f]!.bytes, 0);
  return { name: options.name, outDir: options.outDir, bytes, entryBytes, externals };
}

/** The external packages the bundle imports (a function loads only what it uses). */
function importedExternals(metafile: Metafile, externalPackages: string[]): string[] {
  const used = new Set<string>();
  for (const input of Object.values(metafile.inputs)) {
    for (const imp of input.imports) {
      if (!imp.external) continue;
      const pkg = externalPackages.find((p) => imp.path === p || imp.path.startsWith(`${p}/`));
      if (pkg) used.add(pkg);
    }
  }
  return [...used].sort();
}

/** The output files loaded when `entry` is imported: itself and its static imports, transitively. */
function staticClosure(outputs: Metafile['outputs'], entry: string): string[] {
  const seen = new Set<string>([entry]);
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop()!;
    for (const imp of outputs[file]?.imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external && !seen.has(imp.path)) {
        seen.add(imp.path);
        queue.push(imp.path);
      }
    }
  }
  return [...seen];
}
