/** The one constant-time comparison: equal means byte-equal, for strings and buffers, whatever the lengths. */
import { constantTimeEqual } from '../../shared/constant-time';

describe('constantTimeEqual', () => {
  it.each([
    ['equal strings', 'secret-value', 'secret-value', true],
    ['one character different', 'secret-value', 'secret-valuf', false],
    ['a prefix (unequal lengths do not throw)', 'secret', 'secret-value', false],
    ['empty against non-empty', '', 'x', false],
    ['both empty', '', '', true],
    ['equal buffers', Buffer.from('abc'), Buffer.from('abc'), true],
    ['a string and the same bytes as a buffer', 'abc', Buffer.from('abc'), true],
    ['buffers of different lengths', Buffer.from([1, 2]), Buffer.from([1, 2, 3]), false],
  ])('%s', (_what, a, b, expected) => {
    expect(constantTimeEqual(a, b)).toBe(expected);
  });
});
