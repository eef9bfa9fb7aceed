/**
 * A function bundle's package-lock.json is the tested tree cut out of the repository's own
 * (issue #20: the deployed tree must be the tested one): Node's resolution through nested
 * node_modules, optional dependencies the tree did not install, required peers, and the real
 * bundle built from the real lockfile carrying the very versions and integrity hashes.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../local/manifest';
import { buildBundle } from '../../scripts/build-bundles';
import { bundleLockfile, type Lockfile, parseLockfile } from '../../scripts/bundle-lock';

const root: Lockfile = {
  lockfileVersion: 3,
  packages: {
    '': { dependencies: { a: '1.0.0', other: '1.0.0' } },
    'node_modules/a': { version: '1.0.0', integrity: 'sha512-a', dependencies: { b: '^2', c: '^1' }, optionalDependencies: { 'not-installed': '1' } },
    'node_modules/a/node_modules/b': { version: '2.5.0', integrity: 'sha512-b2' },
    'node_modules/b': { version: '1.0.0', integrity: 'sha512-b1' },
    'node_modules/c': { version: '1.2.0', integrity: 'sha512-c', peerDependencies: { d: '*', e: '*' }, peerDependenciesMeta: { e: { optional: true } } },
    'node_modules/d': { version: '3.0.0', integrity: 'sha512-d', dev: true },
    'node_modules/other': { version: '9.9.9', integrity: 'sha512-o' },
  },
};

test('takes the closure of the bundle’s dependencies as Node resolves them, nothing else', () => {
  const lock = bundleLockfile(root, 'ccbridge-x', { a: '1.0.0' }) as { packages: Record<string, { version?: string; integrity?: string; dev?: boolean }> };
  expect(Object.keys(lock.packages)).toEqual(['', 'node_modules/a', 'node_modules/a/node_modules/b', 'node_modules/c', 'node_modules/d']);
  // The nested b (2.5.0) is a's, not the hoisted 1.0.0.
  expect(lock.packages['node_modules/a/node_modules/b']).toMatchObject({ version: '2.5.0', integrity: 'sha512-b2' });
  // A required peer is installed; the dev flag of the root tree does not apply to the bundle.
  expect(lock.packages['node_modules/d']).toEqual({ version: '3.0.0', integrity: 'sha512-d' });
});

test('a dependency missing from the lockfile fails the build (the tree would not be the tested one)', () => {
  expect(() => bundleLockfile(root, 'ccbridge-x', { missing: '1.0.0' })).toThrow(/missing .* is not in package-lock.json/);
});

test('the real bundle of reconcile carries exactly the root lockfile’s versions and integrity hashes', async () => {
  const out = mkdtempSync(join(tmpdir(), 'ccbridge-bundle-'));
  try {
    await buildBundle({ repoRoot, name: 'reconcile', entry: join(repoRoot, 'functions', 'reconcile', 'index.ts'), outDir: out });
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const lock = parseLockfile(readFileSync(join(out, 'package-lock.json'), 'utf8'));
    const rootLock = parseLockfile(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
    expect((lock.packages[''] as { dependencies?: unknown }).dependencies).toEqual(pkg.dependencies);
    for (const dep of Object.keys(pkg.dependencies)) expect(lock.packages[`node_modules/${dep}`]).toBeDefined();
    for (const [path, entry] of Object.entries(lock.packages)) {
      if (path === '') continue;
      expect({ path, version: entry.version, integrity: entry['integrity'] }).toEqual({
        path,
        version: rootLock.packages[path]?.version,
        integrity: rootLock.packages[path]?.['integrity'],
      });
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
