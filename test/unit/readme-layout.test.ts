/**
 * The README's "Layout" section matches the tree: every path it lists exists, and every
 * top-level folder of the repository, every folder of shared/ and of test/ is listed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('../..', import.meta.url));

/** The paths the Layout block names, with those under `shared/` written out in full. */
function layoutPaths(readme: string): string[] {
  const block = /## Layout\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no Layout code block');
  const paths: string[] = [];
  let parent = '';
  for (const line of block.split('\n')) {
    const m = /^( {0,2})(\S.*?)(?: {2,}|$)/.exec(line);
    if (!m || line.startsWith('   ')) continue; // a description's continuation
    const nested = m[1] === '  ';
    for (const token of m[2]!.split(' ').filter((t) => t !== '' && t !== '...')) {
      const path = nested ? `${parent}${token}` : token;
      if (!nested && token.endsWith('/')) parent = token;
      paths.push(path);
    }
  }
  return paths;
}

const readme = readFileSync(join(repo, 'README.md'), 'utf8');
const listed = layoutPaths(readme);
const functionNames = (JSON.parse(readFileSync(join(repo, 'functions/functions.json'), 'utf8')) as { functions: { name: string }[] }).functions.map(
  (f) => f.name,
);
const subfolders = (dir: string) =>
  readdirSync(join(repo, dir), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => `${dir}/${d.name}/`);

describe('README Layout', () => {
  it('names paths, top-level and under shared/', () => {
    expect(listed).toEqual(expect.arrayContaining(['functions/<name>/', 'shared/', 'shared/config.ts', 'shared/zoom/', 'test/support/']));
  });

  it.each(listed)('%s exists', (path) => {
    const concrete = path.includes('<name>') ? functionNames.map((name) => path.replace('<name>', name)) : [path];
    for (const p of concrete) expect([p, existsSync(join(repo, p))]).toEqual([p, true]);
  });

  it('lists every top-level folder the repository tracks', () => {
    const tracked = new Set(
      execFileSync('git', ['ls-files'], { cwd: repo, encoding: 'utf8' })
        .split('\n')
        .filter((f) => f.includes('/'))
        .map((f) => `${f.split('/')[0]}/`),
    );
    const topLevel = new Set(listed.map((p) => `${p.split('/')[0]}/`));
    expect([...tracked].filter((dir) => !topLevel.has(dir))).toEqual([]);
  });

  it.each(['shared', 'test'])('lists every folder of %s/', (dir) => {
    const named = new Set(listed.filter((p) => p.startsWith(`${dir}/`)).map((p) => `${dir}/${p.split('/')[1]}/`));
    expect(subfolders(dir).filter((d) => !named.has(d))).toEqual([]);
  });
});
