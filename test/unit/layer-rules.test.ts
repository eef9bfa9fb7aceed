/**
 * The layer rules `npm run lint` enforces (scripts/check-layers.ts): the repository keeps
 * them, and a tree that breaks one — a function importing another, shared/ importing a
 * function, the product importing a test double — fails the check, through every import form.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findLayerViolations, importedSpecifiers } from '../../scripts/check-layers';

const repo = fileURLToPath(new URL('../..', import.meta.url));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** A tree that keeps every rule, using each allowed direction once. */
const ALLOWED: Record<string, string> = {
  'shared/ports/docstore.ts': 'export interface DocStore { get(): void }\n',
  'shared/logging.ts': "import type { DocStore } from './ports/docstore';\nexport const x: DocStore | undefined = undefined;\n",
  'functions/crm/handlers.ts': "import { x } from '../../shared/logging';\nexport const h = x;\n",
  'functions/crm/mock/admin.ts': "import { h } from '../handlers';\nexport const a = h;\n",
  'functions/crm/index.ts': "export const load = () => import('./handlers');\n",
  'local/stack.ts': "import { h } from '../functions/crm/handlers';\nimport { d } from '../test/support/doubles/memory-docstore';\nexport const s = [h, d];\n",
  'test/support/doubles/memory-docstore.ts':
    "import type { DocStore } from '../../../shared/ports/docstore';\nexport const d: DocStore | undefined = undefined;\n",
  'test/unit/crm.test.ts': "import { h } from '../../functions/crm/handlers';\nimport { d } from '../support/doubles/memory-docstore';\nexport { h, d };\n",
  'bench/run.ts': "import { d } from '../test/support/doubles/memory-docstore';\nexport const b = d;\n",
};

const VIOLATIONS: [string, Record<string, string>, string][] = [
  [
    'a function imports another',
    { 'functions/call-log/handle.ts': "// a comment\nimport { h } from '../crm/handlers';\nexport const c = h;\n" },
    'a function never imports another: functions/call-log/ → functions/crm/',
  ],
  [
    'a function re-exports another, from a subfolder',
    { 'functions/call-log/sub/more.ts': "export * from '../../crm/handlers';\n" },
    'a function never imports another',
  ],
  [
    'a function imports another lazily',
    { 'functions/call-log/lazy.ts': "export const l = () => import('../crm/handlers');\n" },
    'a function never imports another',
  ],
  [
    'shared/ imports a function',
    { 'shared/bad.ts': "import { h } from '../functions/crm/handlers';\nexport const b = h;\n" },
    'shared/ never imports functions/',
  ],
  ['shared/ imports the local stack', { 'shared/bad.ts': "import { s } from '../local/stack';\nexport const b = s;\n" }, 'never imports local/'],
  [
    'a function imports a test double (type only)',
    { 'functions/crm/bad.ts': "import type { d } from '../../test/support/doubles/memory-docstore';\nexport type B = typeof d;\n" },
    'never imports test/ (tests and their doubles)',
  ],
  [
    'shared/ imports a test double with import = require',
    { 'shared/bad.ts': "import d = require('../test/support/doubles/memory-docstore');\nexport const b = d;\n" },
    'never imports test/',
  ],
  ['shared/ opens a file of scripts/ by URL', { 'shared/bad.ts': "export const u = new URL('../scripts/x.ts', import.meta.url);\n" }, 'never imports scripts/'],
  ['a function imports a bench helper', { 'functions/crm/bad.ts': "import '../../bench/run';\n" }, 'never imports bench/'],
];

describe('layer rules (npm run lint)', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  const make = (files: Record<string, string>) => {
    const root = tree(files);
    roots.push(root);
    return root;
  };

  it('the repository keeps them', () => {
    expect(findLayerViolations(repo)).toEqual([]);
  });

  it('finds every import form (and nothing in comments or other strings)', () => {
    const text = [
      "// import x from '../in-a-comment';",
      "import a from './a';",
      "import type { B } from './b';",
      "export * from './c';",
      "export { d } from './d';",
      "import e = require('./e');",
      "import './f';",
      "const g = await import('./g');",
      "type I = import('./i').I;",
      "const h = new URL('./h.json', import.meta.url);",
      "const i = new URL('./not-a-module', 'https://example.com/');",
      'const j = \'import k from "./k"\';',
      "import got from 'got';",
    ].join('\n');
    expect(importedSpecifiers(text, 'x.ts').sort()).toEqual(['./a', './b', './c', './d', './e', './f', './g', './h.json', './i']);
  });

  it('a tree keeping the rules passes', () => {
    expect(findLayerViolations(make(ALLOWED))).toEqual([]);
  });

  it.each(VIOLATIONS)('fails when %s', (_name, bad, rule) => {
    const root = make({ ...ALLOWED, ...bad });
    const violations = findLayerViolations(root);
    expect(violations).toHaveLength(1);
    expect(violations[0]!.file).toBe(Object.keys(bad)[0]);
    expect(violations[0]!.rule).toContain(rule);
  });

  it('reports the line of the offending import', () => {
    const root = make({ ...ALLOWED, ...VIOLATIONS[0]![1] });
    expect(findLayerViolations(root)[0]).toMatchObject({
      file: 'functions/call-log/handle.ts',
      line: 2,
      specifier: '../crm/handlers',
      target: 'functions/crm/handlers',
    });
  });

  it('npm run lint runs the check, and the check exits non-zero naming a deliberate violation', () => {
    const lint = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).scripts.lint as string;
    expect(lint).toContain('tsx scripts/check-layers.ts');
    const root = make({ ...ALLOWED, 'functions/call-log/handle.ts': "import { h } from '../crm/handlers';\nexport const c = h;\n" });
    const run = spawnSync(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'scripts/check-layers.ts'), root], { cwd: repo, encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain("functions/call-log/handle.ts:1: imports '../crm/handlers' (functions/crm/handlers): a function never imports another");
    const clean = spawnSync(join(repo, 'node_modules/.bin/tsx'), [join(repo, 'scripts/check-layers.ts'), make(ALLOWED)], { cwd: repo, encoding: 'utf8' });
    expect(clean.status).toBe(0);
  });
});
