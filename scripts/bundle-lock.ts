/**
 * A function bundle's package-lock.json, cut out of the repository's own: exactly the
 * packages (same versions, same integrity hashes, same tree positions) that the tests ran
 * with, for the bundle's few external dependencies and everything they pull in. With it the
 * function build installs the tested tree (npm ci) instead of resolving fresh versions
 * (issue #20). Resolution follows Node's rule: a dependency of the package at P is found at
 * P/node_modules/<dep>, else in each parent's node_modules, up to the root.
 */
import * as z from 'zod';

const lockEntrySchema = z.looseObject({
  version: z.string().optional(),
  dependencies: z.record(z.string(), z.string()).optional(),
  optionalDependencies: z.record(z.string(), z.string()).optional(),
  peerDependencies: z.record(z.string(), z.string()).optional(),
  peerDependenciesMeta: z.record(z.string(), z.looseObject({ optional: z.boolean().optional() })).optional(),
  link: z.boolean().optional(),
  dev: z.boolean().optional(),
  devOptional: z.boolean().optional(),
});
const lockSchema = z.looseObject({ lockfileVersion: z.literal(3), packages: z.record(z.string(), lockEntrySchema) });

export type Lockfile = z.output<typeof lockSchema>;

export function parseLockfile(text: string): Lockfile {
  return lockSchema.parse(JSON.parse(text));
}

/** Where Node finds `dep` when `from` (a lockfile path, "" for the root) imports it. */
function resolve(packages: Lockfile['packages'], from: string, dep: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = `${base === '' ? '' : `${base}/`}node_modules/${dep}`;
    if (packages[candidate]) return candidate;
    if (base === '') return undefined;
    const cut = base.lastIndexOf('/node_modules/');
    base = cut < 0 ? '' : base.slice(0, cut);
  }
}

export function bundleLockfile(root: Lockfile, name: string, dependencies: Record<string, string>): Record<string, unknown> {
  const packages: Record<string, unknown> = { '': { name, version: '1.0.0', dependencies } };
  const queue: Array<[from: string, dep: string, optional: boolean]> = Object.keys(dependencies).map((d) => ['', d, false]);
  const seen = new Set<string>();
  while (queue.length > 0) {
    const [from, dep, optional] = queue.shift()!;
    const path = resolve(root.packages, from, dep);
    if (path === undefined) {
      if (optional) continue; // an optional dependency the tested tree did not install
      throw new Error(`${dep} (needed by ${from || name}) is not in package-lock.json: run npm install`);
    }
    if (seen.has(path)) continue;
    seen.add(path);
    const { dev: _dev, devOptional: _devOptional, ...entry } = root.packages[path]!;
    packages[path] = entry;
    for (const d of Object.keys(entry.dependencies ?? {})) queue.push([path, d, false]);
    for (const d of Object.keys(entry.optionalDependencies ?? {})) queue.push([path, d, true]);
    // npm installs peers that are not marked optional.
    for (const d of Object.keys(entry.peerDependencies ?? {})) queue.push([path, d, entry.peerDependenciesMeta?.[d]?.optional === true]);
  }
  const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  return { name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: sorted };
}
