/**
 * `tsx scripts/check-layers.ts [root]` (part of `npm run lint`): the layer rules of the
 * repository, checked over its import graph. Biome's noRestrictedImports matches import
 * specifiers as written ('../x'), so it cannot tell one function's folder from another's;
 * here every relative specifier is resolved to the file it names and the rules are about
 * folders:
 *
 * - a function (functions/<a>/) never imports another (functions/<b>/);
 * - shared/ never imports functions/;
 * - the product (functions/, shared/) never imports test/ (tests and their doubles), local/
 *   (the local stack), scripts/, bench/ or twilio/.
 *
 * Edges are static imports and re-exports (type-only ones included: a type from test support
 * is still a dependency on it), `import x = require(…)`, `import('…')` with a literal (also
 * as a type: `typeof import('…')`), and
 * `new URL('…', import.meta.url)` (a file the code opens or forks). Bare package names are
 * not layers and are left to package.json.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseSync } from '@swc/core';

/** The folders scanned (the tsconfig's), relative to the root. */
export const SCANNED = ['functions', 'shared', 'local', 'scripts', 'bench', 'test', 'twilio'] as const;
const PRODUCT_FORBIDDEN: Record<string, string> = {
  test: 'tests and their doubles',
  local: 'the local stack',
  scripts: 'tooling',
  bench: 'benchmarks',
  twilio: 'the Twilio Function',
};
const SOURCE = /\.(?:[cm]?ts|[cm]?js)$/;

export interface LayerViolation {
  /** The importing file, relative to the root (forward slashes). */
  file: string;
  line: number;
  specifier: string;
  /** The file the specifier names, relative to the root. */
  target: string;
  rule: string;
}

/** Relative specifiers a module's code names (see the header for which forms count). */
export function importedSpecifiers(source: string, fileName: string): string[] {
  const syntax = /\.[cm]?ts$/.test(fileName) ? { syntax: 'typescript' as const } : { syntax: 'ecmascript' as const };
  const module = parseSync(source, { ...syntax, target: 'es2022', comments: false });
  const found: string[] = [];
  const literal = (node: unknown): string | undefined => {
    const n = node as { type?: string; value?: unknown } | undefined;
    return n?.type === 'StringLiteral' && typeof n.value === 'string' ? n.value : undefined;
  };
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as Record<string, unknown> & { type?: string };
    switch (n.type) {
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'ExportNamedDeclaration': {
        const spec = literal(n['source']);
        if (spec !== undefined) found.push(spec);
        break;
      }
      case 'TsImportEqualsDeclaration': {
        const ref = n['moduleRef'] as { type?: string; expression?: unknown } | undefined;
        const spec = ref?.type === 'TsExternalModuleReference' ? literal(ref.expression) : undefined;
        if (spec !== undefined) found.push(spec);
        break;
      }
      case 'TsImportType': {
        const spec = literal(n['argument']);
        if (spec !== undefined) found.push(spec);
        break;
      }
      case 'CallExpression': {
        const args = n['arguments'] as { expression?: unknown }[] | undefined;
        const spec = (n['callee'] as { type?: string } | undefined)?.type === 'Import' ? literal(args?.[0]?.expression) : undefined;
        if (spec !== undefined) found.push(spec);
        break;
      }
      case 'NewExpression': {
        const callee = n['callee'] as { type?: string; value?: unknown } | undefined;
        const args = n['arguments'] as { expression?: unknown }[] | undefined;
        const base = args?.[1]?.expression as { type?: string; object?: { type?: string; kind?: string } } | undefined;
        const spec = literal(args?.[0]?.expression);
        if (
          callee?.type === 'Identifier' &&
          callee.value === 'URL' &&
          spec !== undefined &&
          base?.type === 'MemberExpression' &&
          base.object?.type === 'MetaProperty' &&
          base.object.kind === 'import.meta'
        ) {
          found.push(spec);
        }
        break;
      }
    }
    for (const value of Object.values(n)) if (value !== null && typeof value === 'object') visit(value);
  };
  visit(module.body);
  return found.filter((s) => s.startsWith('./') || s.startsWith('../') || s === '.' || s === '..');
}

/** `functions/<name>` for a file inside a function's folder, otherwise the top folder. */
function layerOf(path: string): string {
  const parts = path.split('/');
  if (parts[0] === 'functions' && parts.length > 2) return `functions/${parts[1]}`;
  return parts[0] ?? '';
}

/** Why `from` may not import `to` (both relative to the root), or undefined when it may. */
export function layerRuleBroken(from: string, to: string): string | undefined {
  const fromLayer = layerOf(from);
  const toLayer = layerOf(to);
  const toTop = to.split('/')[0] ?? '';
  const product = fromLayer === 'shared' || fromLayer.startsWith('functions/');
  if (!product) return undefined;
  if (toTop in PRODUCT_FORBIDDEN) return `the product (functions/, shared/) never imports ${toTop}/ (${PRODUCT_FORBIDDEN[toTop]})`;
  if (fromLayer === 'shared' && toTop === 'functions') return 'shared/ never imports functions/';
  if (toLayer.startsWith('functions/') && toLayer !== fromLayer) return `a function never imports another: ${fromLayer}/ → ${toLayer}/`;
  return undefined;
}

function sourceFiles(root: string): string[] {
  const out: string[] = [];
  for (const top of SCANNED) {
    let entries: string[];
    try {
      entries = readdirSync(join(root, top), { recursive: true, encoding: 'utf8' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw err;
    }
    for (const entry of entries) {
      const path = `${top}/${entry.split(sep).join('/')}`;
      if (SOURCE.test(path) && !path.split('/').includes('node_modules')) out.push(path);
    }
  }
  return out.sort();
}

/** Every import in the scanned folders of `root` that breaks a layer rule. */
export function findLayerViolations(root: string): LayerViolation[] {
  const violations: LayerViolation[] = [];
  for (const file of sourceFiles(root)) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const specifier of new Set(importedSpecifiers(text, file))) {
      const target = relative(root, resolve(root, dirname(file), specifier))
        .split(sep)
        .join('/');
      if (target.startsWith('..')) continue;
      const rule = layerRuleBroken(file, target);
      if (rule === undefined) continue;
      const at = Math.max(text.indexOf(`'${specifier}'`), text.indexOf(`"${specifier}"`));
      const line = at < 0 ? 0 : text.slice(0, at).split('\n').length;
      violations.push({ file, line, specifier, target, rule });
    }
  }
  return violations;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? '.');
  const violations = findLayerViolations(root);
  for (const v of violations) console.error(`${v.file}:${v.line}: imports '${v.specifier}' (${v.target}): ${v.rule}`);
  if (violations.length > 0) {
    console.error(`layer rules: ${violations.length} import(s) cross a layer boundary`);
    process.exit(1);
  }
  console.log('layer rules: no import crosses a layer boundary');
}
