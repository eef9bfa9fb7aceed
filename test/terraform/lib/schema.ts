// The committed provider attribute lists: terraform/.provider-schema/google.json.gz (derived by
// scripts/terraform/derive-provider-attributes.ts) plus handwritten.json (archive, random and
// terraform_data, written by hand).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

type Lists = Record<string, string[]>;

interface SchemaFile {
  resource?: Lists;
  data?: Lists;
  resource_computed?: Lists;
  data_computed?: Lists;
  provider_config?: string[];
  provider?: { version?: string; derivedFrom?: string };
}

export interface TypeSchema {
  /** Settable arguments: "name" and nested block paths "block.name". */
  args: Set<string>;
  /** Computed-only attributes, same path syntax. */
  computed: Set<string>;
}

export interface ProviderSchema {
  resource: Map<string, TypeSchema>;
  data: Map<string, TypeSchema>;
  providerConfig: Map<string, Set<string>>;
  googleVersion: string;
}

function isLists(v: unknown): v is Lists {
  return typeof v === 'object' && v !== null && Object.values(v).every((x) => Array.isArray(x) && x.every((s) => typeof s === 'string'));
}

function parseSchemaFile(text: string, name: string): SchemaFile {
  const raw: unknown = JSON.parse(text);
  if (typeof raw !== 'object' || raw === null) throw new Error(`${name}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  const out: SchemaFile = {};
  for (const k of ['resource', 'data', 'resource_computed', 'data_computed'] as const) {
    const v = o[k];
    if (v === undefined) continue;
    if (!isLists(v)) throw new Error(`${name}: "${k}" must map type names to string lists`);
    out[k] = v;
  }
  const pc = o['provider_config'];
  if (Array.isArray(pc) && pc.every((s) => typeof s === 'string')) out.provider_config = pc;
  const p = o['provider'];
  if (typeof p === 'object' && p !== null) {
    const pv = p as Record<string, unknown>;
    out.provider = {};
    if (typeof pv['version'] === 'string') out.provider.version = pv['version'];
    if (typeof pv['derivedFrom'] === 'string') out.provider.derivedFrom = pv['derivedFrom'];
  }
  return out;
}

export function buildSchema(files: SchemaFile[]): ProviderSchema {
  const schema: ProviderSchema = { resource: new Map(), data: new Map(), providerConfig: new Map(), googleVersion: 'unknown' };
  for (const f of files) {
    for (const kind of ['resource', 'data'] as const) {
      const target = schema[kind];
      for (const [type, args] of Object.entries(f[kind] ?? {})) {
        const entry = target.get(type) ?? { args: new Set<string>(), computed: new Set<string>() };
        for (const a of args) entry.args.add(a);
        target.set(type, entry);
      }
      for (const [type, computed] of Object.entries(f[kind === 'resource' ? 'resource_computed' : 'data_computed'] ?? {})) {
        const entry = target.get(type) ?? { args: new Set<string>(), computed: new Set<string>() };
        for (const a of computed) entry.computed.add(a);
        target.set(type, entry);
      }
    }
    if (f.provider_config) schema.providerConfig.set('google', new Set(f.provider_config));
    if (f.provider?.version) schema.googleVersion = f.provider.version;
  }
  return schema;
}

export function schemaFromObjects(...objects: unknown[]): ProviderSchema {
  return buildSchema(objects.map((o, i) => parseSchemaFile(JSON.stringify(o), `schema object ${i}`)));
}

export function loadProviderSchema(terraformDir: string): ProviderSchema {
  const dir = join(terraformDir, '.provider-schema');
  const google = parseSchemaFile(gunzipSync(readFileSync(join(dir, 'google.json.gz'))).toString('utf8'), 'google.json.gz');
  const handwritten = parseSchemaFile(readFileSync(join(dir, 'handwritten.json'), 'utf8'), 'handwritten.json');
  return buildSchema([google, handwritten]);
}

/** Whether a path ("a", "a.b") has nested names in the list. */
export function hasChildren(names: Set<string>, path: string): boolean {
  const prefix = path + '.';
  for (const n of names) if (n.startsWith(prefix)) return true;
  return false;
}
