import { deleteField, getField, parseFieldPath, projectFields, setField } from '../../local/firestore/field-paths';
import type { Fields, Value } from '../../local/firestore/wire';

const int = (i: number): Value => ({ valueType: 'integerValue', integerValue: String(i) });
const map = (fields: Fields): Value => ({ valueType: 'mapValue', mapValue: { fields } });

describe('parseFieldPath', () => {
  test.each<[string, string[]]>([
    ['a', ['a']],
    ['a.b.c', ['a', 'b', 'c']],
    ['`a.b`.c', ['a.b', 'c']],
    ['`with \\` tick`', ['with ` tick']],
    ['`back\\\\slash`.x', ['back\\slash', 'x']],
    ['__name__', ['__name__']],
  ])('%s', (text, segments) => {
    expect(parseFieldPath(text)).toEqual(segments);
  });
  test.each(['', 'a..b', '.a', 'a.', '`open', '`a`b', 'a`b'])('refuses %j', (text) => {
    expect(() => parseFieldPath(text)).toThrow(/field path/i);
  });
});

describe('nested fields', () => {
  test('setField and deleteField copy the maps they change and leave the originals alone', () => {
    const inner: Fields = { x: int(1) };
    const original: Fields = { m: map(inner), k: int(0) };
    const copy: Fields = { ...original };
    setField(copy, ['m', 'y'], int(2));
    deleteField(copy, ['m', 'x']);
    expect(getField(copy, ['m', 'y'])).toEqual(int(2));
    expect(getField(copy, ['m', 'x'])).toBeUndefined();
    expect(inner).toEqual({ x: int(1) });
    expect(original['m']).toEqual(map({ x: int(1) }));
  });

  test('setting through a non-map replaces it with a map; deleting an absent path changes nothing', () => {
    const fields: Fields = { s: int(1) };
    setField(fields, ['s', 't', 'u'], int(2));
    expect(fields).toEqual({ s: map({ t: map({ u: int(2) }) }) });
    const before = { ...fields };
    deleteField(fields, ['nope', 'deeper']);
    expect(fields).toEqual(before);
  });

  test('projectFields keeps the named paths, nested as in the document', () => {
    const fields: Fields = { a: int(1), b: int(2), m: map({ p: int(3), q: int(4) }) };
    expect(projectFields(fields, [['a'], ['m', 'q'], ['missing']])).toEqual({ a: int(1), m: map({ q: int(4) }) });
  });
});
