/**
 * Firestore values: checking what a client sends, Firestore's cross-type ordering, the
 * equivalences queries and array transforms use, and plain JS forms for introspection.
 */
import { invalidArgument } from './errors';
import { compareSegment, compareUtf8 } from './names';
import { checkTimestamp, compareTimestamps, timestampIso } from './time';
import type { Fields, Value, WireValue } from './wire';

const MAX_DEPTH = 20;

const STORABLE = new Set([
  'nullValue',
  'booleanValue',
  'integerValue',
  'doubleValue',
  'timestampValue',
  'stringValue',
  'bytesValue',
  'referenceValue',
  'geoPointValue',
  'arrayValue',
  'mapValue',
]);

export const NULL_VALUE: Value = { valueType: 'nullValue', nullValue: 'NULL_VALUE' };

/**
 * Checks a decoded value (recursively) and returns it typed. No copy: the decoded objects
 * become the stored ones. `where` names the field for error messages.
 */
export function checkValue(value: WireValue | null | undefined, where: string, depth = 1, inArray = false): Value {
  if (value === null || value === undefined || value.valueType === undefined) {
    throw invalidArgument(`Value for ${where} is not set (a Value needs exactly one of its value_type members).`);
  }
  if (!STORABLE.has(value.valueType)) {
    throw invalidArgument(`Value for ${where} is a ${value.valueType}, which only pipelines accept.`);
  }
  if (depth > MAX_DEPTH) throw invalidArgument(`Value for ${where} is nested more than ${MAX_DEPTH} levels deep.`);
  const checked = value as Value;
  switch (checked.valueType) {
    case 'timestampValue':
      checkTimestamp(checked.timestampValue, where);
      break;
    case 'geoPointValue': {
      const { latitude, longitude } = checked.geoPointValue;
      if (!(latitude >= -90 && latitude <= 90) || !(longitude >= -180 && longitude <= 180)) {
        throw invalidArgument(`GeoPoint for ${where} is out of range: latitude must be in [-90, 90], longitude in [-180, 180].`);
      }
      break;
    }
    case 'referenceValue':
      if (!/^projects\/[^/]+\/databases\/[^/]+\/documents\/[^/]+\/[^/]+(\/[^/]+\/[^/]+)*$/.test(checked.referenceValue)) {
        throw invalidArgument(`Reference for ${where} is not a document name: "${checked.referenceValue}".`);
      }
      break;
    case 'arrayValue':
      if (inArray) throw invalidArgument(`Cannot have nested arrays (at ${where}).`);
      checked.arrayValue.values.forEach((v, i) => {
        checkValue(v as WireValue, `${where}[${i}]`, depth + 1, true);
      });
      break;
    case 'mapValue':
      checkFields(checked.mapValue.fields as Record<string, WireValue>, where, depth + 1);
      break;
    default:
      break;
  }
  return checked;
}

export function checkFields(fields: Record<string, WireValue>, where: string, depth = 1): Fields {
  for (const key in fields) {
    if (key === '') throw invalidArgument(`Field names must not be empty (in ${where}).`);
    checkValue(fields[key], where === '' ? key : `${where}.${key}`, depth);
  }
  return fields as Fields;
}

const TYPE_ORDER: Record<Value['valueType'], number> = {
  nullValue: 0,
  booleanValue: 1,
  integerValue: 2,
  doubleValue: 2,
  timestampValue: 3,
  stringValue: 4,
  bytesValue: 5,
  referenceValue: 6,
  geoPointValue: 7,
  arrayValue: 8,
  mapValue: 10,
};
const VECTOR_ORDER = 9;

export function isVector(v: Value): v is Extract<Value, { valueType: 'mapValue' }> {
  if (v.valueType !== 'mapValue') return false;
  const type = v.mapValue.fields['__type__'];
  return type !== undefined && type.valueType === 'stringValue' && type.stringValue === '__vector__';
}

/** Firestore's type order: null < bool < numbers (NaN first) < timestamp < string < bytes < reference < geopoint < array < vector < map. */
export function typeOrder(v: Value): number {
  return v.valueType === 'mapValue' && isVector(v) ? VECTOR_ORDER : TYPE_ORDER[v.valueType];
}

export function isNumber(v: Value): v is Extract<Value, { valueType: 'integerValue' | 'doubleValue' }> {
  return v.valueType === 'integerValue' || v.valueType === 'doubleValue';
}

export function isNaNValue(v: Value): boolean {
  return v.valueType === 'doubleValue' && Number.isNaN(v.doubleValue);
}

function compareIntegers(a: string, b: string): number {
  if (a.length <= 15 && b.length <= 15) {
    const x = Number(a);
    const y = Number(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareIntegerDouble(i: string, d: number): number {
  if (Number.isNaN(d)) return 1;
  if (d === Number.POSITIVE_INFINITY) return -1;
  if (d === Number.NEGATIVE_INFINITY) return 1;
  const whole = Math.trunc(d);
  const x = BigInt(i);
  const y = BigInt(whole);
  if (x !== y) return x < y ? -1 : 1;
  const fraction = d - whole;
  return fraction > 0 ? -1 : fraction < 0 ? 1 : 0;
}

function compareDoubles(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  if (a === b) return 0;
  // At least one NaN: NaN equals NaN and sorts before every other number.
  const an = Number.isNaN(a);
  const bn = Number.isNaN(b);
  return an && bn ? 0 : an ? -1 : 1;
}

function compareNumbers(
  a: Extract<Value, { valueType: 'integerValue' | 'doubleValue' }>,
  b: Extract<Value, { valueType: 'integerValue' | 'doubleValue' }>,
): number {
  if (a.valueType === 'integerValue') {
    return b.valueType === 'integerValue' ? compareIntegers(a.integerValue, b.integerValue) : compareIntegerDouble(a.integerValue, b.doubleValue);
  }
  return b.valueType === 'doubleValue' ? compareDoubles(a.doubleValue, b.doubleValue) : -compareIntegerDouble(b.integerValue, a.doubleValue);
}

const referenceSegments = new Map<string, string[]>();

/** "projects/p/databases/d/documents/a/b" → ["projects/p/databases/d", "a", "b"] (cached: references repeat). */
export function splitReference(name: string): string[] {
  let segments = referenceSegments.get(name);
  if (segments === undefined) {
    const at = name.indexOf('/documents');
    segments = [name.slice(0, at), ...name.slice(at + '/documents/'.length).split('/')];
    if (referenceSegments.size > 100_000) referenceSegments.clear();
    referenceSegments.set(name, segments);
  }
  return segments;
}

export function compareReferences(a: string, b: string): number {
  if (a === b) return 0;
  const x = splitReference(a);
  const y = splitReference(b);
  const db = compareUtf8(x[0]!, y[0]!);
  if (db !== 0) return db;
  const n = Math.min(x.length, y.length);
  for (let i = 1; i < n; i++) {
    const c = compareSegment(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
}

function compareArrays(a: Value[], b: Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compareValues(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function compareMaps(a: Fields, b: Fields): number {
  const ka = Object.keys(a).sort(compareUtf8);
  const kb = Object.keys(b).sort(compareUtf8);
  const n = Math.min(ka.length, kb.length);
  for (let i = 0; i < n; i++) {
    const c = compareUtf8(ka[i]!, kb[i]!);
    if (c !== 0) return c;
    const v = compareValues(a[ka[i]!]!, b[kb[i]!]!);
    if (v !== 0) return v;
  }
  return ka.length < kb.length ? -1 : ka.length > kb.length ? 1 : 0;
}

function vectorElements(v: Extract<Value, { valueType: 'mapValue' }>): Value[] {
  const inner = v.mapValue.fields['value'];
  return inner !== undefined && inner.valueType === 'arrayValue' ? inner.arrayValue.values : [];
}

/** Firestore's total order over values (numbers compare across integer/double; 0 means equivalent). */
export function compareValues(a: Value, b: Value): number {
  const ta = typeOrder(a);
  const tb = typeOrder(b);
  if (ta !== tb) return ta < tb ? -1 : 1;
  switch (a.valueType) {
    case 'nullValue':
      return 0;
    case 'booleanValue':
      return a.booleanValue === (b as typeof a).booleanValue ? 0 : a.booleanValue ? 1 : -1;
    case 'integerValue':
    case 'doubleValue':
      return compareNumbers(a, b as typeof a);
    case 'timestampValue':
      return compareTimestamps(a.timestampValue, (b as typeof a).timestampValue);
    case 'stringValue':
      return compareUtf8(a.stringValue, (b as typeof a).stringValue);
    case 'bytesValue':
      return Buffer.compare(a.bytesValue, (b as typeof a).bytesValue);
    case 'referenceValue':
      return compareReferences(a.referenceValue, (b as typeof a).referenceValue);
    case 'geoPointValue': {
      const x = a.geoPointValue;
      const y = (b as typeof a).geoPointValue;
      return compareDoubles(x.latitude, y.latitude) || compareDoubles(x.longitude, y.longitude);
    }
    case 'arrayValue':
      return compareArrays(a.arrayValue.values, (b as typeof a).arrayValue.values);
    case 'mapValue': {
      const other = b as typeof a;
      if (ta === VECTOR_ORDER) {
        const x = vectorElements(a);
        const y = vectorElements(other);
        return x.length !== y.length ? (x.length < y.length ? -1 : 1) : compareArrays(x, y);
      }
      return compareMaps(a.mapValue.fields, other.mapValue.fields);
    }
  }
}

/** Equivalence as queries and array transforms use it: 3 equals 3.0, NaN equals NaN, null equals null. */
export function equivalent(a: Value, b: Value): boolean {
  // Same-type scalars (what equality filters mostly meet) without the full comparison;
  // decoded int64 strings are canonical, so equal integers are equal strings.
  if (a.valueType === b.valueType) {
    switch (a.valueType) {
      case 'stringValue':
        return a.stringValue === (b as typeof a).stringValue;
      case 'integerValue':
        return a.integerValue === (b as typeof a).integerValue;
      case 'booleanValue':
        return a.booleanValue === (b as typeof a).booleanValue;
      case 'nullValue':
        return true;
      default:
        break;
    }
  }
  return compareValues(a, b) === 0;
}

/** Exact equality, types included (3 and 3.0 differ): whether a write changes a document. */
export function identical(a: Value, b: Value): boolean {
  if (a.valueType !== b.valueType) return false;
  switch (a.valueType) {
    case 'nullValue':
      return true;
    case 'booleanValue':
      return a.booleanValue === (b as typeof a).booleanValue;
    case 'integerValue':
      return BigInt(a.integerValue) === BigInt((b as typeof a).integerValue);
    case 'doubleValue':
      return Object.is(a.doubleValue, (b as typeof a).doubleValue);
    case 'timestampValue':
      return compareTimestamps(a.timestampValue, (b as typeof a).timestampValue) === 0;
    case 'stringValue':
      return a.stringValue === (b as typeof a).stringValue;
    case 'bytesValue':
      return a.bytesValue.equals((b as typeof a).bytesValue);
    case 'referenceValue':
      return a.referenceValue === (b as typeof a).referenceValue;
    case 'geoPointValue': {
      const y = (b as typeof a).geoPointValue;
      return Object.is(a.geoPointValue.latitude, y.latitude) && Object.is(a.geoPointValue.longitude, y.longitude);
    }
    case 'arrayValue': {
      const x = a.arrayValue.values;
      const y = (b as typeof a).arrayValue.values;
      return x.length === y.length && x.every((v, i) => identical(v, y[i]!));
    }
    case 'mapValue':
      return identicalFields(a.mapValue.fields, (b as typeof a).mapValue.fields);
  }
}

export function identicalFields(a: Fields, b: Fields): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    const y = b[k];
    if (y === undefined || !identical(a[k]!, y)) return false;
  }
  return true;
}

/** Plain JS form: numbers, strings, booleans, null, arrays, objects; timestamps as ISO strings, bytes as base64. */
export function plainValue(v: Value): unknown {
  switch (v.valueType) {
    case 'nullValue':
      return null;
    case 'booleanValue':
      return v.booleanValue;
    case 'integerValue':
      return Number(v.integerValue);
    case 'doubleValue':
      return v.doubleValue;
    case 'timestampValue':
      return timestampIso(v.timestampValue);
    case 'stringValue':
      return v.stringValue;
    case 'bytesValue':
      return Buffer.from(v.bytesValue).toString('base64');
    case 'referenceValue':
      return v.referenceValue;
    case 'geoPointValue':
      return { latitude: v.geoPointValue.latitude, longitude: v.geoPointValue.longitude };
    case 'arrayValue':
      return v.arrayValue.values.map(plainValue);
    case 'mapValue':
      return plainFields(v.mapValue.fields);
  }
}

export function plainFields(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key in fields) out[key] = plainValue(fields[key]!);
  return out;
}

export function integerValue(n: bigint): Value {
  return { valueType: 'integerValue', integerValue: n.toString() };
}

export function doubleValue(n: number): Value {
  return { valueType: 'doubleValue', doubleValue: n };
}

export function numberOf(v: Extract<Value, { valueType: 'integerValue' | 'doubleValue' }>): number {
  return v.valueType === 'integerValue' ? Number(v.integerValue) : v.doubleValue;
}
