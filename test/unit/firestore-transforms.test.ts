import { appendMissing, extremum, increment, removeAll } from '../../local/firestore/transforms';
import type { Value } from '../../local/firestore/wire';

const int = (i: string | number): Extract<Value, { valueType: 'integerValue' }> => ({ valueType: 'integerValue', integerValue: String(i) });
const dbl = (d: number): Extract<Value, { valueType: 'doubleValue' }> => ({ valueType: 'doubleValue', doubleValue: d });
const str = (s: string): Value => ({ valueType: 'stringValue', stringValue: s });
const nul: Value = { valueType: 'nullValue', nullValue: 'NULL_VALUE' };
const arr = (...values: Value[]): Value => ({ valueType: 'arrayValue', arrayValue: { values } });

describe('increment', () => {
  test.each<[string, Value | undefined, Extract<Value, { valueType: 'integerValue' | 'doubleValue' }>, Value]>([
    ['int + int stays an integer', int(2), int(3), int(5)],
    ['int + double becomes a double', int(2), dbl(0.5), dbl(2.5)],
    ['double + int is a double', dbl(2), int(1), dbl(3)],
    ['a missing field takes the operand', undefined, int(7), int(7)],
    ['a string field takes the operand', str('x'), dbl(1.5), dbl(1.5)],
    ['positive overflow saturates', int('9223372036854775800'), int(100), int('9223372036854775807')],
    ['negative overflow saturates', int('-9223372036854775800'), int(-100), int('-9223372036854775808')],
    ['large integers add exactly', int('9007199254740993'), int(2), int('9007199254740995')],
  ])('%s', (_name, current, by, expected) => {
    expect(increment(current, by)).toEqual(expected);
  });
});

describe('maximum / minimum', () => {
  test.each<[string, Value | undefined, Extract<Value, { valueType: 'integerValue' | 'doubleValue' }>, 1 | -1, Value]>([
    ['max keeps the larger, with its type', int(3), dbl(3.5), 1, dbl(3.5)],
    ['max of equivalent operands keeps the stored value', int(3), dbl(3), 1, int(3)],
    ['max of zeros keeps the stored zero', dbl(-0), int(0), 1, dbl(-0)],
    ['min keeps the smaller', dbl(2.5), int(2), -1, int(2)],
    ['NaN operand wins', int(1), dbl(Number.NaN), 1, dbl(Number.NaN)],
    ['stored NaN stays', dbl(Number.NaN), int(5), -1, dbl(Number.NaN)],
    ['a non-number takes the operand', str('x'), int(1), -1, int(1)],
    ['a missing field takes the operand', undefined, int(1), 1, int(1)],
  ])('%s', (_name, current, operand, sign, expected) => {
    expect(extremum(current, operand, sign)).toEqual(expected);
  });
});

describe('array transforms', () => {
  test('append skips equivalents (3 and 3.0, NaN and NaN, null and null) and duplicates in the operand', () => {
    expect(appendMissing(arr(int(3), dbl(Number.NaN), nul), [dbl(3), dbl(Number.NaN), nul, str('a'), str('a')])).toEqual(
      arr(int(3), dbl(Number.NaN), nul, str('a')),
    );
  });
  test('append on a non-array starts from an empty array', () => {
    expect(appendMissing(str('x'), [int(1)])).toEqual(arr(int(1)));
  });
  test('remove removes every equivalent occurrence', () => {
    expect(removeAll(arr(int(1), dbl(1), str('a'), int(1)), [int(1)])).toEqual(arr(str('a')));
    expect(removeAll(undefined, [int(1)])).toEqual(arr());
  });
});
