/**
 * Structured queries: checked and compiled once, then run by scanning the collections in
 * scope. Semantics follow google/firestore/v1/query.proto: filters (composite AND/OR, field
 * and unary, nested field paths, __name__), the implicit ordering (inequality fields after
 * the explicit orders, lexicographically, then __name__ in the last direction), documents
 * lacking an ordered field left out, cursors over a prefix of the ordering, offset, limit
 * and projection.
 */
import type { CollectionNode, Database, StoredDocument } from './database';
import { invalidArgument, unimplemented } from './errors';
import { DOCUMENT_ID, getField, parseFieldPath, projectFields } from './field-paths';
import { comparePaths, type ResourcePath } from './names';
import { checkValue, compareValues, equivalent, isNaNValue, splitReference, typeOrder } from './values';
import type { Fields, Value, WireCursor, WireFilter, WireStructuredQuery } from './wire';

type Predicate = (doc: StoredDocument) => boolean;

/** An ordering key: a field's value, or a document's path segments for __name__. */
type Key = Value | readonly string[];

interface Order {
  readonly fieldPath: string;
  /** undefined for __name__. */
  readonly path: readonly string[] | undefined;
  readonly descending: boolean;
}

interface Cursor {
  readonly keys: readonly Key[];
  readonly before: boolean;
}

export interface CompiledQuery {
  readonly database: string;
  readonly parentPath: string;
  /** "" with allDescendants: every collection (kindless). */
  readonly collectionId: string;
  readonly allDescendants: boolean;
  readonly filter: Predicate | undefined;
  readonly orders: readonly Order[];
  readonly startAt: Cursor | undefined;
  readonly endAt: Cursor | undefined;
  readonly offset: number;
  readonly limit: number | undefined;
  /** Field paths to return; [] = names only; undefined = every field. */
  readonly select: ReadonlyArray<readonly string[]> | undefined;
}

export interface QueryResult {
  readonly docs: StoredDocument[];
  readonly skipped: number;
}

const INEQUALITY = new Set(['LESS_THAN', 'LESS_THAN_OR_EQUAL', 'GREATER_THAN', 'GREATER_THAN_OR_EQUAL', 'NOT_EQUAL', 'NOT_IN']);
const MAX_DISJUNCTION_VALUES = 30;
const MAX_NOT_IN_VALUES = 10;

function compareKeys(a: Key, b: Key): number {
  if (Array.isArray(a)) return comparePaths(a as readonly string[], b as readonly string[]);
  return compareValues(a as Value, b as Value);
}

/** A __name__ operand: a reference in this database, as path segments. */
function nameOperand(value: Value, database: string, where: string): readonly string[] {
  if (value.valueType !== 'referenceValue') {
    throw invalidArgument(`${where}: a __name__ value must be a document reference, got a ${value.valueType}.`);
  }
  const [db, ...segments] = splitReference(value.referenceValue);
  if (db !== database) throw invalidArgument(`${where}: reference "${value.referenceValue}" is not in database ${database}.`);
  return segments;
}

function arrayOperand(value: Value, op: string, fieldPath: string): Value[] {
  if (value.valueType !== 'arrayValue' || value.arrayValue.values.length === 0) {
    throw invalidArgument(`A ${op} filter on ${fieldPath} needs a non-empty array value.`);
  }
  const max = op === 'NOT_IN' ? MAX_NOT_IN_VALUES : MAX_DISJUNCTION_VALUES;
  if (value.arrayValue.values.length > max) {
    throw invalidArgument(`A ${op} filter on ${fieldPath} supports at most ${max} values, got ${value.arrayValue.values.length}.`);
  }
  return value.arrayValue.values;
}

interface FilterFacts {
  inequalityFields: Map<string, readonly string[] | undefined>;
  ops: Set<string>;
  hasOr: boolean;
}

function compileNameFilter(op: string, value: Value, database: string): Predicate {
  const where = `Filter on __name__ (${op})`;
  switch (op) {
    case 'EQUAL': {
      const target = nameOperand(value, database, where);
      return (doc) => comparePaths(doc.segments, target) === 0;
    }
    case 'NOT_EQUAL': {
      const target = nameOperand(value, database, where);
      return (doc) => comparePaths(doc.segments, target) !== 0;
    }
    case 'LESS_THAN':
    case 'LESS_THAN_OR_EQUAL':
    case 'GREATER_THAN':
    case 'GREATER_THAN_OR_EQUAL': {
      const target = nameOperand(value, database, where);
      const test = rangeTest(op);
      return (doc) => test(comparePaths(doc.segments, target));
    }
    case 'IN':
    case 'NOT_IN': {
      const targets = arrayOperand(value, op, DOCUMENT_ID).map((v) => nameOperand(v, database, where));
      const found = (doc: StoredDocument) => targets.some((t) => comparePaths(doc.segments, t) === 0);
      return op === 'IN' ? found : (doc) => !found(doc);
    }
    default:
      throw invalidArgument(`${where}: operator ${op} does not apply to __name__.`);
  }
}

function rangeTest(op: string): (c: number) => boolean {
  switch (op) {
    case 'LESS_THAN':
      return (c) => c < 0;
    case 'LESS_THAN_OR_EQUAL':
      return (c) => c <= 0;
    case 'GREATER_THAN':
      return (c) => c > 0;
    default:
      return (c) => c >= 0;
  }
}

function compileFieldFilter(f: NonNullable<WireFilter['fieldFilter']>, database: string, facts: FilterFacts): Predicate {
  const fieldPath = f.field?.fieldPath ?? '';
  if (fieldPath === '') throw invalidArgument('A field filter names no field.');
  const op = String(f.op);
  const value = checkValue(f.value, `the filter on ${fieldPath}`);
  const path = parseFieldPath(fieldPath);
  const isName = path.length === 1 && path[0] === DOCUMENT_ID;
  facts.ops.add(op);
  if (INEQUALITY.has(op)) facts.inequalityFields.set(fieldPath, isName ? undefined : path);
  if (isName) return compileNameFilter(op, value, database);
  const field = (doc: StoredDocument) => getField(doc.fields, path);
  switch (op) {
    case 'LESS_THAN':
    case 'LESS_THAN_OR_EQUAL':
    case 'GREATER_THAN':
    case 'GREATER_THAN_OR_EQUAL': {
      const test = rangeTest(op);
      const order = typeOrder(value);
      return (doc) => {
        const v = field(doc);
        return v !== undefined && typeOrder(v) === order && test(compareValues(v, value));
      };
    }
    case 'EQUAL':
      return (doc) => {
        const v = field(doc);
        return v !== undefined && equivalent(v, value);
      };
    case 'NOT_EQUAL':
      return (doc) => {
        const v = field(doc);
        return v !== undefined && !equivalent(v, value);
      };
    case 'ARRAY_CONTAINS':
      return (doc) => {
        const v = field(doc);
        return v !== undefined && v.valueType === 'arrayValue' && v.arrayValue.values.some((e) => equivalent(e, value));
      };
    case 'IN': {
      const list = arrayOperand(value, op, fieldPath);
      return (doc) => {
        const v = field(doc);
        return v !== undefined && list.some((e) => equivalent(v, e));
      };
    }
    case 'ARRAY_CONTAINS_ANY': {
      const list = arrayOperand(value, op, fieldPath);
      return (doc) => {
        const v = field(doc);
        return v !== undefined && v.valueType === 'arrayValue' && v.arrayValue.values.some((e) => list.some((x) => equivalent(e, x)));
      };
    }
    case 'NOT_IN': {
      const list = arrayOperand(value, op, fieldPath);
      // A null in the list matches nothing (null never compares as "not in").
      if (list.some((e) => e.valueType === 'nullValue')) return () => false;
      return (doc) => {
        const v = field(doc);
        return v !== undefined && !list.some((e) => equivalent(v, e));
      };
    }
    default:
      throw invalidArgument(`Unknown field filter operator ${op} on ${fieldPath}.`);
  }
}

function compileUnaryFilter(f: NonNullable<WireFilter['unaryFilter']>, facts: FilterFacts): Predicate {
  const fieldPath = f.field?.fieldPath ?? '';
  if (fieldPath === '') throw invalidArgument('A unary filter names no field.');
  const op = String(f.op);
  const path = parseFieldPath(fieldPath);
  if (path.length === 1 && path[0] === DOCUMENT_ID) throw invalidArgument(`Unary filter ${op} does not apply to __name__.`);
  facts.ops.add(op);
  const field = (doc: StoredDocument) => getField(doc.fields, path);
  switch (op) {
    case 'IS_NULL':
      return (doc) => field(doc)?.valueType === 'nullValue';
    case 'IS_NAN':
      return (doc) => {
        const v = field(doc);
        return v !== undefined && isNaNValue(v);
      };
    case 'IS_NOT_NULL':
      facts.inequalityFields.set(fieldPath, path);
      return (doc) => {
        const v = field(doc);
        return v !== undefined && v.valueType !== 'nullValue';
      };
    case 'IS_NOT_NAN':
      facts.inequalityFields.set(fieldPath, path);
      return (doc) => {
        const v = field(doc);
        return v !== undefined && !isNaNValue(v);
      };
    default:
      throw invalidArgument(`Unknown unary filter operator ${op} on ${fieldPath}.`);
  }
}

function compileFilter(f: WireFilter, database: string, facts: FilterFacts): Predicate {
  switch (f.filterType) {
    case 'compositeFilter': {
      const c = f.compositeFilter!;
      const op = String(c.op);
      if (op !== 'AND' && op !== 'OR') throw invalidArgument(`Unknown composite filter operator ${op}.`);
      if (c.filters.length === 0) throw invalidArgument(`A composite ${op} filter needs at least one filter.`);
      if (op === 'OR') facts.hasOr = true;
      const parts = c.filters.map((part) => compileFilter(part, database, facts));
      if (parts.length === 1) return parts[0]!;
      return op === 'AND' ? (doc) => parts.every((p) => p(doc)) : (doc) => parts.some((p) => p(doc));
    }
    case 'fieldFilter':
      return compileFieldFilter(f.fieldFilter!, database, facts);
    case 'unaryFilter':
      return compileUnaryFilter(f.unaryFilter!, facts);
    default:
      throw invalidArgument('A filter sets none of composite_filter, field_filter, unary_filter.');
  }
}

function compileCursor(c: WireCursor | null, orders: readonly Order[], database: string, which: string): Cursor | undefined {
  if (c === null) return undefined;
  if (c.values.length > orders.length) {
    throw invalidArgument(
      `The ${which} cursor has ${c.values.length} values but the query orders by only ${orders.length} fields (${orders.map((o) => o.fieldPath).join(', ')}).`,
    );
  }
  const keys = c.values.map((raw, i): Key => {
    const value = checkValue(raw, `the ${which} cursor`);
    return orders[i]!.path === undefined ? nameOperand(value, database, `The ${which} cursor`) : value;
  });
  return { keys, before: c.before };
}

export function compileQuery(parent: ResourcePath, q: WireStructuredQuery): CompiledQuery {
  if (q.from.length !== 1) throw invalidArgument(`A query must select exactly one collection (from), got ${q.from.length}.`);
  const { collectionId, allDescendants } = q.from[0]!;
  if (collectionId.includes('/')) throw invalidArgument(`Invalid collection id "${collectionId}": it contains "/".`);
  if (collectionId === '' && !allDescendants) throw invalidArgument('A query needs a collection id unless it selects all descendants.');
  if (q.findNearest !== null) throw unimplemented('Vector search (find_nearest) is not implemented by the Firestore stand-in.');
  if (q.offset < 0) throw invalidArgument(`Offset must be >= 0, got ${q.offset}.`);
  if (q.limit !== null && q.limit.value < 0) throw invalidArgument(`Limit must be >= 0, got ${q.limit.value}.`);

  const facts: FilterFacts = { inequalityFields: new Map(), ops: new Set(), hasOr: false };
  const filter = q.where === null ? undefined : compileFilter(q.where, parent.database, facts);
  if (facts.ops.has('NOT_IN') && (facts.hasOr || facts.ops.has('IN') || facts.ops.has('ARRAY_CONTAINS_ANY'))) {
    throw invalidArgument('A not-in filter cannot be combined with in, array-contains-any or OR filters in the same query.');
  }

  const orders: Order[] = [];
  const seen = new Set<string>();
  for (const o of q.orderBy) {
    const fieldPath = o.field?.fieldPath ?? '';
    if (fieldPath === '') throw invalidArgument('An order_by names no field.');
    const path = parseFieldPath(fieldPath);
    const key = path.join('\u0000');
    if (seen.has(key)) throw invalidArgument(`Order by ${fieldPath} appears more than once.`);
    seen.add(key);
    const direction = String(o.direction);
    orders.push({ fieldPath, path: path.length === 1 && path[0] === DOCUMENT_ID ? undefined : path, descending: direction === 'DESCENDING' });
  }
  const lastDescending = orders.length > 0 ? orders[orders.length - 1]!.descending : false;
  const hasName = orders.some((o) => o.path === undefined);
  const implicit = [...facts.inequalityFields.entries()]
    .filter(([, path]) => path !== undefined && !seen.has(path.join('\u0000')))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [fieldPath, path] of implicit) orders.push({ fieldPath, path, descending: lastDescending });
  if (!hasName) orders.push({ fieldPath: DOCUMENT_ID, path: undefined, descending: lastDescending });

  let select: Array<readonly string[]> | undefined;
  if (q.select !== null && q.select.fields.length > 0) {
    select = q.select.fields.map((f) => parseFieldPath(f.fieldPath)).filter((p) => !(p.length === 1 && p[0] === DOCUMENT_ID));
  }

  return {
    database: parent.database,
    parentPath: parent.path,
    collectionId,
    allDescendants,
    filter,
    orders,
    startAt: compileCursor(q.startAt, orders, parent.database, 'start'),
    endAt: compileCursor(q.endAt, orders, parent.database, 'end'),
    offset: q.offset,
    limit: q.limit === null ? undefined : q.limit.value,
    select,
  };
}

function scope(db: Database, q: CompiledQuery): CollectionNode[] {
  if (!q.allDescendants) {
    const node = db.collection(q.parentPath === '' ? q.collectionId : `${q.parentPath}/${q.collectionId}`);
    return node === undefined ? [] : [node];
  }
  return q.collectionId === '' ? db.allUnder(q.parentPath) : db.group(q.collectionId, q.parentPath);
}

interface Entry {
  readonly doc: StoredDocument;
  readonly keys: Key[];
}

/** Position of an entry against a cursor: <0 before it, 0 at it, >0 after it (in query order). */
function againstCursor(entry: Entry, cursor: Cursor, orders: readonly Order[]): number {
  for (let i = 0; i < cursor.keys.length; i++) {
    const c = compareKeys(entry.keys[i]!, cursor.keys[i]!);
    if (c !== 0) return orders[i]!.descending ? -c : c;
  }
  return 0;
}

/** The k first entries in order (a bounded max-heap: O(n log k)), sorted. */
function firstK(entries: Entry[], k: number, cmp: (a: Entry, b: Entry) => number): Entry[] {
  if (k >= entries.length) return entries.sort(cmp);
  if (k === 0) return [];
  const heap: Entry[] = [];
  const up = (i: number) => {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (cmp(heap[i]!, heap[p]!) <= 0) return;
      [heap[i], heap[p]] = [heap[p]!, heap[i]!];
      i = p;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && cmp(heap[l]!, heap[m]!) > 0) m = l;
      if (r < heap.length && cmp(heap[r]!, heap[m]!) > 0) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (const e of entries) {
    if (heap.length < k) {
      heap.push(e);
      up(heap.length - 1);
    } else if (cmp(e, heap[0]!) < 0) {
      heap[0] = e;
      down(0);
    }
  }
  return heap.sort(cmp);
}

export function runQuery(db: Database, q: CompiledQuery): QueryResult {
  const { orders, filter, startAt, endAt } = q;
  const entries: Entry[] = [];
  for (const node of scope(db, q)) {
    for (const doc of node.docs.values()) {
      if (filter !== undefined && !filter(doc)) continue;
      const keys: Key[] = [];
      let complete = true;
      for (const o of orders) {
        if (o.path === undefined) {
          keys.push(doc.segments);
          continue;
        }
        const v = getField(doc.fields, o.path);
        if (v === undefined) {
          complete = false;
          break;
        }
        keys.push(v);
      }
      if (!complete) continue;
      const entry = { doc, keys };
      if (startAt !== undefined) {
        const c = againstCursor(entry, startAt, orders);
        if (c < 0 || (c === 0 && !startAt.before)) continue;
      }
      if (endAt !== undefined) {
        const c = againstCursor(entry, endAt, orders);
        if (c > 0 || (c === 0 && endAt.before)) continue;
      }
      entries.push(entry);
    }
  }
  const cmp = (a: Entry, b: Entry): number => {
    for (let i = 0; i < orders.length; i++) {
      const c = compareKeys(a.keys[i]!, b.keys[i]!);
      if (c !== 0) return orders[i]!.descending ? -c : c;
    }
    return 0;
  };
  const wanted = q.limit === undefined ? entries.length : q.offset + q.limit;
  const ordered = firstK(entries, wanted, cmp);
  const skipped = Math.min(q.offset, ordered.length);
  return { docs: ordered.slice(skipped).map((e) => e.doc), skipped };
}

/** The fields a query answers for a document. */
export function selectFields(q: CompiledQuery, fields: Fields): Fields {
  return q.select === undefined ? fields : projectFields(fields, q.select);
}
