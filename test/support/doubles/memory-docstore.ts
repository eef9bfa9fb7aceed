/** An in-memory DocStore for unit tests: same semantics as the Firestore adapter, no server. */
import {
  type DocData,
  DocAlreadyExistsError,
  DocNotFoundError,
  DocVersionMismatchError,
  type DocStore,
  isFieldOp,
  type Query,
  type StoredDoc,
  type WhereOp,
} from '../../../shared/ports/docstore';

export interface MemoryDocStore extends DocStore {
  /** Every document of a collection, for assertions. */
  dump(collection: string): Record<string, DocData>;
}

export function createMemoryDocStore(now: () => Date = () => new Date()): MemoryDocStore {
  const collections = new Map<string, Map<string, DocData>>();
  const col = (name: string) => {
    let c = collections.get(name);
    if (!c) {
      c = new Map();
      collections.set(name, c);
    }
    return c;
  };
  const clone = deepClone;

  /**
   * Applies written fields as Firestore does: 'replace' (set), 'merge' (set with merge:
   * nested maps merge), 'update' (a map value replaces that field; dotted keys reach inside).
   */
  const apply = (target: DocData, data: DocData, mode: 'replace' | 'merge' | 'update'): DocData => {
    const out: DocData = mode === 'replace' ? {} : clone(target);
    for (const [key, value] of Object.entries(data)) {
      if (value === undefined) continue;
      // Only update() reads dotted keys as paths; set() takes them as literal field names.
      const path = mode === 'update' ? key.split('.') : [key];
      let node = out;
      for (const p of path.slice(0, -1)) {
        if (typeof node[p] !== 'object' || node[p] === null) node[p] = {};
        node = node[p] as DocData;
      }
      const leaf = path[path.length - 1]!;
      if (isFieldOp(value)) {
        switch (value.op) {
          case 'serverTime':
            node[leaf] = now();
            break;
          case 'increment':
            node[leaf] = (typeof node[leaf] === 'number' ? (node[leaf] as number) : 0) + value.by;
            break;
          case 'arrayUnion': {
            const union = Array.isArray(node[leaf]) ? [...(node[leaf] as unknown[])] : [];
            for (const v of value.values) if (!union.some((e) => compare(e, v) === 0)) union.push(v);
            node[leaf] = union;
            break;
          }
          case 'delete':
            delete node[leaf];
            break;
        }
      } else if (mode === 'merge' && typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && path.length === 1) {
        node[leaf] = apply((node[leaf] as DocData | undefined) ?? {}, value as DocData, 'merge');
      } else {
        node[leaf] = clone(value);
      }
    }
    return out;
  };

  const matches = (data: DocData, [field, op, value]: [string, WhereOp, unknown]): boolean => {
    const v = fieldAt(data, field);
    const cmp = compare(v, value);
    switch (op) {
      case '==':
        return cmp === 0;
      case '!=':
        return v !== undefined && cmp !== 0;
      case '<':
        return v !== undefined && cmp < 0;
      case '<=':
        return v !== undefined && cmp <= 0;
      case '>':
        return v !== undefined && cmp > 0;
      case '>=':
        return v !== undefined && cmp >= 0;
      case 'in':
        return Array.isArray(value) && value.some((x) => compare(v, x) === 0);
      case 'array-contains':
        return Array.isArray(v) && v.some((x) => compare(x, value) === 0);
    }
  };

  const run = (name: string, q: Query = {}): StoredDoc[] => {
    let docs = [...col(name).entries()].map(([id, data]) => ({ id, data: clone(data) }));
    for (const w of q.where ?? []) docs = docs.filter((d) => matches(d.data, w));
    const order = q.orderBy ?? [];
    // Firestore leaves out documents without an ordered field, and breaks ties by document
    // id in the direction of the last ordering.
    docs = docs.filter((d) => order.every(([f]) => fieldAt(d.data, f) !== undefined));
    const lastDir = order.length > 0 ? order[order.length - 1]![1] : 'asc';
    docs.sort((a, b) => {
      for (const [f, dir] of order) {
        const c = compare(fieldAt(a.data, f), fieldAt(b.data, f));
        if (c !== 0) return dir === 'asc' ? c : -c;
      }
      const byId = a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
      return lastDir === 'asc' ? byId : -byId;
    });
    return q.limit !== undefined ? docs.slice(0, q.limit) : docs;
  };

  // Every write gives the document a new version, as Firestore's update time does.
  const versions = new Map<string, number>();
  let clockTick = 0;
  const bump = (c: string, id: string) => versions.set(`${c}/${id}`, ++clockTick);

  return {
    async get(c, id) {
      const d = col(c).get(id);
      return d ? clone(d) : undefined;
    },
    async getAll(c, ids) {
      return ids.map((id) => {
        const d = col(c).get(id);
        return d ? clone(d) : undefined;
      });
    },
    async create(c, id, data) {
      if (col(c).has(id)) throw new DocAlreadyExistsError(`${c}/${id}`);
      col(c).set(id, apply({}, data, 'replace'));
      bump(c, id);
    },
    async set(c, id, data, options) {
      col(c).set(id, apply(col(c).get(id) ?? {}, data, options?.merge ? 'merge' : 'replace'));
      bump(c, id);
    },
    async update(c, id, data, options) {
      const existing = col(c).get(id);
      if (!existing) throw new DocNotFoundError(`${c}/${id}`);
      if (options?.ifVersion !== undefined && options.ifVersion !== String(versions.get(`${c}/${id}`))) throw new DocVersionMismatchError(`${c}/${id}`);
      col(c).set(id, apply(existing, data, 'update'));
      bump(c, id);
    },
    async getVersioned(c, id) {
      const d = col(c).get(id);
      return d ? { data: clone(d), version: String(versions.get(`${c}/${id}`)) } : undefined;
    },
    async delete(c, id) {
      col(c).delete(id);
      versions.delete(`${c}/${id}`);
    },
    async query(c, q) {
      return run(c, q);
    },
    async count(c, q) {
      return run(c, q ?? {}).length;
    },
    dump(c) {
      return Object.fromEntries([...col(c).entries()].map(([id, d]) => [id, clone(d)]));
    },
  };
}

function fieldAt(data: DocData, path: string): unknown {
  return path.split('.').reduce<unknown>((acc, k) => (acc !== null && typeof acc === 'object' ? (acc as DocData)[k] : undefined), data);
}

function compare(a: unknown, b: unknown): number {
  const norm = (v: unknown) => (v instanceof Date ? v.getTime() : v);
  const x = norm(a);
  const y = norm(b);
  if (x === y) return 0;
  if (x === undefined || x === null) return -1;
  if (y === undefined || y === null) return 1;
  if (typeof x === 'number' && typeof y === 'number') return x - y;
  if (typeof x === 'string' && typeof y === 'string') return x < y ? -1 : 1;
  if (typeof x === 'boolean' && typeof y === 'boolean') return x === y ? 0 : x ? 1 : -1;
  return JSON.stringify(x) < JSON.stringify(y) ? -1 : JSON.stringify(x) > JSON.stringify(y) ? 1 : 0;
}

/** structuredClone, but Dates stay Dates of this realm (jest runs tests in a separate VM context). */
function deepClone<T>(v: T): T {
  if (v instanceof Date) return new Date(v.getTime()) as T;
  if (Array.isArray(v)) return v.map(deepClone) as T;
  if (v !== null && typeof v === 'object') {
    if (Buffer.isBuffer(v)) return Buffer.from(v) as T;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = deepClone(x);
    return out as T;
  }
  return v;
}
