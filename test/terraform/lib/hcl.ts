// Loads Terraform configurations with HashiCorp's HCL parser (@cdktf/hcl2json, WebAssembly)
// and turns every expression into a small typed tree the checks can walk and evaluate.
//
// hcl2json gives each file as JSON: blocks become arrays of objects, literal values stay
// JSON values and every expression becomes a "${...}" template string. Expressions are
// parsed again with getExpressionAst; objects and for-expressions inside expressions are
// re-parsed from their source text (the AST gives their parts as text).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import { getExpressionAst, parse } from '@cdktf/hcl2json';

export type Json = string | number | boolean | null | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** One problem found by a check. */
export interface Finding {
  check: string;
  file: string;
  where: string;
  message: string;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `[${f.check}] ${f.file} ${f.where}: ${f.message}`).join('\n');
}

// --- Expressions -----------------------------------------------------------------------------

export type Step = { kind: 'attr'; name: string } | { kind: 'index'; key: string | number };

export type Expr =
  | { t: 'lit'; v: string | number | boolean | null }
  | { t: 'tpl'; parts: Expr[] }
  | { t: 'tuple'; items: Expr[] }
  | { t: 'object'; items: Array<{ key: Expr; value: Expr }> }
  | { t: 'scope'; root: string; steps: Step[]; src: string }
  | { t: 'rel'; source: Expr; steps: Step[] }
  | { t: 'index'; coll: Expr; key: Expr }
  | { t: 'splat'; source: Expr; steps: Step[] }
  | { t: 'call'; name: string; args: Expr[]; expand: boolean }
  | { t: 'cond'; c: Expr; a: Expr; b: Expr }
  | { t: 'bin'; op: string; l: Expr; r: Expr }
  | { t: 'un'; op: string; v: Expr }
  | {
      t: 'for';
      keyVar: string | null;
      valVar: string;
      coll: Expr;
      key: Expr | null;
      value: Expr;
      cond: Expr | null;
      grouped: boolean;
      isObject: boolean;
    }
  | { t: 'unsupported'; src: string };

interface RawAst {
  type: string;
  meta: Record<string, unknown>;
  children: RawAst[];
}

function toRaw(v: unknown): RawAst {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  return {
    type: typeof o['type'] === 'string' ? o['type'] : '',
    meta: (typeof o['meta'] === 'object' && o['meta'] !== null ? o['meta'] : {}) as Record<string, unknown>,
    children: Array.isArray(o['children']) ? o['children'].map(toRaw) : [],
  };
}

const MARK = 'EOT_CCBRIDGE_HCL_CHECK';

/** Parses template strings and expressions, caching results (the parser is asynchronous). */
export class ExprParser {
  private readonly templates = new Map<string, Expr>();
  readonly errors: Array<{ file: string; text: string; message: string }> = [];

  /** A template string as found in hcl2json output ("a-${var.b}", "${local.c}", "plain"). */
  async template(file: string, s: string): Promise<Expr> {
    const cached = this.templates.get(s);
    if (cached) return cached;
    let expr: Expr;
    if (!s.includes('${') && !s.includes('%{')) {
      expr = { t: 'lit', v: s };
    } else {
      try {
        const ast = await getExpressionAst(file, `<<${MARK}\n${s}\n${MARK}\n`);
        expr = ast ? await this.convertTemplate(file, toRaw(ast)) : { t: 'lit', v: s };
      } catch (e) {
        this.errors.push({ file, text: s, message: e instanceof Error ? e.message : String(e) });
        expr = { t: 'unsupported', src: s };
      }
    }
    this.templates.set(s, expr);
    return expr;
  }

  /** A bare expression source ("var.a", "{ a = 1 }"). */
  async expression(file: string, src: string): Promise<Expr> {
    const t = await this.template(file, '${' + src + '}');
    return t;
  }

  /** The top-level heredoc wrapper: drop the trailing newline the wrapper added. */
  private async convertTemplate(file: string, ast: RawAst): Promise<Expr> {
    const parts = ast.type === 'template' ? ast.children : [ast];
    const out: Expr[] = [];
    for (const p of parts) out.push(await this.convert(file, p));
    const last = out[out.length - 1];
    if (last && last.t === 'lit' && typeof last.v === 'string' && last.v.endsWith('\n')) {
      const trimmed = last.v.slice(0, -1);
      if (trimmed === '') out.pop();
      else out[out.length - 1] = { t: 'lit', v: trimmed };
    }
    return simplifyTemplate(out);
  }

  private async convert(file: string, ast: RawAst): Promise<Expr> {
    const meta = ast.meta;
    const str = (k: string): string => (typeof meta[k] === 'string' ? (meta[k] as string) : '');
    const kids = async (): Promise<Expr[]> => {
      const out: Expr[] = [];
      for (const c of ast.children) out.push(await this.convert(file, c));
      return out;
    };
    switch (ast.type) {
      case 'literalValue': {
        const v = str('value');
        const type = str('type');
        if (type === 'number') return { t: 'lit', v: Number(v) };
        if (type === 'bool') return { t: 'lit', v: v === 'true' };
        if (type === 'string') return { t: 'lit', v };
        return { t: 'lit', v: null };
      }
      case 'template':
        return simplifyTemplate(await kids());
      case 'templateWrap': {
        const [inner] = await kids();
        return inner ?? { t: 'lit', v: '' };
      }
      case 'tuple':
        return { t: 'tuple', items: await kids() };
      case 'object': {
        const items: Array<{ key: Expr; value: Expr }> = [];
        const raw = (typeof meta['items'] === 'object' && meta['items'] !== null ? meta['items'] : {}) as Record<string, unknown>;
        for (const [k, v] of Object.entries(raw)) {
          const key: Expr = /^[A-Za-z_][\w-]*$/.test(k) ? { t: 'lit', v: k } : await this.expression(file, k);
          items.push({ key, value: await this.expression(file, typeof v === 'string' ? v : String(v)) });
        }
        return { t: 'object', items };
      }
      case 'scopeTraversal': {
        const [first, ...rest] = traversalSteps(meta['traversal']);
        const root = first && first.kind === 'attr' ? first.name : '';
        return { t: 'scope', root, steps: rest, src: str('value') };
      }
      case 'relativeTraversal': {
        const source = ast.children[0] ? await this.convert(file, ast.children[0]) : ({ t: 'lit', v: null } as Expr);
        return { t: 'rel', source, steps: traversalSteps(meta['traversal']) };
      }
      case 'index': {
        const [coll, key] = await kids();
        return coll && key ? { t: 'index', coll, key } : { t: 'unsupported', src: str('value') };
      }
      case 'splat': {
        const source = ast.children[0] ? await this.convert(file, ast.children[0]) : ({ t: 'lit', v: null } as Expr);
        const each = ast.children[1];
        const steps = each && each.type === 'relativeTraversal' ? traversalSteps(each.meta['traversal']) : [];
        return { t: 'splat', source, steps };
      }
      case 'function':
        return { t: 'call', name: str('name'), args: await kids(), expand: meta['expandedFinalArgument'] === true };
      case 'conditional': {
        const [c, a, b] = await kids();
        return c && a && b ? { t: 'cond', c, a, b } : { t: 'unsupported', src: str('value') };
      }
      case 'binaryOp': {
        const [l, r] = await kids();
        return l && r ? { t: 'bin', op: str('operator'), l, r } : { t: 'unsupported', src: str('value') };
      }
      case 'unaryOp': {
        const [v] = await kids();
        return v ? { t: 'un', op: str('operator'), v } : { t: 'unsupported', src: str('value') };
      }
      case 'for': {
        const sub = async (k: string): Promise<Expr | null> => (str(k).trim() === '' ? null : this.expression(file, str(k)));
        return {
          t: 'for',
          keyVar: str('keyVar') === '' ? null : str('keyVar'),
          valVar: str('valVar'),
          coll: (await sub('collectionExpression')) ?? { t: 'lit', v: null },
          key: await sub('keyExpression'),
          value: (await sub('valueExpression')) ?? { t: 'lit', v: null },
          cond: await sub('conditionalExpression'),
          grouped: meta['groupedValue'] === true,
          isObject: str('openRangeValue') === '{',
        };
      }
      case '': {
        // Parentheses wrap one child; anything else without a type is not an expression.
        const [inner] = await kids();
        return ast.children.length === 1 && inner ? inner : { t: 'unsupported', src: str('value') };
      }
      default:
        return { t: 'unsupported', src: str('value') };
    }
  }
}

function simplifyTemplate(parts: Expr[]): Expr {
  if (parts.length === 0) return { t: 'lit', v: '' };
  if (parts.every((p) => p.t === 'lit' && typeof p.v === 'string')) {
    return { t: 'lit', v: unescapeTemplate(parts.map((p) => (p.t === 'lit' ? String(p.v) : '')).join('')) };
  }
  // A template that is exactly one interpolation yields that value unconverted (HCL rule).
  if (parts.length === 1 && parts[0]) return parts[0];
  return { t: 'tpl', parts };
}

function unescapeTemplate(s: string): string {
  return s.replaceAll('$${', '${').replaceAll('%%{', '%{');
}

function traversalSteps(v: unknown): Step[] {
  if (!Array.isArray(v)) return [];
  const steps: Step[] = [];
  for (const part of v) {
    const p = (typeof part === 'object' && part !== null ? part : {}) as Record<string, unknown>;
    const segment = typeof p['segment'] === 'string' ? p['segment'] : '';
    if (p['type'] === 'indexTraversal') {
      let key: string | number = segment;
      try {
        const parsed: unknown = JSON.parse(segment);
        if (typeof parsed === 'string' || typeof parsed === 'number') key = parsed;
      } catch {
        // keep the raw segment
      }
      steps.push({ kind: 'index', key });
    } else {
      steps.push({ kind: 'attr', name: segment });
    }
  }
  return steps;
}

// --- Configuration ---------------------------------------------------------------------------

export type BlockKind = 'resource' | 'data' | 'module' | 'variable' | 'output' | 'provider' | 'terraform' | 'locals' | 'check' | 'moved' | 'import';

export interface Block {
  kind: BlockKind;
  /** Resource/data type, provider name; '' for others. */
  type: string;
  name: string;
  body: JsonObject;
  file: string;
}

export interface ModuleDef {
  /** Absolute directory. */
  dir: string;
  files: string[];
  resources: Map<string, Block>;
  data: Map<string, Block>;
  modules: Map<string, Block>;
  variables: Map<string, Block>;
  outputs: Map<string, Block>;
  locals: Map<string, { value: Json; file: string }>;
  providers: Block[];
  others: Block[];
}

/** Reads files; an in-memory map in unit tests, the disk for the real configuration. */
export interface FileSource {
  read(absPath: string): string | undefined;
  /** .tf files directly in a directory. */
  tfFiles(absDir: string): string[];
}

export function diskSource(): FileSource {
  return {
    read: (p) => (existsSync(p) && statSync(p).isFile() ? readFileSync(p, 'utf8') : undefined),
    tfFiles: (d) =>
      existsSync(d)
        ? readdirSync(d)
            .filter((f) => f.endsWith('.tf'))
            .sort()
            .map((f) => join(d, f))
        : [],
  };
}

/** Files given as { "main.tf": "...", "modules/x/main.tf": "...", "../functions/functions.json": "..." } under a virtual root. */
export function memorySource(root: string, files: Record<string, string>): FileSource {
  const abs = new Map(Object.entries(files).map(([k, v]) => [resolve(root, k), v]));
  return {
    read: (p) => abs.get(resolve(p)),
    tfFiles: (d) => [...abs.keys()].filter((p) => p.endsWith('.tf') && dirname(p) === resolve(d)).sort(),
  };
}

export interface Configuration {
  /** Absolute directory of the root module. */
  rootDir: string;
  root: ModuleDef;
  modules: Map<string, ModuleDef>;
  source: FileSource;
  parser: ExprParser;
  /** Parsed expression of every string met in the configuration. */
  exprs: Map<string, Expr>;
  syntaxErrors: Finding[];
  /** File path relative to the root's parent, for messages. */
  display(absPath: string): string;
}

const BLOCK_KINDS = new Set<string>(['resource', 'data', 'module', 'variable', 'output', 'provider', 'terraform', 'locals', 'check', 'moved', 'import']);

function emptyModule(dir: string): ModuleDef {
  return {
    dir,
    files: [],
    resources: new Map(),
    data: new Map(),
    modules: new Map(),
    variables: new Map(),
    outputs: new Map(),
    locals: new Map(),
    providers: [],
    others: [],
  };
}

export function isLocalSource(source: Json | undefined): source is string {
  return typeof source === 'string' && (source.startsWith('./') || source.startsWith('../'));
}

export async function loadConfiguration(rootDir: string, source: FileSource = diskSource()): Promise<Configuration> {
  const root = resolve(rootDir);
  const parser = new ExprParser();
  const modules = new Map<string, ModuleDef>();
  const syntaxErrors: Finding[] = [];
  const display = (p: string): string => relative(dirname(root), p).split('\\').join(posix.sep) || p;

  const loadModule = async (dir: string): Promise<ModuleDef> => {
    const existing = modules.get(dir);
    if (existing) return existing;
    const mod = emptyModule(dir);
    modules.set(dir, mod);
    for (const file of source.tfFiles(dir)) {
      mod.files.push(file);
      const text = source.read(file) ?? '';
      let json: unknown;
      try {
        json = await parse(display(file), text);
      } catch (e) {
        syntaxErrors.push({ check: 'syntax', file: display(file), where: '', message: e instanceof Error ? e.message : String(e) });
        continue;
      }
      addFile(mod, file, json as JsonObject, syntaxErrors, display);
    }
    for (const call of mod.modules.values()) {
      if (isLocalSource(call.body['source'])) await loadModule(resolve(dir, call.body['source']));
    }
    return mod;
  };

  const rootDef = await loadModule(root);
  const exprs = new Map<string, Expr>();
  for (const mod of modules.values()) {
    for (const { file, value } of allJson(mod)) await collectExprs(parser, display(file), value, exprs);
  }
  for (const e of parser.errors) syntaxErrors.push({ check: 'syntax', file: e.file, where: e.text.slice(0, 80), message: e.message });
  return { rootDir: root, root: rootDef, modules, source, parser, exprs, syntaxErrors, display };
}

function addFile(mod: ModuleDef, file: string, json: JsonObject, errors: Finding[], display: (p: string) => string): void {
  for (const [kind, content] of Object.entries(json)) {
    if (!BLOCK_KINDS.has(kind)) {
      errors.push({ check: 'syntax', file: display(file), where: kind, message: `unexpected top-level block or attribute "${kind}"` });
      continue;
    }
    const k = kind as BlockKind;
    const dup = (where: string): void => {
      errors.push({ check: 'syntax', file: display(file), where, message: `duplicate ${kind} ${where}` });
    };
    if (k === 'locals') {
      for (const body of asArray(content)) {
        if (!isJsonObject(body)) continue;
        for (const [name, value] of Object.entries(body)) {
          if (mod.locals.has(name)) dup(`local.${name}`);
          mod.locals.set(name, { value, file });
        }
      }
    } else if (k === 'resource' || k === 'data') {
      if (!isJsonObject(content)) continue;
      for (const [type, byName] of Object.entries(content)) {
        if (!isJsonObject(byName)) continue;
        for (const [name, bodies] of Object.entries(byName)) {
          for (const body of asArray(bodies)) {
            if (!isJsonObject(body)) continue;
            const map = k === 'resource' ? mod.resources : mod.data;
            const key = `${type}.${name}`;
            if (map.has(key)) dup(k === 'data' ? `data.${key}` : key);
            map.set(key, { kind: k, type, name, body, file });
          }
        }
      }
    } else if (k === 'module' || k === 'variable' || k === 'output' || k === 'provider') {
      if (!isJsonObject(content)) continue;
      for (const [name, bodies] of Object.entries(content)) {
        for (const body of asArray(bodies)) {
          if (!isJsonObject(body)) continue;
          const block: Block = { kind: k, type: k === 'provider' ? name : '', name, body, file };
          if (k === 'provider') {
            mod.providers.push(block);
            continue;
          }
          const map = k === 'module' ? mod.modules : k === 'variable' ? mod.variables : mod.outputs;
          if (map.has(name)) dup(`${k}.${name}`);
          map.set(name, block);
        }
      }
    } else {
      for (const body of asArray(content)) {
        if (isJsonObject(body)) mod.others.push({ kind: k, type: '', name: '', body, file });
      }
    }
  }
}

export function asArray(v: Json | undefined): Json[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Every top-level JSON value of a module, with its file. */
export function allJson(mod: ModuleDef): Array<{ file: string; value: Json }> {
  const out: Array<{ file: string; value: Json }> = [];
  for (const [, l] of mod.locals) out.push({ file: l.file, value: l.value });
  for (const map of [mod.resources, mod.data, mod.modules, mod.variables, mod.outputs]) {
    for (const b of map.values()) out.push({ file: b.file, value: b.body });
  }
  for (const b of [...mod.providers, ...mod.others]) out.push({ file: b.file, value: b.body });
  return out;
}

async function collectExprs(parser: ExprParser, file: string, v: Json, out: Map<string, Expr>): Promise<void> {
  if (typeof v === 'string') {
    if (!out.has(v)) out.set(v, await parser.template(file, v));
  } else if (Array.isArray(v)) {
    for (const x of v) await collectExprs(parser, file, x, out);
  } else if (isJsonObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('${') && !out.has(k)) out.set(k, await parser.template(file, k));
      await collectExprs(parser, file, x, out);
    }
  }
}

/** The parsed expression of a string from the configuration. */
export function exprOf(config: Configuration, s: string): Expr {
  return config.exprs.get(s) ?? { t: 'lit', v: s };
}

/** Walks an expression tree (pre-order). */
export function walkExpr(e: Expr, visit: (e: Expr) => void): void {
  visit(e);
  switch (e.t) {
    case 'tpl':
      for (const p of e.parts) walkExpr(p, visit);
      break;
    case 'tuple':
      for (const p of e.items) walkExpr(p, visit);
      break;
    case 'object':
      for (const { key, value } of e.items) {
        walkExpr(key, visit);
        walkExpr(value, visit);
      }
      break;
    case 'rel':
    case 'splat':
      walkExpr(e.source, visit);
      break;
    case 'index':
      walkExpr(e.coll, visit);
      walkExpr(e.key, visit);
      break;
    case 'call':
      for (const a of e.args) walkExpr(a, visit);
      break;
    case 'cond':
      walkExpr(e.c, visit);
      walkExpr(e.a, visit);
      walkExpr(e.b, visit);
      break;
    case 'bin':
      walkExpr(e.l, visit);
      walkExpr(e.r, visit);
      break;
    case 'un':
      walkExpr(e.v, visit);
      break;
    case 'for':
      walkExpr(e.coll, visit);
      if (e.key) walkExpr(e.key, visit);
      walkExpr(e.value, visit);
      if (e.cond) walkExpr(e.cond, visit);
      break;
    default:
      break;
  }
}
