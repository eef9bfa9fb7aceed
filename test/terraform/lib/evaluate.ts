// A small static evaluator for Terraform expressions, enough to answer questions such as
// "which function does this IAM binding apply to" or "which entry point does this deployment
// get" without a terraform binary. Values that only exist after apply (resource IDs, URLs)
// become Unknown, carrying references to where they come from, so a check can follow them
// (a function's source object -> its archive -> the directory zipped) or taint-track them
// (an env value derived from a sensitive variable).

import { basename, resolve } from 'node:path';
import { type Block, type Configuration, type Expr, exprOf, isJsonObject, isLocalSource, type Json, type ModuleDef, type Step } from './hcl';

// --- Values ----------------------------------------------------------------------------------

export interface Ref {
  /** Module instance the referenced object lives in. */
  instance: ModuleInstance;
  /** "var.x", "local.x", "google_x.y", "data.google_x.y". */
  address: string;
  /** Instance key of a resource with for_each/count. */
  key?: string | number | undefined;
  /** Attribute path after the address ("email", "service_config", "0", "uri"). */
  path: string[];
  sensitive: boolean;
}

export function refString(r: Ref): string {
  const key = r.key === undefined ? '' : `[${JSON.stringify(r.key)}]`;
  return `${r.instance.path}${r.address}${key}${r.path.length > 0 ? '.' + r.path.join('.') : ''}`;
}

/** A value known only after apply (or not statically knowable). */
export class Unknown {
  constructor(
    readonly refs: readonly Ref[],
    /** Evaluation failed (missing attribute, missing key, ...): `try()` moves on. */
    readonly error: string | null = null,
  ) {}
}

/** `google_x.y` (all instances) or one instance `google_x.y["k"]`. */
export class ResourceValue {
  constructor(
    readonly instance: ModuleInstance,
    readonly block: Block,
    readonly selected: { key: string | number | undefined; each: Value } | null,
  ) {}
  get address(): string {
    return blockAddress(this.block);
  }
}

/** `module.x` (all instances) or one instance. */
export class ModuleValue {
  constructor(
    readonly parent: ModuleInstance,
    readonly call: Block,
    readonly selected: ModuleInstance | null,
  ) {}
}

export type Value = null | string | number | boolean | Value[] | ValueObject | Unknown | ResourceValue | ModuleValue;
export interface ValueObject {
  [key: string]: Value;
}

export function isObjectValue(v: Value): v is ValueObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unknown) && !(v instanceof ResourceValue) && !(v instanceof ModuleValue);
}

export function blockAddress(b: Block): string {
  return b.kind === 'data' ? `data.${b.type}.${b.name}` : `${b.type}.${b.name}`;
}

function unknown(refs: readonly Ref[] = [], error: string | null = null): Unknown {
  return new Unknown(refs, error);
}

/** All references inside a value (Unknowns anywhere in it). */
export function refsOf(v: Value): Ref[] {
  if (v instanceof Unknown) return [...v.refs];
  if (Array.isArray(v)) return v.flatMap(refsOf);
  if (isObjectValue(v)) return Object.values(v).flatMap(refsOf);
  if (v instanceof ResourceValue) return [{ instance: v.instance, address: v.address, key: v.selected?.key, path: [], sensitive: false }];
  return [];
}

function mergeUnknown(...vs: Value[]): Unknown {
  const refs: Ref[] = [];
  let error: string | null = null;
  for (const v of vs) {
    refs.push(...refsOf(v));
    if (v instanceof Unknown && v.error && !error) error = v.error;
  }
  return unknown(refs, error);
}

function isUnknownish(v: Value): boolean {
  return v instanceof Unknown || v instanceof ResourceValue || v instanceof ModuleValue;
}

// --- Module instances ----------------------------------------------------------------------

export class ModuleInstance {
  readonly path: string;
  private readonly localCache = new Map<string, Value>();
  private readonly varCache = new Map<string, Value>();
  private readonly busy = new Set<string>();

  constructor(
    readonly evaluator: Evaluator,
    readonly def: ModuleDef,
    readonly parent: ModuleInstance | null,
    readonly call: Block | null,
    readonly key: string | number | undefined,
    readonly eachValue: Value,
  ) {
    const k = key === undefined ? '' : `[${JSON.stringify(key)}]`;
    this.path = parent && call ? `${parent.path}module.${call.name}${k}.` : '';
  }

  variable(name: string): Value {
    const cached = this.varCache.get(name);
    if (cached !== undefined) return cached;
    const guard = `var.${name}`;
    if (this.busy.has(guard)) return unknown([], 'cycle');
    this.busy.add(guard);
    try {
      const decl = this.def.variables.get(name);
      const sensitive = decl?.body['sensitive'] === true;
      const ref: Ref = { instance: this, address: `var.${name}`, path: [], sensitive };
      let v: Value;
      if (!decl) v = unknown([ref], `undeclared variable ${name}`);
      else if (sensitive)
        v = unknown([ref]); // never looked at, only tracked
      else {
        const given = this.givenArgument(name);
        if (given !== undefined) v = given;
        else if ('default' in decl.body) v = this.evaluator.evalJson(decl.body['default'] ?? null, { instance: this });
        else v = unknown([ref]);
        const type = decl.body['type'];
        if (typeof type === 'string') v = this.evaluator.applyTypeDefaults(v, exprOf(this.evaluator.config, type), this);
        if (v instanceof Unknown && !v.refs.some((r) => r.address === ref.address && r.instance === this)) v = unknown([...v.refs, ref], v.error);
      }
      this.varCache.set(name, v);
      return v;
    } finally {
      this.busy.delete(guard);
    }
  }

  private givenArgument(name: string): Value | undefined {
    if (this.parent && this.call) {
      if (!(name in this.call.body)) return undefined;
      const scope: Scope = { instance: this.parent };
      if ('for_each' in this.call.body) scope.each = { key: this.key ?? null, value: this.eachValue };
      else if ('count' in this.call.body && typeof this.key === 'number') scope.count = this.key;
      return this.evaluator.evalJson(this.call.body[name] ?? null, scope);
    }
    const overrides = this.evaluator.rootVariables;
    return name in overrides ? jsonToValue(overrides[name] ?? null) : undefined;
  }

  local(name: string): Value {
    const cached = this.localCache.get(name);
    if (cached !== undefined) return cached;
    const guard = `local.${name}`;
    if (this.busy.has(guard)) return unknown([], 'cycle');
    const l = this.def.locals.get(name);
    if (!l) return unknown([], `undeclared local ${name}`);
    this.busy.add(guard);
    try {
      const v = this.evaluator.evalJson(l.value, { instance: this });
      this.localCache.set(name, v);
      return v;
    } finally {
      this.busy.delete(guard);
    }
  }

  /** Instances of a module call in this module. */
  children(call: Block): ModuleInstance[] {
    return this.evaluator.moduleInstances(this, call);
  }
}

export interface Scope {
  instance: ModuleInstance;
  each?: { key: string | number | null; value: Value };
  count?: number;
  vars?: ReadonlyMap<string, Value>;
}

// --- Evaluator -------------------------------------------------------------------------------

export interface EvaluatorOptions {
  /** Values of root variables (as in a tfvars file). */
  rootVariables?: Record<string, Json>;
  /** Replaces file contents read by file()/jsondecode (absolute path => content). */
  fileOverrides?: Record<string, string>;
}

export class Evaluator {
  readonly root: ModuleInstance;
  readonly rootVariables: Record<string, Json>;
  private readonly fileOverrides: Map<string, string>;
  private readonly instanceCache = new Map<string, ModuleInstance[]>();
  private readonly origins = new WeakMap<object, Ref>();
  private depth = 0;

  constructor(
    readonly config: Configuration,
    options: EvaluatorOptions = {},
  ) {
    this.rootVariables = options.rootVariables ?? {};
    this.fileOverrides = new Map(Object.entries(options.fileOverrides ?? {}).map(([k, v]) => [resolve(k), v]));
    this.root = new ModuleInstance(this, config.root, null, null, undefined, null);
  }

  /**
   * Applies `optional(type, default)` attributes of a type constraint the way Terraform
   * converts a value to a variable's type: a missing optional attribute becomes its default
   * (or null).
   */
  applyTypeDefaults(v: Value, type: Expr, inst: ModuleInstance): Value {
    if (type.t !== 'call') return v;
    const [inner] = type.args;
    switch (type.name) {
      case 'optional':
        return inner ? this.applyTypeDefaults(v, inner, inst) : v;
      case 'map':
        if (!inner || !isObjectValue(v)) return v;
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.applyTypeDefaults(x, inner, inst)]));
      case 'list':
      case 'set':
        return inner && Array.isArray(v) ? v.map((x) => this.applyTypeDefaults(x, inner, inst)) : v;
      case 'object': {
        if (inner?.t !== 'object' || !isObjectValue(v)) return v;
        const out: ValueObject = { ...v };
        for (const item of inner.items) {
          const key = item.key.t === 'lit' ? String(item.key.v) : null;
          if (key === null) continue;
          const attrType = item.value;
          if (!(key in out) || out[key] === null) {
            if (attrType.t === 'call' && attrType.name === 'optional') {
              const dflt = attrType.args[1];
              const dv = dflt ? this.evalExpr(dflt, { instance: inst }) : null;
              out[key] = attrType.args[0] ? this.applyTypeDefaults(dv, attrType.args[0], inst) : dv;
            }
            continue;
          }
          out[key] = this.applyTypeDefaults(out[key] ?? null, attrType, inst);
        }
        return out;
      }
      default:
        return v;
    }
  }

  /** Every module instance, root first. */
  allInstances(): ModuleInstance[] {
    const out: ModuleInstance[] = [];
    const visit = (inst: ModuleInstance): void => {
      out.push(inst);
      for (const call of inst.def.modules.values()) for (const child of this.moduleInstances(inst, call)) visit(child);
    };
    visit(this.root);
    return out;
  }

  moduleInstances(parent: ModuleInstance, call: Block): ModuleInstance[] {
    const cacheKey = `${parent.path}module.${call.name}`;
    const cached = this.instanceCache.get(cacheKey);
    if (cached) return cached;
    const source = call.body['source'];
    const def = isLocalSource(source) ? this.config.modules.get(resolve(parent.def.dir, source)) : undefined;
    let out: ModuleInstance[] = [];
    if (def) {
      const expansion = this.expand(call, { instance: parent });
      out = expansion.map((e) => new ModuleInstance(this, def, parent, call, e.key, e.each));
    }
    this.instanceCache.set(cacheKey, out);
    return out;
  }

  /** Instances of a resource/data/module block: for_each keys, count indexes, or one. */
  expand(block: Block, scope: Scope): Array<{ key: string | number | undefined; each: Value }> {
    if ('for_each' in block.body) {
      const fe = this.evalJson(block.body['for_each'] ?? null, scope);
      if (Array.isArray(fe)) return fe.filter((x): x is string => typeof x === 'string').map((k) => ({ key: k, each: k }));
      if (isObjectValue(fe)) return Object.keys(fe).map((k) => ({ key: k, each: fe[k] ?? null }));
      if (fe instanceof ResourceValue || fe instanceof ModuleValue) {
        const m = this.materialize(fe);
        if (isObjectValue(m)) return Object.keys(m).map((k) => ({ key: k, each: m[k] ?? null }));
      }
      // Unknown keys: one symbolic instance, so its body can still be inspected.
      return [{ key: undefined, each: fe instanceof Unknown ? fe : unknown() }];
    }
    if ('count' in block.body) {
      const c = this.evalJson(block.body['count'] ?? null, scope);
      if (typeof c === 'number') return Array.from({ length: c }, (_, i) => ({ key: i, each: null }));
      return [{ key: undefined, each: null }];
    }
    return [{ key: undefined, each: null }];
  }

  /** Every instance of every resource (or data source) of a type, across all modules. */
  resourceInstances(
    kind: 'resource' | 'data',
    typeTest: (type: string) => boolean,
  ): Array<{ instance: ModuleInstance; block: Block; key: string | number | undefined; each: Value }> {
    const out: Array<{ instance: ModuleInstance; block: Block; key: string | number | undefined; each: Value }> = [];
    for (const inst of this.allInstances()) {
      const map = kind === 'resource' ? inst.def.resources : inst.def.data;
      for (const block of map.values()) {
        if (!typeTest(block.type)) continue;
        for (const e of this.expand(block, { instance: inst })) out.push({ instance: inst, block, key: e.key, each: e.each });
      }
    }
    return out;
  }

  /** The value of one attribute path of a resource instance, as configured. */
  attribute(instance: ModuleInstance, block: Block, key: string | number | undefined, each: Value, path: string[]): Value {
    const rv = new ResourceValue(instance, block, { key, each });
    let v: Value = rv;
    for (const p of path) v = this.getAttr(v, /^\d+$/.test(p) ? Number(p) : p);
    return v;
  }

  /** Scope in which a resource instance's body is evaluated. */
  instanceScope(r: ResourceValue): Scope {
    const scope: Scope = { instance: r.instance };
    if (r.selected) {
      if ('for_each' in r.block.body) scope.each = { key: r.selected.key ?? null, value: r.selected.each };
      else if ('count' in r.block.body && typeof r.selected.key === 'number') scope.count = r.selected.key;
    }
    return scope;
  }

  // --- JSON bodies ---------------------------------------------------------------------------

  evalJson(j: Json, scope: Scope): Value {
    if (typeof j === 'string') return this.evalExpr(exprOf(this.config, j), scope);
    if (j === null || typeof j === 'number' || typeof j === 'boolean') return j;
    if (Array.isArray(j)) return j.map((x) => this.evalJson(x, scope));
    const out: ValueObject = {};
    for (const [k, v] of Object.entries(j)) {
      if (k === 'dynamic' && isJsonObject(v)) {
        this.expandDynamic(v, scope, out);
        continue;
      }
      let key = k;
      if (k.includes('${')) {
        const kv = this.evalExpr(exprOf(this.config, k), scope);
        if (typeof kv !== 'string') return mergeUnknown(kv);
        key = kv;
      }
      out[key] = this.evalJson(v, scope);
    }
    return out;
  }

  /** `dynamic "name" { for_each, iterator, content {} }` => name = [content...]. */
  private expandDynamic(dyn: Json, scope: Scope, out: ValueObject): void {
    if (!isJsonObject(dyn)) return;
    for (const [name, specs] of Object.entries(dyn)) {
      const items: Value[] = [];
      let unknownItems: Unknown | null = null;
      for (const spec of Array.isArray(specs) ? specs : [specs]) {
        if (!isJsonObject(spec)) continue;
        const it = typeof spec['iterator'] === 'string' ? spec['iterator'] : name;
        const fe = this.evalJson(spec['for_each'] ?? null, scope);
        const entries: Array<[string | number, Value]> = Array.isArray(fe)
          ? fe.map((v, i) => [i, v])
          : isObjectValue(fe)
            ? Object.keys(fe)
                .sort()
                .map((k) => [k, fe[k] ?? null])
            : [];
        if (!Array.isArray(fe) && !isObjectValue(fe)) {
          unknownItems = mergeUnknown(fe);
          continue;
        }
        const content = Array.isArray(spec['content']) ? spec['content'][0] : spec['content'];
        for (const [k, v] of entries) {
          const vars = new Map(scope.vars ?? []);
          vars.set(it, { key: Array.isArray(fe) ? (typeof v === 'string' ? v : k) : k, value: v });
          items.push(this.evalJson(content ?? {}, { ...scope, vars }));
        }
      }
      const existing = out[name];
      out[name] = unknownItems ?? [...(Array.isArray(existing) ? existing : []), ...items];
    }
  }

  // --- Expressions ---------------------------------------------------------------------------

  evalExpr(e: Expr, scope: Scope): Value {
    if (this.depth > 200) return unknown([], 'evaluation too deep');
    this.depth++;
    try {
      return this.evalInner(e, scope);
    } finally {
      this.depth--;
    }
  }

  private evalInner(e: Expr, scope: Scope): Value {
    switch (e.t) {
      case 'lit':
        return e.v;
      case 'tpl': {
        const parts = e.parts.map((p) => this.evalExpr(p, scope));
        if (parts.some((p) => !(typeof p === 'string' || typeof p === 'number' || typeof p === 'boolean'))) return mergeUnknown(...parts);
        return parts.map((p) => String(p)).join('');
      }
      case 'tuple':
        return e.items.map((i) => this.evalExpr(i, scope));
      case 'object': {
        const out: ValueObject = {};
        for (const { key, value } of e.items) {
          const k = this.evalExpr(key, scope);
          if (typeof k !== 'string' && typeof k !== 'number') return mergeUnknown(k, this.evalExpr(value, scope));
          out[String(k)] = this.evalExpr(value, scope);
        }
        return out;
      }
      case 'scope': {
        const [base, consumed] = this.evalRoot(e, scope);
        return this.applySteps(base, e.steps.slice(consumed));
      }
      case 'rel':
        return this.applySteps(this.evalExpr(e.source, scope), e.steps);
      case 'index': {
        const coll = this.evalExpr(e.coll, scope);
        const key = this.evalExpr(e.key, scope);
        if (typeof key !== 'string' && typeof key !== 'number') return mergeUnknown(coll, key);
        return this.getAttr(coll, key);
      }
      case 'splat': {
        let src = this.evalExpr(e.source, scope);
        if (src instanceof ResourceValue || src instanceof ModuleValue) src = this.materialize(src);
        if (src instanceof Unknown) return src;
        const list = Array.isArray(src) ? src : isObjectValue(src) ? Object.values(src) : src === null ? [] : [src];
        return list.map((x) => this.applySteps(x, e.steps));
      }
      case 'call':
        return this.call(e.name, e.args, e.expand, scope);
      case 'cond': {
        const c = this.evalExpr(e.c, scope);
        if (c === true) return this.evalExpr(e.a, scope);
        if (c === false) return this.evalExpr(e.b, scope);
        return mergeUnknown(c, this.evalExpr(e.a, scope), this.evalExpr(e.b, scope));
      }
      case 'bin':
        return binary(e.op, this.evalExpr(e.l, scope), this.evalExpr(e.r, scope));
      case 'un': {
        const v = this.evalExpr(e.v, scope);
        if (isUnknownish(v)) return mergeUnknown(v);
        if (e.op === 'logicalNot' && typeof v === 'boolean') return !v;
        if (e.op === 'negate' && typeof v === 'number') return -v;
        return unknown([], `bad operand of ${e.op}`);
      }
      case 'for':
        return this.evalFor(e, scope);
      default:
        return unknown([], `unsupported expression ${e.src}`);
    }
  }

  /** The object a traversal starts from, and how many of its steps that consumed. */
  private evalRoot(e: Extract<Expr, { t: 'scope' }>, scope: Scope): [Value, number] {
    const inst = scope.instance;
    const [s0, s1] = e.steps;
    const name0 = s0?.kind === 'attr' ? s0.name : undefined;
    // For-expression and dynamic-iterator variables shadow everything else.
    if (scope.vars?.has(e.root)) return [scope.vars.get(e.root) ?? null, 0];
    switch (e.root) {
      case 'var':
        return [name0 ? inst.variable(name0) : unknown(), 1];
      case 'local':
        return [name0 ? inst.local(name0) : unknown(), 1];
      case 'path':
        return [name0 === 'module' ? inst.def.dir : this.config.rootDir, 1];
      case 'terraform':
        return ['default', 1];
      case 'each':
        return [scope.each ? { key: scope.each.key, value: scope.each.value } : unknown([], 'each outside for_each'), 0];
      case 'count':
        return [scope.count === undefined ? unknown([], 'count outside count') : { index: scope.count }, 0];
      case 'self':
        return [unknown(), 0];
      case 'module': {
        const call = name0 ? inst.def.modules.get(name0) : undefined;
        return [call ? new ModuleValue(inst, call, null) : unknown([], `undeclared module ${name0}`), 1];
      }
      case 'data': {
        const name1 = s1?.kind === 'attr' ? s1.name : undefined;
        const block = name0 && name1 ? inst.def.data.get(`${name0}.${name1}`) : undefined;
        return [block ? new ResourceValue(inst, block, null) : unknown([], `undeclared data.${name0}.${name1}`), 2];
      }
      default: {
        const block = name0 ? inst.def.resources.get(`${e.root}.${name0}`) : undefined;
        return [block ? new ResourceValue(inst, block, null) : unknown([], `undeclared ${e.root}.${name0}`), 1];
      }
    }
  }

  applySteps(v: Value, steps: readonly Step[]): Value {
    let cur = v;
    for (const s of steps) cur = this.getAttr(cur, s.kind === 'attr' ? s.name : s.key);
    return cur;
  }

  /** `v.name` or `v[key]`. */
  getAttr(v: Value, key: string | number): Value {
    if (v instanceof Unknown) {
      return unknown(
        v.refs.map((r) => ({ ...r, path: [...r.path, String(key)] })),
        v.error,
      );
    }
    if (v instanceof ModuleValue) return this.moduleAttr(v, key);
    if (v instanceof ResourceValue) return this.resourceAttr(v, key);
    if (Array.isArray(v) || isObjectValue(v)) {
      const origin = this.origins.get(v);
      const computed = (): Unknown | null => (origin ? unknown([{ ...origin, path: [...origin.path, String(key)] }]) : null);
      if (Array.isArray(v)) {
        const i = typeof key === 'number' ? key : /^\d+$/.test(key) ? Number(key) : Number.NaN;
        if (Number.isNaN(i)) return unknown([], `list has no attribute ${key}`);
        return i < v.length ? (v[i] ?? null) : (computed() ?? unknown([], `index ${i} out of range`));
      }
      const k = String(key);
      return k in v ? (v[k] ?? null) : (computed() ?? unknown([], `no attribute or key "${k}"`));
    }
    return unknown([], `cannot read ${String(key)} of ${v === null ? 'null' : typeof v}`);
  }

  private moduleAttr(m: ModuleValue, key: string | number): Value {
    const instances = m.parent.children(m.call);
    if (m.selected === null) {
      const hasEach = 'for_each' in m.call.body || 'count' in m.call.body;
      if (hasEach) {
        const found = instances.find((i) => i.key === key);
        if (found) return new ModuleValue(m.parent, m.call, found);
        const only = instances[0];
        if (instances.length === 1 && only && only.key === undefined) return new ModuleValue(m.parent, m.call, only);
        return unknown([], `module.${m.call.name} has no instance ${JSON.stringify(key)}`);
      }
      const only = instances[0];
      if (!only) return unknown([], `module.${m.call.name} is not loaded`);
      return this.outputOf(only, String(key));
    }
    return this.outputOf(m.selected, String(key));
  }

  private outputOf(inst: ModuleInstance, name: string): Value {
    const out = inst.def.outputs.get(name);
    if (!out) return unknown([], `module has no output ${name}`);
    return this.evalJson(out.body['value'] ?? null, { instance: inst });
  }

  private resourceAttr(r: ResourceValue, key: string | number): Value {
    if (r.selected === null) {
      const hasEach = 'for_each' in r.block.body || 'count' in r.block.body;
      if (hasEach) {
        const found = this.expand(r.block, { instance: r.instance }).find((e) => e.key === key);
        if (found) return new ResourceValue(r.instance, r.block, { key: found.key, each: found.each });
        return unknown([{ instance: r.instance, address: r.address, key, path: [], sensitive: false }]);
      }
      return this.resourceAttr(new ResourceValue(r.instance, r.block, { key: undefined, each: null }), key);
    }
    const k = String(key);
    const ref: Ref = { instance: r.instance, address: r.address, key: r.selected.key, path: [k], sensitive: false };
    const meta = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle', 'provisioner', 'connection']);
    if (meta.has(k)) return unknown([ref]);
    const scope = this.instanceScope(r);
    const dyn = r.block.body['dynamic'];
    const isDynamic = isJsonObject(dyn) && k in dyn;
    if (!(k in r.block.body) && !isDynamic) return unknown([ref]);
    // Static blocks and dynamic blocks of the same name add up.
    const out: ValueObject = {};
    if (k in r.block.body) out[k] = this.evalJson(r.block.body[k] ?? null, scope);
    if (isDynamic) this.expandDynamic({ [k]: dyn[k] ?? null }, scope, out);
    return this.tag(out[k] ?? null, ref);
  }

  /**
   * Remembers where configured values of a resource came from: Unknowns gain the reference,
   * and a missing attribute of a configured block (`service_config[0].uri`) is a computed
   * value, not an error.
   */
  private tag(v: Value, ref: Ref): Value {
    if (v instanceof Unknown) return unknown([...v.refs, ref], v.error);
    if (Array.isArray(v)) {
      const copy = v.map((x, i) => this.tag(x, { ...ref, path: [...ref.path, String(i)] }));
      this.origins.set(copy, ref);
      return copy;
    }
    if (isObjectValue(v)) {
      const copy: ValueObject = {};
      for (const [k, x] of Object.entries(v)) copy[k] = this.tag(x, { ...ref, path: [...ref.path, k] });
      this.origins.set(copy, ref);
      return copy;
    }
    return v;
  }

  /** All instances of a resource or module as an object keyed by instance key (or a list for count). */
  materialize(v: ResourceValue | ModuleValue): Value {
    if (v instanceof ResourceValue) {
      if (v.selected) return v;
      const body = v.block.body;
      const inst = this.expand(v.block, { instance: v.instance });
      if ('count' in body) return inst.map((e) => new ResourceValue(v.instance, v.block, { key: e.key, each: e.each }));
      if ('for_each' in body) {
        const only = inst[0];
        if (inst.length === 1 && only && only.key === undefined) return mergeUnknown(only.each);
        const out: ValueObject = {};
        for (const e of inst) out[String(e.key)] = new ResourceValue(v.instance, v.block, { key: e.key, each: e.each });
        return out;
      }
      return new ResourceValue(v.instance, v.block, { key: undefined, each: null });
    }
    if (v.selected) return v;
    const instances = v.parent.children(v.call);
    if ('for_each' in v.call.body) {
      const out: ValueObject = {};
      for (const i of instances) out[String(i.key)] = new ModuleValue(v.parent, v.call, i);
      return out;
    }
    if ('count' in v.call.body) return instances.map((i) => new ModuleValue(v.parent, v.call, i));
    return instances[0] ? new ModuleValue(v.parent, v.call, instances[0]) : unknown();
  }

  private evalFor(e: Extract<Expr, { t: 'for' }>, scope: Scope): Value {
    let coll = this.evalExpr(e.coll, scope);
    if (coll instanceof ResourceValue || coll instanceof ModuleValue) coll = this.materialize(coll);
    if (coll instanceof Unknown || coll instanceof ResourceValue || coll instanceof ModuleValue) return mergeUnknown(coll);
    const entries: Array<[string | number, Value]> = Array.isArray(coll)
      ? coll.map((v, i) => [i, v])
      : isObjectValue(coll)
        ? Object.keys(coll)
            .sort()
            .map((k) => [k, coll[k] ?? null])
        : [];
    if (!Array.isArray(coll) && !isObjectValue(coll)) return coll === null ? unknown([], 'for over null') : unknown([], 'for over a non-collection');
    const listOut: Value[] = [];
    const objOut: ValueObject = {};
    const grouped: Record<string, Value[]> = {};
    for (const [k, v] of entries) {
      const vars = new Map(scope.vars ?? []);
      if (e.keyVar) vars.set(e.keyVar, k);
      vars.set(e.valVar, v);
      const inner: Scope = { ...scope, vars };
      if (e.cond) {
        const c = this.evalExpr(e.cond, inner);
        if (c === false) continue;
        if (c !== true) return mergeUnknown(c);
      }
      const value = this.evalExpr(e.value, inner);
      if (!e.isObject) {
        listOut.push(value);
        continue;
      }
      const key = e.key ? this.evalExpr(e.key, inner) : null;
      if (typeof key !== 'string' && typeof key !== 'number') return mergeUnknown(key, value);
      if (e.grouped) grouped[String(key)] = [...(grouped[String(key)] ?? []), value];
      else objOut[String(key)] = value;
    }
    if (!e.isObject) return listOut;
    return e.grouped ? grouped : objOut;
  }

  // --- Functions -----------------------------------------------------------------------------

  private call(name: string, argExprs: Expr[], expand: boolean, scope: Scope): Value {
    if (name === 'try') {
      let last: Value = unknown([], 'try: no argument succeeded');
      for (const a of argExprs) {
        const v = this.evalExpr(a, scope);
        if (v instanceof Unknown && v.error) {
          last = v;
          continue;
        }
        return v;
      }
      return last;
    }
    if (name === 'can') {
      const v = argExprs[0] ? this.evalExpr(argExprs[0], scope) : null;
      if (v instanceof Unknown) return v.error ? false : mergeUnknown(v);
      return true;
    }
    let args = argExprs.map((a) => this.evalExpr(a, scope));
    if (expand && args.length > 0) {
      const last = args[args.length - 1] ?? null;
      if (Array.isArray(last)) args = [...args.slice(0, -1), ...last];
      else if (isObjectValue(last)) args = [...args.slice(0, -1), ...Object.values(last)];
      else return mergeUnknown(...args);
    }
    args = args.map((a) => (a instanceof ResourceValue || a instanceof ModuleValue ? this.materialize(a) : a));
    return callFunction(name, args, (p) => this.readFile(p));
  }

  readFile(p: string): string | undefined {
    const abs = resolve(this.config.rootDir, p);
    return this.fileOverrides.get(abs) ?? this.config.source.read(abs);
  }
}

function binary(op: string, l: Value, r: Value): Value {
  if (op === 'equal' || op === 'notEqual') {
    if (isUnknownish(l) || isUnknownish(r)) return mergeUnknown(l, r);
    // A known collection differs from null or a primitive even if its elements are unknown.
    const shape = (v: Value): string => (v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v === 'object' ? 'object' : 'primitive');
    let eq: boolean;
    if ((hasUnknown(l) || hasUnknown(r)) && shape(l) === shape(r)) return mergeUnknown(l, r);
    if (shape(l) !== shape(r)) eq = false;
    else eq = JSON.stringify(l) === JSON.stringify(r);
    return op === 'equal' ? eq : !eq;
  }
  if (isUnknownish(l) || isUnknownish(r)) return mergeUnknown(l, r);
  if (op === 'logicalAnd' || op === 'logicalOr') {
    if (typeof l !== 'boolean' || typeof r !== 'boolean') return unknown([], `bad operands of ${op}`);
    return op === 'logicalAnd' ? l && r : l || r;
  }
  const a = typeof l === 'string' && l.trim() !== '' ? Number(l) : l;
  const b = typeof r === 'string' && r.trim() !== '' ? Number(r) : r;
  if (typeof a !== 'number' || typeof b !== 'number' || Number.isNaN(a) || Number.isNaN(b)) return unknown([], `bad operands of ${op}`);
  switch (op) {
    case 'add':
      return a + b;
    case 'subtract':
      return a - b;
    case 'multiply':
      return a * b;
    case 'divide':
      return a / b;
    case 'modulo':
      return a % b;
    case 'lessThan':
      return a < b;
    case 'lessThanOrEqual':
      return a <= b;
    case 'greaterThan':
      return a > b;
    case 'greaterThanOrEqual':
      return a >= b;
    default:
      return unknown([], `unsupported operator ${op}`);
  }
}

function hasUnknown(v: Value): boolean {
  if (isUnknownish(v)) return true;
  if (Array.isArray(v)) return v.some(hasUnknown);
  if (isObjectValue(v)) return Object.values(v).some(hasUnknown);
  return false;
}

export function jsonToValue(j: unknown): Value {
  if (j === null || typeof j === 'string' || typeof j === 'number' || typeof j === 'boolean') return j;
  if (Array.isArray(j)) return j.map(jsonToValue);
  if (typeof j === 'object') {
    const out: ValueObject = {};
    for (const [k, v] of Object.entries(j as Record<string, unknown>)) out[k] = jsonToValue(v);
    return out;
  }
  return null;
}

function valueToJson(v: Value): unknown {
  if (hasUnknown(v)) throw new Error('unknown');
  if (Array.isArray(v)) return v.map(valueToJson);
  if (isObjectValue(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, valueToJson(x)]));
  return v;
}

function callFunction(name: string, args: Value[], readFile: (p: string) => string | undefined): Value {
  const [a = null, b = null, c = null] = args;
  const str = (v: Value): v is string => typeof v === 'string';
  // Functions that can work with unknown elements inside known collections.
  switch (name) {
    case 'merge': {
      const out: ValueObject = {};
      for (const x of args) {
        if (x === null) continue;
        if (!isObjectValue(x)) return mergeUnknown(...args);
        Object.assign(out, x);
      }
      return out;
    }
    case 'concat': {
      if (!args.every(Array.isArray)) return mergeUnknown(...args);
      return args.flatMap((x) => (Array.isArray(x) ? x : []));
    }
    case 'keys':
      return isObjectValue(a) ? Object.keys(a).sort() : mergeUnknown(a ?? null);
    case 'values':
      return isObjectValue(a)
        ? Object.keys(a)
            .sort()
            .map((k) => a[k] ?? null)
        : mergeUnknown(a ?? null);
    case 'lookup':
      if (isObjectValue(a) && (str(b) || typeof b === 'number'))
        return String(b) in a ? (a[String(b)] ?? null) : args.length > 2 ? (c ?? null) : unknown([], 'lookup: missing key');
      return mergeUnknown(...args);
    case 'length':
      if (Array.isArray(a)) return a.length;
      if (isObjectValue(a)) return Object.keys(a).length;
      if (str(a)) return a.length;
      return mergeUnknown(a ?? null);
    case 'tomap':
    case 'tolist':
    case 'nonsensitive':
    case 'sensitive':
      return a ?? null;
    case 'toset': {
      if (!Array.isArray(a)) return mergeUnknown(a ?? null);
      if (a.some(hasUnknown)) return mergeUnknown(a);
      const seen = new Set<string>();
      return a.filter((x) => {
        const k = JSON.stringify(x);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    case 'flatten': {
      if (!Array.isArray(a)) return mergeUnknown(a ?? null);
      const flat = (x: Value[]): Value[] => x.flatMap((y) => (Array.isArray(y) ? flat(y) : [y]));
      return flat(a);
    }
    case 'one':
      if (!Array.isArray(a)) return mergeUnknown(a ?? null);
      return a.length === 0 ? null : a.length === 1 ? (a[0] ?? null) : unknown([], 'one: more than one element');
    case 'element':
      if (Array.isArray(a) && typeof b === 'number' && a.length > 0) return a[b % a.length] ?? null;
      return mergeUnknown(...args);
    case 'contains':
      if (Array.isArray(a) && !hasUnknown(b ?? null) && !a.some(hasUnknown)) return a.some((x) => JSON.stringify(x) === JSON.stringify(b));
      return mergeUnknown(...args);
    case 'coalesce': {
      for (const x of args) {
        if (isUnknownish(x)) return mergeUnknown(...args);
        if (x !== null && x !== '') return x;
      }
      return unknown([], 'coalesce: no non-null argument');
    }
    case 'alltrue':
    case 'anytrue':
      if (!Array.isArray(a) || a.some((x) => typeof x !== 'boolean')) return mergeUnknown(a ?? null);
      return name === 'alltrue' ? a.every((x) => x === true) : a.some((x) => x === true);
    default:
      break;
  }
  if (args.some(hasUnknown)) return mergeUnknown(...args);
  switch (name) {
    case 'file': {
      if (!str(a)) return unknown([], 'file: path is not a string');
      const content = readFile(a);
      return content === undefined ? unknown([], `file: ${a} not found`) : content;
    }
    case 'fileexists':
      return str(a) ? readFile(a) !== undefined : unknown([], 'fileexists: bad path');
    case 'abspath':
      return str(a) ? resolve(a) : unknown([], 'abspath: bad path');
    case 'basename':
      return str(a) ? basename(a) : unknown();
    case 'jsondecode':
      if (!str(a)) return unknown([], 'jsondecode: not a string');
      try {
        return jsonToValue(JSON.parse(a));
      } catch {
        return unknown([], 'jsondecode: invalid JSON');
      }
    case 'jsonencode':
      return JSON.stringify(valueToJson(a ?? null));
    case 'base64encode':
      return str(a) ? Buffer.from(a, 'utf8').toString('base64') : unknown();
    case 'base64decode':
      return str(a) ? Buffer.from(a, 'base64').toString('utf8') : unknown();
    case 'join':
      return str(a) && Array.isArray(b) && b.every((x) => typeof x === 'string' || typeof x === 'number')
        ? b.map(String).join(a)
        : unknown([], 'join: bad arguments');
    case 'split':
      return str(a) && str(b) ? b.split(a) : unknown([], 'split: bad arguments');
    case 'upper':
      return str(a) ? a.toUpperCase() : unknown();
    case 'lower':
      return str(a) ? a.toLowerCase() : unknown();
    case 'trimspace':
      return str(a) ? a.trim() : unknown();
    case 'replace':
      return str(a) && str(b) && str(c) && !b.startsWith('/') ? a.split(b).join(c) : unknown();
    case 'tostring':
      return a === null || a === undefined ? null : typeof a === 'object' ? unknown([], 'tostring: not a primitive') : String(a);
    case 'tonumber':
      return typeof a === 'number' ? a : str(a) && a.trim() !== '' && !Number.isNaN(Number(a)) ? Number(a) : unknown([], 'tonumber: not a number');
    case 'startswith':
      return str(a) && str(b) ? a.startsWith(b) : unknown();
    case 'endswith':
      return str(a) && str(b) ? a.endsWith(b) : unknown();
    case 'max':
    case 'min':
      return args.every((x) => typeof x === 'number') ? (name === 'max' ? Math.max(...(args as number[])) : Math.min(...(args as number[]))) : unknown();
    case 'floor':
      return typeof a === 'number' ? Math.floor(a) : unknown();
    case 'distinct':
      return Array.isArray(a) ? a.filter((x, i) => a.findIndex((y) => JSON.stringify(y) === JSON.stringify(x)) === i) : unknown();
    case 'format': {
      if (!str(a)) return unknown();
      let i = 1;
      return a.replace(/%[sdv%]/g, (m) => (m === '%%' ? '%' : String(args[i++] ?? '')));
    }
    default:
      // regex(), timestamp(), ...: not needed statically.
      return unknown();
  }
}
