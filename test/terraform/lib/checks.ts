// The offline checks of the Terraform configuration. Each returns findings (empty = pass), so
// the tests can assert both that the real configuration is clean and that each checker
// catches a deliberately broken snippet.

import { resolve } from 'node:path';
import { Evaluator, isObjectValue, type ModuleInstance, type Ref, refsOf, refString, Unknown, type Value } from './evaluate';
import {
  asArray,
  type Block,
  type Configuration,
  type Expr,
  exprOf,
  type Finding,
  isJsonObject,
  isLocalSource,
  type Json,
  type JsonObject,
  type ModuleDef,
  walkExpr,
} from './hcl';
import { hasChildren, type ProviderSchema } from './schema';

// --- helpers -----------------------------------------------------------------------------------

function where(b: Block): string {
  switch (b.kind) {
    case 'resource':
      return `${b.type}.${b.name}`;
    case 'data':
      return `data.${b.type}.${b.name}`;
    case 'module':
      return `module.${b.name}`;
    case 'variable':
      return `variable.${b.name}`;
    case 'output':
      return `output.${b.name}`;
    case 'provider':
      return `provider.${b.type}`;
    default:
      return b.kind;
  }
}

function instanceWhere(inst: ModuleInstance, b: Block, key: string | number | undefined): string {
  return `${inst.path}${where(b)}${key === undefined ? '' : `[${JSON.stringify(key)}]`}`;
}

function blocksOf(mod: ModuleDef): Block[] {
  return [
    ...mod.resources.values(),
    ...mod.data.values(),
    ...mod.modules.values(),
    ...mod.variables.values(),
    ...mod.outputs.values(),
    ...mod.providers,
    ...mod.others,
  ];
}

/** Every string in a JSON value, with the path of keys leading to it. */
function* stringsIn(v: Json, path: string[] = []): Generator<{ s: string; path: string[] }> {
  if (typeof v === 'string') yield { s: v, path };
  else if (Array.isArray(v)) for (const x of v) yield* stringsIn(x, path);
  else if (isJsonObject(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (k.includes('${')) yield { s: k, path };
      yield* stringsIn(x, [...path, k]);
    }
  }
}

// --- syntax ------------------------------------------------------------------------------------

export function checkSyntax(config: Configuration): Finding[] {
  const findings = [...config.syntaxErrors];
  for (const mod of config.modules.values()) {
    if (mod.files.length === 0) findings.push({ check: 'syntax', file: config.display(mod.dir), where: '', message: 'module directory has no .tf files' });
  }
  return findings;
}

// --- references --------------------------------------------------------------------------------

type ChainStep = { kind: 'attr'; name: string } | { kind: 'index' } | { kind: 'splat' };

interface Chain {
  root: Extract<Expr, { t: 'scope' }>;
  steps: ChainStep[];
  /** Index expressions met along the chain (checked separately). */
  inner: Expr[];
}

/** `a.b[x].c[*].d` as one chain from its root traversal, or null when it starts elsewhere. */
function chainOf(e: Expr): Chain | null {
  switch (e.t) {
    case 'scope':
      return { root: e, steps: e.steps.map((s) => (s.kind === 'attr' ? { kind: 'attr', name: s.name } : { kind: 'index' })), inner: [] };
    case 'rel': {
      const c = chainOf(e.source);
      if (!c) return null;
      return { ...c, steps: [...c.steps, ...e.steps.map((s): ChainStep => (s.kind === 'attr' ? { kind: 'attr', name: s.name } : { kind: 'index' }))] };
    }
    case 'index': {
      const c = chainOf(e.coll);
      if (!c) return null;
      return { ...c, steps: [...c.steps, { kind: 'index' }], inner: [...c.inner, e.key] };
    }
    case 'splat': {
      const c = chainOf(e.source);
      if (!c) return null;
      return {
        ...c,
        steps: [...c.steps, { kind: 'splat' }, ...e.steps.map((s): ChainStep => (s.kind === 'attr' ? { kind: 'attr', name: s.name } : { kind: 'index' }))],
      };
    }
    default:
      return null;
  }
}

interface RefContext {
  config: Configuration;
  schema: ProviderSchema | null;
  mod: ModuleDef;
  file: string;
  where: string;
  each: boolean;
  count: boolean;
  self: boolean;
  bound: ReadonlySet<string>;
  findings: Finding[];
}

const RESERVED_ROOTS = new Set(['var', 'local', 'module', 'data', 'path', 'terraform', 'each', 'count', 'self']);

function report(ctx: RefContext, message: string): void {
  ctx.findings.push({ check: 'references', file: ctx.config.display(ctx.file), where: ctx.where, message });
}

function checkExprRefs(e: Expr, ctx: RefContext): void {
  const visit = (x: Expr, bound: ReadonlySet<string>): void => {
    if (x.t === 'for') {
      visit(x.coll, bound);
      const inner = new Set(bound);
      if (x.keyVar) inner.add(x.keyVar);
      inner.add(x.valVar);
      if (x.key) visit(x.key, inner);
      visit(x.value, inner);
      if (x.cond) visit(x.cond, inner);
      return;
    }
    const chain = x.t === 'scope' || x.t === 'rel' || x.t === 'index' || x.t === 'splat' ? chainOf(x) : null;
    if (chain) {
      checkChain(chain, { ...ctx, bound });
      for (const i of chain.inner) visit(i, bound);
      // Anything hanging off a non-traversal source (a function call's result, ...).
      return;
    }
    if (x.t === 'rel' || x.t === 'splat') {
      visit(x.source, bound);
      return;
    }
    if (x.t === 'index') {
      visit(x.coll, bound);
      visit(x.key, bound);
      return;
    }
    switch (x.t) {
      case 'tpl':
        for (const p of x.parts) visit(p, bound);
        return;
      case 'tuple':
        for (const p of x.items) visit(p, bound);
        return;
      case 'object':
        for (const { key, value } of x.items) {
          visit(key, bound);
          visit(value, bound);
        }
        return;
      case 'call':
        for (const a of x.args) visit(a, bound);
        return;
      case 'cond':
        visit(x.c, bound);
        visit(x.a, bound);
        visit(x.b, bound);
        return;
      case 'bin':
        visit(x.l, bound);
        visit(x.r, bound);
        return;
      case 'un':
        visit(x.v, bound);
        return;
      case 'unsupported':
        report(ctx, `expression not understood by the checker: ${x.src}`);
        return;
      default:
        return;
    }
  };
  visit(e, ctx.bound);
}

function attrNames(steps: ChainStep[]): string[] {
  return steps.filter((s): s is { kind: 'attr'; name: string } => s.kind === 'attr').map((s) => s.name);
}

function checkChain(chain: Chain, ctx: RefContext): void {
  const { root } = chain;
  const r = root.root;
  const steps = chain.steps;
  const first = steps[0];
  const name0 = first?.kind === 'attr' ? first.name : undefined;
  if (ctx.bound.has(r)) return;
  switch (r) {
    case 'var':
      if (!name0 || !ctx.mod.variables.has(name0))
        report(ctx, `unresolved reference var.${name0 ?? '?'} (no such variable in ${ctx.config.display(ctx.mod.dir)})`);
      return;
    case 'local':
      if (!name0 || !ctx.mod.locals.has(name0)) report(ctx, `unresolved reference local.${name0 ?? '?'}`);
      return;
    case 'path':
      if (!name0 || !['module', 'root', 'cwd'].includes(name0)) report(ctx, `unknown path.${name0 ?? '?'}`);
      return;
    case 'terraform':
      if (name0 !== 'workspace') report(ctx, `unknown terraform.${name0 ?? '?'}`);
      return;
    case 'each':
      if (!ctx.each) report(ctx, 'each.* used in a block without for_each');
      else if (name0 !== 'key' && name0 !== 'value') report(ctx, `unknown each.${name0 ?? '?'}`);
      return;
    case 'count':
      if (!ctx.count) report(ctx, 'count.* used in a block without count');
      else if (name0 !== 'index') report(ctx, `unknown count.${name0 ?? '?'}`);
      return;
    case 'self':
      if (!ctx.self) report(ctx, 'self is only valid in provisioners, connections and postconditions');
      return;
    case 'module': {
      const call = name0 ? ctx.mod.modules.get(name0) : undefined;
      if (!call) {
        report(ctx, `unresolved reference module.${name0 ?? '?'}`);
        return;
      }
      const source = call.body['source'];
      const child = isLocalSource(source) ? ctx.config.modules.get(resolve(ctx.mod.dir, source)) : undefined;
      const output = attrNames(steps.slice(1))[0];
      if (child && output !== undefined && !child.outputs.has(output)) report(ctx, `module.${name0} has no output "${output}"`);
      return;
    }
    case 'data': {
      const second = steps[1];
      const name1 = second?.kind === 'attr' ? second.name : undefined;
      const block = name0 && name1 ? ctx.mod.data.get(`${name0}.${name1}`) : undefined;
      if (!block) {
        report(ctx, `unresolved reference data.${name0 ?? '?'}.${name1 ?? '?'}`);
        return;
      }
      checkAttrPath(ctx, 'data', block.type, `data.${name0}.${name1}`, steps.slice(2));
      return;
    }
    default: {
      const block = name0 ? ctx.mod.resources.get(`${r}.${name0}`) : undefined;
      if (!block) {
        report(ctx, RESERVED_ROOTS.has(r) ? `bad reference ${root.src}` : `unresolved reference ${r}.${name0 ?? '?'} (no such resource, variable or iterator)`);
        return;
      }
      checkAttrPath(ctx, 'resource', block.type, `${r}.${name0}`, steps.slice(1));
    }
  }
}

/** `google_x.y[0].service_config[0].uri`: attribute names after the address must exist. */
function checkAttrPath(ctx: RefContext, kind: 'resource' | 'data', type: string, address: string, steps: ChainStep[]): void {
  if (!ctx.schema) return;
  const s = ctx.schema[kind].get(type);
  if (!s) return; // unknown types are reported by the attribute check
  const names = new Set([...s.args, ...s.computed, 'id']);
  let path = '';
  for (const a of attrNames(steps)) {
    const next = path === '' ? a : `${path}.${a}`;
    if (!names.has(next)) {
      report(ctx, `${address} has no attribute "${next}" (${type}, google provider ${ctx.schema.googleVersion})`);
      return;
    }
    if (!hasChildren(names, next)) return; // a leaf (or a map): keys below are data
    path = next;
  }
}

export function checkReferences(config: Configuration, schema: ProviderSchema | null = null): Finding[] {
  const findings: Finding[] = [];
  for (const mod of config.modules.values()) {
    for (const [name, l] of mod.locals) {
      walkJsonRefs(l.value, { config, schema, mod, file: l.file, where: `local.${name}`, each: false, count: false, self: false, bound: new Set(), findings });
    }
    for (const b of blocksOf(mod)) {
      if (b.kind === 'terraform') continue;
      const base: RefContext = {
        config,
        schema,
        mod,
        file: b.file,
        where: where(b),
        each: 'for_each' in b.body,
        count: 'count' in b.body,
        self: false,
        bound: new Set(),
        findings,
      };
      for (const [k, v] of Object.entries(b.body)) {
        if (b.kind === 'variable') {
          if (k === 'type') continue;
        }
        if (b.kind === 'module' && (k === 'source' || k === 'version' || k === 'providers')) continue;
        if (k === 'provider' && (b.kind === 'resource' || b.kind === 'data')) continue;
        if (k === 'lifecycle') {
          for (const lc of asArray(v)) {
            if (!isJsonObject(lc)) continue;
            for (const [lk, lv] of Object.entries(lc)) {
              if (lk === 'ignore_changes') continue;
              walkJsonRefs(lv, { ...base, self: lk === 'postcondition' });
            }
          }
          continue;
        }
        if (k === 'provisioner' || k === 'connection') {
          walkJsonRefs(v, { ...base, self: true });
          continue;
        }
        walkJsonRefs(k === 'dynamic' ? { dynamic: v } : v, base);
      }
    }
  }
  return findings;
}

/** Walks JSON, binding dynamic-block iterators inside their content. */
function walkJsonRefs(v: Json, ctx: RefContext): void {
  if (typeof v === 'string') {
    checkExprRefs(exprOf(ctx.config, v), ctx);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) walkJsonRefs(x, ctx);
    return;
  }
  if (!isJsonObject(v)) return;
  for (const [k, x] of Object.entries(v)) {
    if (k.includes('${')) checkExprRefs(exprOf(ctx.config, k), ctx);
    if (k === 'dynamic' && isJsonObject(x)) {
      for (const [blockName, specs] of Object.entries(x)) {
        for (const spec of asArray(specs)) {
          if (!isJsonObject(spec)) continue;
          const iterator = typeof spec['iterator'] === 'string' ? spec['iterator'] : blockName;
          for (const [sk, sv] of Object.entries(spec)) {
            if (sk === 'iterator') continue;
            const bound = sk === 'content' || sk === 'labels' ? new Set([...ctx.bound, iterator]) : ctx.bound;
            walkJsonRefs(sv, { ...ctx, bound });
          }
        }
      }
      continue;
    }
    walkJsonRefs(x, ctx);
  }
}

// --- module calls ------------------------------------------------------------------------------

const MODULE_META = new Set(['source', 'version', 'count', 'for_each', 'depends_on', 'providers']);

export function checkModuleCalls(config: Configuration): Finding[] {
  const findings: Finding[] = [];
  for (const mod of config.modules.values()) {
    for (const call of mod.modules.values()) {
      const add = (message: string): void => {
        findings.push({ check: 'module-calls', file: config.display(call.file), where: where(call), message });
      };
      const source = call.body['source'];
      if (!isLocalSource(source)) {
        add(`source ${JSON.stringify(source)} is not a local path; its variables cannot be checked offline`);
        continue;
      }
      const child = config.modules.get(resolve(mod.dir, source));
      if (!child || child.files.length === 0) {
        add(`module source ${source} has no .tf files`);
        continue;
      }
      for (const arg of Object.keys(call.body)) {
        if (MODULE_META.has(arg)) continue;
        if (!child.variables.has(arg)) add(`argument "${arg}" is not a variable of ${source}`);
      }
      for (const [name, v] of child.variables) {
        if (!('default' in v.body) && !(name in call.body)) add(`required variable "${name}" of ${source} is not set`);
      }
    }
  }
  return findings;
}

// --- attribute names against the provider schema ---------------------------------------------

const RESOURCE_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);
const DATA_META = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle']);
const LIFECYCLE_KEYS = new Set(['create_before_destroy', 'prevent_destroy', 'ignore_changes', 'replace_triggered_by', 'precondition', 'postcondition']);
const CONDITION_KEYS = new Set(['condition', 'error_message']);
const PROVISIONER_KEYS: Record<string, Set<string>> = {
  'local-exec': new Set(['command', 'working_dir', 'interpreter', 'environment', 'quiet', 'when', 'on_failure']),
  'remote-exec': new Set(['inline', 'script', 'scripts', 'when', 'on_failure', 'connection']),
  file: new Set(['source', 'content', 'destination', 'when', 'on_failure', 'connection']),
};

export function checkAttributes(config: Configuration, schema: ProviderSchema): Finding[] {
  const findings: Finding[] = [];
  for (const mod of config.modules.values()) {
    const blocks = [...mod.resources.values(), ...mod.data.values(), ...mod.providers];
    for (const b of blocks) {
      const add = (message: string): void => {
        findings.push({ check: 'attributes', file: config.display(b.file), where: where(b), message });
      };
      if (b.kind === 'provider') {
        const names = schema.providerConfig.get(b.type);
        if (!names) continue;
        for (const k of Object.keys(b.body)) if (k !== 'alias' && !names.has(k)) add(`provider "${b.type}" has no argument "${k}"`);
        continue;
      }
      const kind = b.kind === 'data' ? 'data' : 'resource';
      const s = schema[kind].get(b.type);
      if (!s) {
        add(`unknown ${kind === 'data' ? 'data source' : 'resource'} type "${b.type}" (not in the provider attribute lists)`);
        continue;
      }
      checkBody(b.body, '', s.args, s.computed, kind === 'data' ? DATA_META : RESOURCE_META, add);
    }
  }
  return findings;
}

function checkBody(body: JsonObject, prefix: string, args: Set<string>, computed: Set<string>, meta: Set<string>, add: (m: string) => void): void {
  for (const [key, value] of Object.entries(body)) {
    if (prefix === '' && meta.has(key)) {
      if (key === 'lifecycle') checkLifecycle(value, add);
      if (key === 'provisioner' && isJsonObject(value)) checkProvisioners(value, add);
      continue;
    }
    if (key === 'dynamic' && isJsonObject(value)) {
      for (const [name, specs] of Object.entries(value)) {
        const full = prefix + name;
        if (!args.has(full)) {
          add(`dynamic block "${full}" is not a block of this type`);
          continue;
        }
        for (const spec of asArray(specs)) {
          if (!isJsonObject(spec)) continue;
          for (const k of Object.keys(spec)) if (!['for_each', 'iterator', 'labels', 'content'].includes(k)) add(`dynamic "${full}" has no argument "${k}"`);
          for (const content of asArray(spec['content'])) if (isJsonObject(content)) checkBody(content, full + '.', args, computed, meta, add);
        }
      }
      continue;
    }
    const full = prefix + key;
    if (!args.has(full)) {
      add(computed.has(full) ? `"${full}" is computed by the provider and cannot be set` : `unknown argument or block "${full}"`);
      continue;
    }
    if (Array.isArray(value) && value.length > 0 && value.every(isJsonObject) && hasChildren(args, full)) {
      for (const item of value) if (isJsonObject(item)) checkBody(item, full + '.', args, computed, meta, add);
    }
  }
}

function checkLifecycle(v: Json, add: (m: string) => void): void {
  for (const lc of asArray(v)) {
    if (!isJsonObject(lc)) continue;
    for (const [k, x] of Object.entries(lc)) {
      if (!LIFECYCLE_KEYS.has(k)) add(`lifecycle has no argument "${k}"`);
      if (k === 'precondition' || k === 'postcondition') {
        for (const c of asArray(x)) if (isJsonObject(c)) for (const ck of Object.keys(c)) if (!CONDITION_KEYS.has(ck)) add(`${k} has no argument "${ck}"`);
      }
    }
  }
}

function checkProvisioners(v: JsonObject, add: (m: string) => void): void {
  for (const [type, bodies] of Object.entries(v)) {
    const allowed = PROVISIONER_KEYS[type];
    if (!allowed) {
      add(`unknown provisioner "${type}"`);
      continue;
    }
    for (const body of asArray(bodies))
      if (isJsonObject(body)) for (const k of Object.keys(body)) if (!allowed.has(k)) add(`provisioner "${type}" has no argument "${k}"`);
  }
}

// --- following values --------------------------------------------------------------------------

/** Evaluates an attribute of the resource a reference points at. */
export function resolveRef(ev: Evaluator, ref: Ref, path: string[]): Value {
  const isData = ref.address.startsWith('data.');
  const key = isData ? ref.address.slice('data.'.length) : ref.address;
  const block = (isData ? ref.instance.def.data : ref.instance.def.resources).get(key);
  if (!block) return new Unknown([], `no ${ref.address}`);
  const inst = ev.expand(block, { instance: ref.instance }).find((e) => e.key === ref.key);
  if (!inst) return new Unknown([], `no instance ${String(ref.key)} of ${ref.address}`);
  return ev.attribute(ref.instance, block, inst.key, inst.each, path);
}

function refsTo(v: Value, addressPrefix: string, attr?: string): Ref[] {
  return refsOf(v).filter((r) => r.address.startsWith(addressPrefix) && (attr === undefined || r.path[0] === attr));
}

/** Identity of a resource instance a reference points at ("module.x.google_service_account.this"). */
function objectId(r: Ref): string {
  return refString({ ...r, path: [] });
}

// --- deployments -------------------------------------------------------------------------------

export interface ManifestFunction {
  name: string;
  entryPoint: string;
  signature: string;
  topic?: string;
}

export function readManifest(text: string): ManifestFunction[] {
  const raw: unknown = JSON.parse(text);
  const list = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['functions'] : undefined;
  if (!Array.isArray(list)) throw new Error('functions.json has no "functions" list');
  return list.map((f: unknown, i) => {
    const o = (typeof f === 'object' && f !== null ? f : {}) as Record<string, unknown>;
    const { name, entryPoint, signature, topic } = o;
    if (typeof name !== 'string' || typeof entryPoint !== 'string' || typeof signature !== 'string')
      throw new Error(`functions.json entry ${i} needs name, entryPoint and signature`);
    return { name, entryPoint, signature, ...(typeof topic === 'string' ? { topic } : {}) };
  });
}

export interface Deployment {
  where: string;
  name: Value;
  entryPoint: Value;
  runtime: Value;
  sourceDir: Value;
  triggerTopic: Value;
  retryPolicy: Value;
  hasTrigger: boolean;
}

export function findDeployments(ev: Evaluator): Deployment[] {
  const archives = ev.resourceInstances('data', (t) => t === 'archive_file');
  return ev
    .resourceInstances('resource', (t) => t === 'google_cloudfunctions2_function')
    .map(({ instance, block, key, each }) => {
      const attr = (...path: string[]): Value => ev.attribute(instance, block, key, each, path);
      // storage_source.object -> the google_storage_bucket_object -> its `source` file ->
      // the data.archive_file whose output_path that is -> the directory it zips.
      const object = attr('build_config', '0', 'source', '0', 'storage_source', '0', 'object');
      let sourceDir: Value = new Unknown([], 'source object not traced to an archive_file');
      for (const objRef of refsTo(object, 'google_storage_bucket_object.')) {
        const uploaded = resolveRef(ev, objRef, ['source']);
        for (const zip of archives) {
          const out = ev.attribute(zip.instance, zip.block, zip.key, zip.each, ['output_path']);
          const sameFile =
            typeof uploaded === 'string'
              ? uploaded === out
              : refsTo(uploaded, 'data.archive_file.').some((r) => r.instance === zip.instance && r.address === `data.archive_file.${zip.block.name}`);
          if (sameFile && zip.instance === objRef.instance && ev.attribute(zip.instance, zip.block, zip.key, zip.each, ['type']) === 'zip') {
            sourceDir = ev.attribute(zip.instance, zip.block, zip.key, zip.each, ['source_dir']);
          }
        }
      }
      // A missing block reads as an unknown computed value, so look at what is configured.
      const dyn = block.body['dynamic'];
      const configured = 'event_trigger' in block.body || (isJsonObject(dyn) && 'event_trigger' in dyn);
      const trigger = attr('event_trigger');
      const hasTrigger = configured && (Array.isArray(trigger) ? trigger.length > 0 : trigger instanceof Unknown);
      const topic = attr('event_trigger', '0', 'pubsub_topic');
      let triggerTopic: Value = typeof topic === 'string' ? (topic.split('/').pop() ?? topic) : null;
      for (const topicRef of refsTo(topic, 'google_pubsub_topic.')) triggerTopic = resolveRef(ev, topicRef, ['name']);
      return {
        where: instanceWhere(instance, block, key),
        name: attr('name'),
        entryPoint: attr('build_config', '0', 'entry_point'),
        runtime: attr('build_config', '0', 'runtime'),
        sourceDir,
        triggerTopic,
        retryPolicy: attr('event_trigger', '0', 'retry_policy'),
        hasTrigger,
      };
    });
}

export interface DeploymentOptions {
  /** Absolute path of functions/functions.json. */
  manifestPath: string;
  /** Absolute path of dist/ (bundles dist/<name>/). */
  distDir: string;
  runtime: string;
}

export function checkDeployments(config: Configuration, opts: DeploymentOptions): Finding[] {
  const findings: Finding[] = [];
  const add = (whereText: string, message: string): void => {
    findings.push({ check: 'deployments', file: config.display(opts.manifestPath), where: whereText, message });
  };
  const text = config.source.read(opts.manifestPath);
  if (text === undefined) return [{ check: 'deployments', file: opts.manifestPath, where: '', message: 'functions.json not found' }];
  const manifest = readManifest(text);
  const deployments = findDeployments(new Evaluator(config));

  // Provenance: with every entry point renamed in functions.json, the deployments must follow.
  const probe = JSON.parse(text) as { functions: Array<Record<string, unknown>> };
  for (const f of probe.functions) f['entryPoint'] = `probe_${String(f['name']).replace(/\W/g, '_')}`;
  const probed = findDeployments(new Evaluator(config, { fileOverrides: { [opts.manifestPath]: JSON.stringify(probe) } }));

  for (const f of manifest) {
    const d = deployments.find((x) => x.name === f.name);
    if (!d) {
      add(
        f.name,
        `no google_cloudfunctions2_function deploys "${f.name}" (names found: ` +
          `${deployments.map((x) => JSON.stringify(x.name instanceof Unknown ? '(unknown)' : x.name)).join(', ') || 'none'})`,
      );
      continue;
    }
    if (d.entryPoint !== f.entryPoint)
      add(d.where, `entry point is ${JSON.stringify(d.entryPoint instanceof Unknown ? '(unknown)' : d.entryPoint)}, functions.json says "${f.entryPoint}"`);
    const p = probed.find((x) => x.name === f.name);
    const expected = `probe_${f.name.replace(/\W/g, '_')}`;
    if (!p || p.entryPoint !== expected)
      add(d.where, 'entry point is not read from functions/functions.json (changing the file does not change the deployment)');
    if (d.runtime !== opts.runtime)
      add(d.where, `runtime is ${JSON.stringify(d.runtime instanceof Unknown ? '(unknown)' : d.runtime)}, expected ${opts.runtime}`);
    const dir = typeof d.sourceDir === 'string' ? resolve(d.sourceDir) : null;
    if (dir !== resolve(opts.distDir, f.name))
      add(
        d.where,
        `source is ${dir ?? '(not traced)'}; expected a zip of ${resolve(opts.distDir, f.name)} (data.archive_file ` +
          `-> google_storage_bucket_object -> storage_source)`,
      );
    if (f.signature === 'cloudevent') {
      if (!d.hasTrigger) add(d.where, 'a cloudevent function needs an event_trigger');
      else {
        if (d.triggerTopic !== f.topic)
          add(
            d.where,
            `event trigger topic is ` +
              `${JSON.stringify(d.triggerTopic instanceof Unknown ? '(unknown)' : d.triggerTopic)}, functions.json says ` +
              `"${f.topic ?? ''}"`,
          );
        if (d.retryPolicy !== 'RETRY_POLICY_RETRY') add(d.where, 'event trigger must retry failed events (retry_policy = RETRY_POLICY_RETRY)');
      }
    } else if (d.hasTrigger) add(d.where, 'an http function must not have an event_trigger');
  }
  for (const d of deployments) {
    if (typeof d.name !== 'string') add(d.where, 'function name cannot be determined statically');
    else if (!manifest.some((f) => f.name === d.name)) add(d.where, `deploys "${d.name}", which is not in functions/functions.json`);
  }
  return findings;
}

// --- IAM ---------------------------------------------------------------------------------------

const PRIMITIVE_ROLES = /^roles\/(owner|editor|viewer)$/;
const IAM_TYPE = /_iam_(member|binding|policy)$/;

interface IamGrant {
  where: string;
  type: string;
  role: Value;
  members: Value[];
  instance: ModuleInstance;
  attr: (...path: string[]) => Value;
}

function iamGrants(ev: Evaluator): IamGrant[] {
  return ev
    .resourceInstances('resource', (t) => IAM_TYPE.test(t))
    .map(({ instance, block, key, each }) => {
      const attr = (...path: string[]): Value => ev.attribute(instance, block, key, each, path);
      const member = attr('member');
      const members = attr('members');
      const list: Value[] = [];
      if (!(member instanceof Unknown && member.error)) list.push(member);
      if (Array.isArray(members)) list.push(...members);
      else if (!(members instanceof Unknown && members.error)) list.push(members);
      return { where: instanceWhere(instance, block, key), type: block.type, role: attr('role'), members: list, instance, attr };
    });
}

const CUSTOM_ROLE = /^google_(project|organization)_iam_custom_role\./;

export function checkPrimitiveRoles(config: Configuration): Finding[] {
  const findings: Finding[] = [];
  for (const mod of config.modules.values()) {
    for (const b of blocksOf(mod)) {
      for (const { s } of stringsIn(b.body)) {
        walkExpr(exprOf(config, s), (e) => {
          if (e.t === 'lit' && typeof e.v === 'string' && PRIMITIVE_ROLES.test(e.v.trim())) {
            findings.push({
              check: 'primitive-roles',
              file: config.display(b.file),
              where: where(b),
              message: `primitive role ${e.v} (grant a predefined role instead)`,
            });
          }
        });
      }
    }
    for (const [name, l] of mod.locals) {
      for (const { s } of stringsIn(l.value)) {
        walkExpr(exprOf(config, s), (e) => {
          if (e.t === 'lit' && typeof e.v === 'string' && PRIMITIVE_ROLES.test(e.v.trim())) {
            findings.push({ check: 'primitive-roles', file: config.display(l.file), where: `local.${name}`, message: `primitive role ${e.v}` });
          }
        });
      }
    }
  }
  const ev = new Evaluator(config);
  for (const g of iamGrants(ev)) {
    if (g.type.endsWith('_iam_policy')) continue; // policy_data: literal roles are covered above
    if (typeof g.role !== 'string') {
      // A custom role of this configuration (its ID is known after apply) is never primitive.
      // (Unknown values also carry where they were read: the grant's own role attribute.)
      const refs = refsOf(g.role).filter((r) => !(IAM_TYPE.test(r.address.split('.')[0] ?? '') && r.path.join('.') === 'role'));
      if (refs.length > 0 && refs.every((r) => CUSTOM_ROLE.test(r.address) && ['id', 'name'].includes(r.path.join('.')))) continue;
      findings.push({ check: 'primitive-roles', file: '', where: g.where, message: 'role cannot be determined statically' });
    } else if (PRIMITIVE_ROLES.test(g.role)) findings.push({ check: 'primitive-roles', file: '', where: g.where, message: `primitive role ${g.role}` });
  }
  return findings;
}

const PUBLIC_MEMBERS = new Set(['allUsers', 'allAuthenticatedUsers']);
const INVOKER_ROLES = new Set(['roles/run.invoker', 'roles/cloudfunctions.invoker']);
/** IAM resource type => attribute naming the function or service. */
const FUNCTION_TARGET: Record<string, string> = {
  google_cloud_run_service_iam_member: 'service',
  google_cloud_run_service_iam_binding: 'service',
  google_cloud_run_v2_service_iam_member: 'name',
  google_cloud_run_v2_service_iam_binding: 'name',
  google_cloudfunctions2_function_iam_member: 'cloud_function',
  google_cloudfunctions2_function_iam_binding: 'cloud_function',
  google_cloudfunctions_function_iam_member: 'cloud_function',
  google_cloudfunctions_function_iam_binding: 'cloud_function',
};

/** allUsers / allAuthenticatedUsers only as invoker of the functions that authenticate callers themselves. */
/**
 * `rootVariables`: resources behind a `count` on a variable (the Agent Assist Cloud Run services
 * exist only once `agent_assist_ui_image` is set) are examined only when a test sets it.
 */
export function checkPublicInvokers(config: Configuration, allowed: readonly string[], rootVariables: Record<string, Json> = {}): Finding[] {
  const findings: Finding[] = [];
  const ev = new Evaluator(config, { rootVariables });
  for (const g of iamGrants(ev)) {
    const add = (message: string): void => {
      findings.push({ check: 'public-invokers', file: '', where: g.where, message });
    };
    const publicMembers = g.members.filter((m) => typeof m === 'string' && PUBLIC_MEMBERS.has(m));
    const unknownMembers = g.members.filter((m) => m instanceof Unknown && m.refs.length === 0);
    if (publicMembers.length === 0) {
      if (unknownMembers.length > 0) add('member cannot be determined statically (could be allUsers)');
      continue;
    }
    if (g.type.endsWith('_iam_policy')) {
      add(`${String(publicMembers[0])} in a whole IAM policy`);
      continue;
    }
    if (typeof g.role !== 'string' || !INVOKER_ROLES.has(g.role)) {
      add(`${String(publicMembers[0])} granted ${typeof g.role === 'string' ? g.role : 'an unknown role'}; the public may only invoke functions`);
      continue;
    }
    const targetAttr = FUNCTION_TARGET[g.type];
    if (!targetAttr) {
      add(`${String(publicMembers[0])} on a ${g.type}, which is not a function or service`);
      continue;
    }
    const target = g.attr(targetAttr);
    const name = typeof target === 'string' ? target.split('/').pop() : undefined;
    if (!name) add(`${String(publicMembers[0])} invoker on a function that cannot be determined statically`);
    else if (!allowed.includes(name)) add(`${String(publicMembers[0])} may invoke "${name}"; only ${allowed.join(', ')} authenticate their callers themselves`);
  }
  return findings;
}

// --- credentials -------------------------------------------------------------------------------

/** Words that mark a credential anywhere in an environment variable name (ZOOM_WEBHOOK_SECRET_PREVIOUS). */
const SECRET_WORD = /(SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE_?KEY|CREDENTIAL|API_?KEY|KEY_JSON)/i;
/** ...unless the name ends in a setting about it (UI_CONNECTOR_TOKEN_TTL_MINUTES, ZOOM_OAUTH_TOKEN_URL). */
const SETTING_SUFFIX = new RegExp(
  '_(TTL|TTL_[A-Z]+|URL|URI|ENDPOINT|HOST|HOSTS|PATH|SECONDS|MINUTES|HOURS|DAYS|MS|BYTES|COUNT|LIMIT|' +
    'HEADER|AUDIENCE|ISSUER|ALGORITHM|VERSION|TOPIC|BUCKET|COLLECTION)$',
  'i',
);

/** Whether an environment variable name says it carries a credential. */
export function looksLikeCredential(envName: string): boolean {
  return SECRET_WORD.test(envName) && !SETTING_SUFFIX.test(envName);
}
/** Terraform variable names whose value is a credential (the name ends in it: zoom_token, secret_values, not secret_env). */
export const SECRET_VARIABLE_NAME = /(secret|password|passwd|token|private_key|credentials?|api_key|key_json)(_values?)?s?$/i;
/** Attributes whose values are credentials. */
const SECRET_ATTRS = new Set(['secret_data', 'secret_data_wo', 'private_key', 'payload', 'access_token', 'id_token']);

function isStringType(v: Block): boolean {
  const t = typeof v.body['type'] === 'string' ? v.body['type'].replace(/\s/g, '') : '';
  // biome-ignore lint/suspicious/noTemplateCurlyInString: hcl2json writes type constraints as "${string}"
  return t === '' || t === '${string}' || t === '${map(string)}' || t === '${any}';
}

function taint(v: Value): string | null {
  for (const r of refsOf(v)) {
    if (r.sensitive) return `sensitive ${refString(r)}`;
    if (r.path.some((p) => SECRET_ATTRS.has(p))) return refString(r);
    if (/^data\.google_secret_manager_secret_version/.test(r.address)) return refString(r);
  }
  return null;
}

/**
 * Credentials only through Secret Manager: secret-like variables are sensitive and have no
 * default; function env holds no secret-like names and no values derived from secrets; every
 * secret env var names a Secret Manager secret of this configuration; each function's service
 * account can read exactly the secrets the function is given.
 */
/** `rootVariables`: the deployment's settings where a resource depends on them (crm_mode has no default). */
export function checkSecrets(config: Configuration, rootVariables: Record<string, Json> = {}): Finding[] {
  const findings: Finding[] = [];
  for (const mod of config.modules.values()) {
    for (const v of mod.variables.values()) {
      const add = (message: string): void => {
        findings.push({ check: 'secrets', file: config.display(v.file), where: where(v), message });
      };
      const sensitive = v.body['sensitive'] === true;
      if (sensitive && 'default' in v.body && v.body['default'] !== null) add('a sensitive variable must not have a default value');
      if (!sensitive && SECRET_VARIABLE_NAME.test(v.name) && isStringType(v)) add('looks like a credential but is not marked sensitive = true');
    }
    for (const o of mod.outputs.values()) {
      const value = o.body['value'];
      if (typeof value === 'string' && /(private_key|secret_data|key_json)/.test(value) && o.body['sensitive'] !== true) {
        findings.push({ check: 'secrets', file: config.display(o.file), where: where(o), message: 'an output carrying a credential must be sensitive' });
      }
    }
  }

  const ev = new Evaluator(config, { rootVariables });
  const secretIds = new Set<string>();
  for (const s of ev.resourceInstances('resource', (t) => t === 'google_secret_manager_secret')) {
    const id = ev.attribute(s.instance, s.block, s.key, s.each, ['secret_id']);
    if (typeof id === 'string') secretIds.add(id);
  }

  // Service account (resource instance id) => secrets it can read.
  const readable = new Map<string, Set<string>>();
  for (const g of iamGrants(ev)) {
    if (g.role !== 'roles/secretmanager.secretAccessor') continue;
    if (g.type === 'google_project_iam_member' || g.type === 'google_project_iam_binding') {
      findings.push({ check: 'secrets', file: '', where: g.where, message: 'secretAccessor on the whole project; grant it per secret' });
      continue;
    }
    if (!g.type.startsWith('google_secret_manager_secret_iam_')) continue;
    const secret = g.attr('secret_id');
    const id = typeof secret === 'string' ? (secret.split('/').pop() ?? secret) : null;
    for (const m of g.members) {
      for (const r of refsTo(m, 'google_service_account.')) {
        const set = readable.get(objectId(r)) ?? new Set<string>();
        set.add(id ?? '(unknown secret)');
        readable.set(objectId(r), set);
      }
    }
  }

  for (const fn of ev.resourceInstances('resource', (t) => t === 'google_cloudfunctions2_function')) {
    const fnWhere = instanceWhere(fn.instance, fn.block, fn.key);
    const add = (message: string): void => {
      findings.push({ check: 'secrets', file: config.display(fn.block.file), where: fnWhere, message });
    };
    const attr = (...path: string[]): Value => ev.attribute(fn.instance, fn.block, fn.key, fn.each, path);
    const env = attr('service_config', '0', 'environment_variables');
    if (isObjectValue(env)) {
      for (const [k, v] of Object.entries(env)) {
        if (looksLikeCredential(k)) add(`plain environment variable ${k} looks like a credential; use secret_environment_variables`);
        const t = taint(v);
        if (t) add(`plain environment variable ${k} is derived from ${t}`);
      }
    } else if (!(env instanceof Unknown && env.error)) {
      const t = taint(env);
      if (t) add(`environment_variables derived from ${t}`);
      add('environment_variables cannot be determined statically (keys unknown)');
    }
    const secretEnv = attr('service_config', '0', 'secret_environment_variables');
    const used = new Set<string>();
    if (Array.isArray(secretEnv)) {
      for (const item of secretEnv) {
        if (!isObjectValue(item)) continue;
        const secret = item['secret'];
        const id = typeof secret === 'string' ? (secret.split('/').pop() ?? secret) : null;
        if (!id) add(`secret of ${String(item['key'])} cannot be determined statically`);
        else if (!secretIds.has(id)) add(`secret env ${String(item['key'])} reads "${id}", which is not a google_secret_manager_secret of this configuration`);
        else used.add(id);
      }
    } else if (!(secretEnv instanceof Unknown && secretEnv.error)) add('secret_environment_variables cannot be determined statically');

    const sa = attr('service_config', '0', 'service_account_email');
    const saRefs = refsTo(sa, 'google_service_account.', 'email');
    if (saRefs.length === 0) {
      add('runs as a service account not created by this configuration (or the default compute account); give each function its own');
      continue;
    }
    const grants = readable.get(objectId(saRefs[0] as Ref)) ?? new Set<string>();
    const missing = [...used].filter((s) => !grants.has(s));
    const extra = [...grants].filter((s) => !used.has(s));
    if (missing.length > 0) add(`its service account cannot read ${missing.join(', ')}`);
    if (extra.length > 0) add(`its service account can read secrets the function is not given: ${extra.join(', ')}`);
  }
  return findings;
}
