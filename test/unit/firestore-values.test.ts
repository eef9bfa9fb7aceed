import { compareSegment, compareUtf8, comparePaths } from '../../local/firestore/names';
import { compareValues, equivalent, identical, plainValue } from '../../local/firestore/values';
import type { Value } from '../../local/firestore/wire';

const nul: Value = { valueType: 'nullValue', nullValue: 'NULL_VALUE' };
const bool = (b: boolean): Value => ({ valueType: 'booleanValue', booleanValue: b });
const int = (i: string | number): Value => ({ valueType: 'integerValue', integerValue: String(i) });
const dbl = (d: number): Value => ({ valueType: 'doubleValue', doubleValue: d });
const str = (s: string): Value => ({ valueType: 'stringValue', stringValue: s });
const ts = (seconds: number, nanos = 0): Value => ({ valueType: 'timestampValue', timestampValue: { seconds: String(seconds), nanos } });
const bytes = (...b: number[]): Value => ({ valueType: 'bytesValue', bytesValue: Buffer.from(b) });
const ref = (path: string): Value => ({ valueType: 'referenceValue', referenceValue: `projects/p/databases/(default)/documents/${path}` });
const geo = (latitude: number, longitude: number): Value => ({ valueType: 'geoPointValue', geoPointValue: { latitude, longitude } });
const arr = (...values: Value[]): Value => ({ valueType: 'arrayValue', arrayValue: { values } });
const map = (fields: Record<string, Value>): Value => ({ valueType: 'mapValue', mapValue: { fields } });
const vector = (...xs: number[]): Value => map({ __type__: str('__vector__'), value: arr(...xs.map(dbl)) });

describe('compareValues: Firestore type order and order within types', () => {
  // Each entry strictly greater than the one before.
  const ascending: Array<[string, Value]> = [
    ['null', nul],
    ['false', bool(false)],
    ['true', bool(true)],
    ['NaN', dbl(Number.NaN)],
    ['-Infinity', dbl(Number.NEGATIVE_INFINITY)],
    ['int64 min', int('-9223372036854775808')],
    ['-1.5', dbl(-1.5)],
    ['-1', int(-1)],
    ['0', int(0)],
    ['0.5', dbl(0.5)],
    ['9007199254740993 (beyond double precision)', int('9007199254740993')],
    ['int64 max', int('9223372036854775807')],
    ['+Infinity', dbl(Number.POSITIVE_INFINITY)],
    ['epoch', ts(0)],
    ['epoch + 1ns', ts(0, 1)],
    ['""', str('')],
    ['"a"', str('a')],
    ['"ab"', str('ab')],
    ['"b"', str('b')],
    ['"\\uFFFD"', str('\uFFFD')],
    ['"\\u{1F600}"', str('\u{1F600}')],
    ['bytes []', bytes()],
    ['bytes [0]', bytes(0)],
    ['bytes [255]', bytes(255)],
    ['ref a/__id5__', ref('a/__id5__')],
    ['ref a/__id10__', ref('a/__id10__')],
    ['ref a/1', ref('a/1')],
    ['ref a/1/b/2', ref('a/1/b/2')],
    ['ref a/2', ref('a/2')],
    ['geo (0, 1)', geo(0, 1)],
    ['geo (1, 0)', geo(1, 0)],
    ['[]', arr()],
    ['[1]', arr(int(1))],
    ['[1, 1]', arr(int(1), int(1))],
    ['[2]', arr(int(2))],
    ['vector [9, 9]', vector(9, 9)],
    ['vector [1, 2, 3]', vector(1, 2, 3)],
    ['{}', map({})],
    ['{a: 1}', map({ a: int(1) })],
    ['{a: 2}', map({ a: int(2) })],
    ['{b: 0}', map({ b: int(0) })],
  ];
  test.each(ascending.slice(1).map((entry, i) => [ascending[i]![0], entry[0], ascending[i]![1], entry[1]] as const))('%s < %s', (_a, _b, a, b) => {
    expect(compareValues(a, b)).toBeLessThan(0);
    expect(compareValues(b, a)).toBeGreaterThan(0);
  });

  test.each<[string, Value, Value]>([
    ['1 and 1.0', int(1), dbl(1)],
    ['0.0 and -0.0', dbl(0), dbl(-0)],
    ['NaN and NaN', dbl(Number.NaN), dbl(Number.NaN)],
    ['maps whatever their key order', map({ a: int(1), b: int(2) }), map({ b: dbl(2), a: int(1) })],
  ])('%s are equivalent', (_name, a, b) => {
    expect(compareValues(a, b)).toBe(0);
    expect(equivalent(a, b)).toBe(true);
  });

  test('identical tells integer from double, equivalent does not', () => {
    expect(identical(int(3), dbl(3))).toBe(false);
    expect(identical(map({ a: arr(int(1)) }), map({ a: arr(int(1)) }))).toBe(true);
    expect(identical(dbl(0), dbl(-0))).toBe(false);
  });
});

describe('names', () => {
  test('UTF-8 order differs from UTF-16 order for astral characters', () => {
    expect('\u{1F600}' < '\uFFFD').toBe(true); // UTF-16 code units
    expect(compareUtf8('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareUtf8('a', 'ab')).toBeLessThan(0);
  });

  test('numeric ids sort before string ids and numerically', () => {
    expect(compareSegment('__id-9223372036854775808__', '__id0__')).toBeLessThan(0);
    expect(compareSegment('__id99__', '__id100__')).toBeLessThan(0);
    expect(compareSegment('__id100__', '0')).toBeLessThan(0);
    expect(comparePaths(['a', 'x'], ['a', 'x', 'b', 'y'])).toBeLessThan(0);
    expect(comparePaths(['a\u0000', 'x'], ['a', 'z', 'b', 'y'])).toBeGreaterThan(0);
  });
});

test('plainValue: timestamps as ISO strings, bytes as base64, references as names', () => {
  expect(plainValue(map({ t: ts(1, 5_000_000), b: bytes(1, 2), r: ref('a/b'), g: geo(1, 2), n: int('12'), a: arr(nul, bool(true)) }))).toEqual({
    t: '1970-01-01T00:00:01.005Z',
    b: 'AQI=',
    r: 'projects/p/databases/(default)/documents/a/b',
    g: { latitude: 1, longitude: 2 },
    n: 12,
    a: [null, true],
  });
});
