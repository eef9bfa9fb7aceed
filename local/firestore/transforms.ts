/**
 * Server-side field transforms (FieldValue.serverTimestamp, increment, maximum, minimum,
 * arrayUnion, arrayRemove) with the numeric rules of google/firestore/v1/write.proto.
 */
import { invalidArgument } from './errors';
import { getField, parseFieldPath, setField } from './field-paths';
import { toTimestamp } from './time';
import { checkValue, compareValues, doubleValue, equivalent, integerValue, isNaNValue, isNumber, NULL_VALUE, numberOf } from './values';
import type { Fields, Value, WireFieldTransform, WireValue } from './wire';

const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);

type NumberValue = Extract<Value, { valueType: 'integerValue' | 'doubleValue' }>;

/** A transform checked and parsed, ready to apply. */
export interface FieldTransform {
  readonly path: readonly string[];
  readonly fieldPath: string;
  readonly apply: (current: Value | undefined, commitTime: number) => { value: Value; result: Value };
}

function numericOperand(value: WireValue | undefined, kind: string, fieldPath: string): NumberValue {
  const checked = checkValue(value, `the ${kind} transform of ${fieldPath}`);
  if (!isNumber(checked)) throw invalidArgument(`The ${kind} transform of ${fieldPath} needs an integer or double operand, got a ${checked.valueType}.`);
  return checked;
}

export function increment(current: Value | undefined, by: NumberValue): Value {
  if (current === undefined || !isNumber(current)) return by;
  if (current.valueType === 'integerValue' && by.valueType === 'integerValue') {
    const sum = BigInt(current.integerValue) + BigInt(by.integerValue);
    return integerValue(sum > INT64_MAX ? INT64_MAX : sum < INT64_MIN ? INT64_MIN : sum);
  }
  return doubleValue(numberOf(current) + numberOf(by));
}

/** maximum (sign 1) / minimum (sign -1): mixed types take the winner's type; equivalent operands leave the field as it is; NaN wins. */
export function extremum(current: Value | undefined, operand: NumberValue, sign: 1 | -1): Value {
  if (current === undefined || !isNumber(current)) return operand;
  if (isNaNValue(current)) return current;
  if (isNaNValue(operand)) return operand;
  const c = compareValues(operand, current) * sign;
  return c > 0 ? operand : current;
}

function arrayOf(current: Value | undefined): Value[] {
  return current !== undefined && current.valueType === 'arrayValue' ? current.arrayValue.values : [];
}

export function appendMissing(current: Value | undefined, elements: Value[]): Value {
  const out = [...arrayOf(current)];
  for (const e of elements) if (!out.some((v) => equivalent(v, e))) out.push(e);
  return { valueType: 'arrayValue', arrayValue: { values: out } };
}

export function removeAll(current: Value | undefined, elements: Value[]): Value {
  const out = arrayOf(current).filter((v) => !elements.some((e) => equivalent(v, e)));
  return { valueType: 'arrayValue', arrayValue: { values: out } };
}

function arrayOperand(values: WireValue[] | undefined, kind: string, fieldPath: string): Value[] {
  return (values ?? []).map((v, i) => checkValue(v, `the ${kind} transform of ${fieldPath}[${i}]`, 2, true));
}

export function parseTransform(t: WireFieldTransform): FieldTransform {
  const fieldPath = t.fieldPath;
  const path = parseFieldPath(fieldPath);
  const make = (apply: FieldTransform['apply']): FieldTransform => ({ path, fieldPath, apply });
  switch (t.transformType) {
    case 'setToServerValue':
      if (t.setToServerValue !== 'REQUEST_TIME') throw invalidArgument(`Unsupported server value ${String(t.setToServerValue)} for ${fieldPath}.`);
      return make((_current, commitTime) => {
        const value: Value = { valueType: 'timestampValue', timestampValue: toTimestamp(commitTime) };
        return { value, result: value };
      });
    case 'increment': {
      const by = numericOperand(t.increment, 'increment', fieldPath);
      return make((current) => {
        const value = increment(current, by);
        return { value, result: value };
      });
    }
    case 'maximum':
    case 'minimum': {
      const operand = numericOperand(t[t.transformType], t.transformType, fieldPath);
      const sign = t.transformType === 'maximum' ? 1 : -1;
      return make((current) => {
        const value = extremum(current, operand, sign);
        return { value, result: value };
      });
    }
    case 'appendMissingElements': {
      const elements = arrayOperand(t.appendMissingElements?.values, 'arrayUnion', fieldPath);
      return make((current) => ({ value: appendMissing(current, elements), result: NULL_VALUE }));
    }
    case 'removeAllFromArray': {
      const elements = arrayOperand(t.removeAllFromArray?.values, 'arrayRemove', fieldPath);
      return make((current) => ({ value: removeAll(current, elements), result: NULL_VALUE }));
    }
    default:
      throw invalidArgument(`The transform of ${fieldPath} names no transform type.`);
  }
}

/** Applies transforms in order to `fields` (owned by the caller); returns one result per transform. */
export function applyTransforms(fields: Fields, transforms: readonly FieldTransform[], commitTime: number): Value[] {
  return transforms.map((t) => {
    const { value, result } = t.apply(getField(fields, t.path), commitTime);
    setField(fields, t.path, value);
    return result;
  });
}
