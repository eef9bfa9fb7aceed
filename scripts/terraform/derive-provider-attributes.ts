// Derives the list of argument and attribute names of every resource and data source of
// the Terraform google provider, for the offline checks in test/terraform (no terraform
// binary and no registry access exist here, so `terraform validate` cannot run).
//
// Source: the generated TypeScript of @cdktf/provider-google (≈300 MB, so it is installed
// into a temporary directory, never into package.json). Its `.d.ts` files document every
// argument with a registry link `docs/resources/<type>#<attr>` and type nested blocks as
// separate interfaces; its `.js` files mark computed-only attributes with a comment
// `// <attr> - computed: true, optional: false, required: false` and build nested objects
// with `new <Type>OutputReference(this, "<attr>")`.
//
// Usage:
//   node_modules/.bin/tsx scripts/terraform/derive-provider-attributes.ts [--version 16.12.1] [--from <dir>] [--keep]
//     --version  @cdktf/provider-google version to install (default below)
//     --from     use an existing install (a directory that contains node_modules/@cdktf/provider-google)
//     --keep     keep the temporary install
// Output: terraform/.provider-schema/google.json.gz (committed; tests read only that file).

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const DEFAULT_PACKAGE_VERSION = '16.12.1'; // wraps registry.terraform.io/hashicorp/google 6.50.0
const PACKAGE = '@cdktf/provider-google';

export type AttributeLists = Record<string, string[]>;

export interface ProviderSchemaFile {
  $comment: string;
  provider: { name: string; source: string; version: string; derivedFrom: string };
  /** Arguments of each resource type: top-level names and nested block paths ("block.attr"). */
  resource: AttributeLists;
  /** Arguments of each data source type. */
  data: AttributeLists;
  /** Computed-only (read-only) attributes of each resource type, same path syntax. */
  resource_computed: AttributeLists;
  data_computed: AttributeLists;
  /** Arguments of the provider block itself. */
  provider_config: string[];
}

interface Property {
  name: string;
  /** Interfaces named in the property's type (nested blocks). */
  nested: string[];
}

interface ParsedInterface {
  name: string;
  extendsMeta: boolean;
  properties: Property[];
}

/** Splits the `export interface X { ... }` declarations out of a generated `.d.ts`. */
export function parseInterfaces(dts: string): ParsedInterface[] {
  const out: ParsedInterface[] = [];
  const header = /^export interface (\w+)(?: extends ([^{]+))? \{$/gm;
  for (let m = header.exec(dts); m !== null; m = header.exec(dts)) {
    const start = m.index + m[0].length;
    const end = dts.indexOf('\n}', start);
    if (end < 0) continue;
    const body = dts.slice(start, end);
    out.push({ name: m[1]!, extendsMeta: (m[2] ?? '').includes('TerraformMetaArguments'), properties: parseProperties(body) });
  }
  return out;
}

function parseProperties(body: string): Property[] {
  const props: Property[] = [];
  // Each property is a doc comment followed by `readonly camelName?: Type;`.
  for (const chunk of body.split('/**').slice(1)) {
    const close = chunk.indexOf('*/');
    if (close < 0) continue;
    const doc = chunk.slice(0, close);
    const decl = chunk.slice(close + 2);
    const m = /readonly (\w+)\??:([\s\S]*)/.exec(decl);
    if (!m) continue;
    const anchor = /\/docs(?:\/[\w-]+\/[\w-]+)?#(\w+) /.exec(doc);
    const name = anchor ? anchor[1]! : camelToSnake(m[1]!);
    props.push({ name, nested: [...m[2]!.matchAll(/\b([A-Z]\w+)\b/g)].map((x) => x[1]!) });
  }
  return props;
}

export function camelToSnake(s: string): string {
  return s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** Walks the config interface and its nested block interfaces into "a", "block.b" paths. */
export function argumentPaths(root: ParsedInterface, byName: Map<string, ParsedInterface>): string[] {
  const paths: string[] = [];
  const walk = (iface: ParsedInterface, prefix: string, depth: number): void => {
    for (const p of iface.properties) {
      const path = prefix + p.name;
      paths.push(path);
      if (depth > 15) continue;
      for (const n of p.nested) {
        const child = byName.get(n);
        if (!child || child === iface) continue;
        walk(child, path + '.', depth + 1);
      }
    }
  };
  walk(root, '', 0);
  return paths;
}

interface ParsedClass {
  name: string;
  base: string;
  computed: string[];
  children: Array<{ base: string; attr: string }>;
}

/** Splits `class X extends cdktf.Y {` bodies out of a generated `.js`. */
export function parseClasses(js: string): ParsedClass[] {
  const out: ParsedClass[] = [];
  const header = /^class (\w+) extends cdktf\.(\w+) \{$/gm;
  const starts: Array<{ name: string; base: string; at: number }> = [];
  for (let m = header.exec(js); m !== null; m = header.exec(js)) starts.push({ name: m[1]!, base: m[2]!, at: m.index });
  starts.forEach((s, i) => {
    const body = js.slice(s.at, starts[i + 1]?.at ?? js.length);
    const computed = [...body.matchAll(/\/\/ (\w+) - computed: true, optional: false, required: false/g)].map((m) => m[1]!);
    const children = [...body.matchAll(/new (\w+?)(?:OutputReference|List|Map)\(this, "(\w+)"/g)].map((m) => ({ base: m[1]!, attr: m[2]! }));
    out.push({ name: s.name, base: s.base, computed, children });
  });
  return out;
}

interface DerivedType {
  kind: 'resource' | 'data';
  type: string;
  arguments: string[];
  computed: string[];
}

function readAll(dir: string, ext: string): string[] {
  const files = [join(dir, `index${ext}`)];
  const structs = join(dir, 'index-structs');
  if (existsSync(structs)) {
    for (const f of readdirSync(structs).sort()) if (f.endsWith(ext) && !f.endsWith('.d.ts.map')) files.push(join(structs, f));
  }
  return files.filter((f) => existsSync(f) && (ext === '.d.ts' || !f.endsWith('.d.ts'))).map((f) => readFileSync(f, 'utf8'));
}

/** Derives one resource or data source from its generated directory. */
export function deriveType(dts: string[], js: string[]): DerivedType | null {
  const jsText = js.join('\n');
  const typeMatch = /^(\w+)\.tfResourceType = "(\w+)";$/m.exec(jsText);
  if (!typeMatch) return null;
  const classes = parseClasses(jsText);
  const main = classes.find((c) => c.name === typeMatch[1]);
  if (!main) return null;
  const kind = main.base === 'TerraformDataSource' ? 'data' : 'resource';
  const interfaces = dts.flatMap(parseInterfaces);
  const byName = new Map(interfaces.map((i) => [i.name, i]));
  const root = interfaces.find((i) => i.extendsMeta && i.name === `${main.name}Config`) ?? interfaces.find((i) => i.extendsMeta);
  if (!root) return null;
  const paths = argumentPaths(root, byName);

  // Computed-only attributes: walk the output-reference classes from the main class.
  const classByBase = new Map<string, ParsedClass>();
  for (const c of classes) classByBase.set(c.name.replace(/OutputReference$/, ''), c);
  const computed = new Set<string>();
  const argSet = new Set(paths);
  const walkClass = (c: ParsedClass, prefixes: string[], depth: number): void => {
    for (const prefix of prefixes) {
      for (const a of c.computed) if (!argSet.has(prefix + a)) computed.add(prefix + a);
      if (depth > 15) continue;
      for (const child of c.children) {
        const cc = classByBase.get(child.base);
        if (!cc || cc === c) continue;
        const path = prefix + child.attr;
        if (!argSet.has(path)) computed.add(path);
        walkClass(cc, [path + '.'], depth + 1);
      }
    }
  };
  walkClass(main, [''], 0);
  return { kind, type: typeMatch[2]!, arguments: [...new Set(paths)].sort(), computed: [...computed].sort() };
}

export function deriveProviderConfig(dts: string): string[] {
  const interfaces = parseInterfaces(dts);
  const root = interfaces.find((i) => i.name === 'GoogleProviderConfig');
  if (!root) throw new Error('GoogleProviderConfig not found');
  const byName = new Map(interfaces.map((i) => [i.name, i]));
  return [...new Set(argumentPaths(root, byName))].sort();
}

function parseArgs(argv: string[]): { version: string; from: string | null; keep: boolean } {
  let version = DEFAULT_PACKAGE_VERSION;
  let from: string | null = null;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--version') version = argv[++i] ?? version;
    else if (a === '--from') from = argv[++i] ?? null;
    else if (a === '--keep') keep = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return { version, from, keep };
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  let prefix = args.from;
  let temp: string | null = null;
  if (!prefix) {
    temp = mkdtempSync(join(tmpdir(), 'ccbridge-provider-google-'));
    prefix = temp;
    console.log(`installing ${PACKAGE}@${args.version} into ${temp} (not saved to package.json)`);
    execFileSync('npm', ['install', '--prefix', temp, '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', `${PACKAGE}@${args.version}`], {
      stdio: 'inherit',
    });
  }
  try {
    const pkgDir = join(prefix, 'node_modules', '@cdktf', 'provider-google');
    const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
      version: string;
      cdktf?: { provider?: { name?: string; version?: string } };
    };
    const providerVersion = pkg.cdktf?.provider?.version ?? 'unknown';
    const lib = join(pkgDir, 'lib');
    const schema: ProviderSchemaFile = {
      $comment:
        'GENERATED by scripts/terraform/derive-provider-attributes.ts — do not edit. Argument and attribute names ' +
        'of the Terraform google provider, read by test/terraform.',
      provider: {
        name: 'google',
        source: pkg.cdktf?.provider?.name ?? 'registry.terraform.io/hashicorp/google',
        version: providerVersion,
        derivedFrom: `${PACKAGE}@${pkg.version}`,
      },
      resource: {},
      data: {},
      resource_computed: {},
      data_computed: {},
      provider_config: deriveProviderConfig(readFileSync(join(lib, 'provider', 'index.d.ts'), 'utf8')),
    };
    let skipped = 0;
    for (const entry of readdirSync(lib, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (!entry.isDirectory() || entry.name === 'provider') continue;
      const dir = join(lib, entry.name);
      const derived = deriveType(readAll(dir, '.d.ts'), readAll(dir, '.js'));
      if (!derived) {
        skipped++;
        continue;
      }
      schema[derived.kind][derived.type] = derived.arguments;
      if (derived.computed.length > 0) schema[derived.kind === 'data' ? 'data_computed' : 'resource_computed'][derived.type] = derived.computed;
    }
    const outDir = join(repo, 'terraform', '.provider-schema');
    mkdirSync(outDir, { recursive: true });
    const json = JSON.stringify(schema);
    const out = join(outDir, 'google.json.gz');
    writeFileSync(out, gzipSync(json, { level: 9 }));
    console.log(
      `${Object.keys(schema.resource).length} resources, ${Object.keys(schema.data).length} data sources (${skipped} directories skipped) ` +
        `from ${PACKAGE}@${pkg.version} (google ${providerVersion}) -> ${out}`,
    );
  } finally {
    if (temp && !args.keep) rmSync(temp, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
