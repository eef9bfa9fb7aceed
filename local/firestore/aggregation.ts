/**
 * Aggregations over a query's results (count with up_to, sum, avg), with the rules of
 * StructuredAggregationQuery: non-numeric values are skipped, a sum of integers stays an
 * integer unless it overflows int64, avg is always a double (null when nothing is numeric),
 * NaN anywhere makes sum and avg NaN.
 */
import type { StoredDocument } from './database';
import { invalidArgument } from './errors';
import { getField, parseFieldPath } from './field-paths';
import { doubleValue, integerValue, isNumber, NULL_VALUE } from './values';
import type { Fields, Value, WireAggregation } from './wire';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const MAX_AGGREGATIONS = 5;

export interface Aggregation {
  readonly alias: string;
  /** Documents the result needs at most (count up_to); undefined = all. */
  readonly upTo: number | undefined;
  readonly compute: (docs: readonly StoredDocument[]) => Value;
}

function sum(docs: readonly StoredDocument[], path: readonly string[]): Value {
  let integer = 0n;
  let double = 0;
  let sawDouble = false;
  for (const doc of docs) {
    const v = getField(doc.fields, path);
    if (v === undefined || !isNumber(v)) continue;
    if (v.valueType === 'integerValue') integer += BigInt(v.integerValue);
    else {
      sawDouble = true;
      double += v.doubleValue;
    }
  }
  if (!sawDouble && integer <= INT64_MAX && integer >= INT64_MIN) return integerValue(integer);
  return doubleValue(double + Number(integer));
}

function average(docs: readonly StoredDocument[], path: readonly string[]): Value {
  let total = 0;
  let count = 0;
  for (const doc of docs) {
    const v = getField(doc.fields, path);
    if (v === undefined || !isNumber(v)) continue;
    total += v.valueType === 'integerValue' ? Number(v.integerValue) : v.doubleValue;
    count++;
  }
  return count === 0 ? NULL_VALUE : doubleValue(total / count);
}

export function compileAggregations(list: readonly WireAggregation[]): Aggregation[] {
  if (list.length === 0) throw invalidArgument('An aggregation query needs at least one aggregation.');
  if (list.length > MAX_AGGREGATIONS) throw invalidArgument(`An aggregation query may have at most ${MAX_AGGREGATIONS} aggregations, got ${list.length}.`);
  const aliases = new Set<string>();
  return list.map((a, i) => {
    const alias = a.alias === '' ? `field_${i + 1}` : a.alias;
    if (aliases.has(alias)) throw invalidArgument(`Duplicate aggregation alias "${alias}".`);
    aliases.add(alias);
    switch (a.operator) {
      case 'count': {
        const raw = a.count?.upTo?.value;
        const upTo = raw === undefined ? undefined : Number(raw);
        if (upTo !== undefined && !(upTo > 0)) throw invalidArgument(`count up_to must be greater than zero, got ${String(raw)}.`);
        return { alias, upTo, compute: (docs) => integerValue(BigInt(upTo === undefined ? docs.length : Math.min(docs.length, upTo))) };
      }
      case 'sum':
      case 'avg': {
        const fieldPath = a[a.operator]?.field?.fieldPath ?? '';
        if (fieldPath === '') throw invalidArgument(`The ${a.operator} aggregation "${alias}" names no field.`);
        const path = parseFieldPath(fieldPath);
        const compute = a.operator === 'sum' ? (docs: readonly StoredDocument[]) => sum(docs, path) : (docs: readonly StoredDocument[]) => average(docs, path);
        return { alias, upTo: undefined, compute };
      }
      default:
        throw invalidArgument(`Aggregation "${alias}" names no operator (count, sum or avg).`);
    }
  });
}

export function aggregate(aggregations: readonly Aggregation[], docs: readonly StoredDocument[]): Fields {
  const out: Fields = {};
  for (const a of aggregations) out[a.alias] = a.compute(docs);
  return out;
}
