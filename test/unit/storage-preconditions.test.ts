import { GcsJsonError } from '../../local/storage/errors';
import { checkReadPreconditions, checkWritePreconditions, type Preconditions, parsePreconditions } from '../../local/storage/preconditions';

const live = { generation: '1000', metageneration: 2 };

function statusOf(check: () => void): number | 'ok' {
  try {
    check();
    return 'ok';
  } catch (error) {
    if (error instanceof GcsJsonError) return error.status;
    throw error;
  }
}

describe('checkWritePreconditions', () => {
  test.each<[string, typeof live | undefined, Preconditions, number | 'ok']>([
    ['ifGenerationMatch=0 on a new name', undefined, { ifGenerationMatch: '0' }, 'ok'],
    ['ifGenerationMatch=0 on an existing object', live, { ifGenerationMatch: '0' }, 412],
    ['ifGenerationMatch=live', live, { ifGenerationMatch: '1000' }, 'ok'],
    ['ifGenerationMatch=stale', live, { ifGenerationMatch: '999' }, 412],
    ['ifGenerationMatch=N on a missing object', undefined, { ifGenerationMatch: '1000' }, 412],
    ['ifGenerationNotMatch=live', live, { ifGenerationNotMatch: '1000' }, 412],
    ['ifGenerationNotMatch=other', live, { ifGenerationNotMatch: '1' }, 'ok'],
    ['ifGenerationNotMatch=0 needs a live object', undefined, { ifGenerationNotMatch: '0' }, 412],
    ['ifMetagenerationMatch=live', live, { ifMetagenerationMatch: '2' }, 'ok'],
    ['ifMetagenerationMatch=stale', live, { ifMetagenerationMatch: '1' }, 412],
    ['ifMetagenerationNotMatch=live', live, { ifMetagenerationNotMatch: '2' }, 412],
    ['no conditions', live, {}, 'ok'],
  ])('%s', (_label, existing, conditions, expected) => {
    expect(statusOf(() => checkWritePreconditions(existing, conditions))).toBe(expected);
  });
});

describe('checkReadPreconditions', () => {
  test.each<[Preconditions, number | 'ok']>([
    [{ ifGenerationMatch: '1000' }, 'ok'],
    [{ ifGenerationMatch: '1' }, 412],
    [{ ifGenerationNotMatch: '1000' }, 304],
    [{ ifMetagenerationNotMatch: '2' }, 304],
    [{ ifMetagenerationMatch: '3' }, 412],
  ])('%j → %s', (conditions, expected) => {
    expect(statusOf(() => checkReadPreconditions(live, conditions))).toBe(expected);
  });
});

describe('parsePreconditions', () => {
  test('reads the if… family, or the ifSource… family for copies', () => {
    const query = new URLSearchParams('ifGenerationMatch=0&ifSourceGenerationMatch=7&ifMetagenerationNotMatch=3');
    expect(parsePreconditions(query)).toEqual({ ifGenerationMatch: '0', ifMetagenerationNotMatch: '3' });
    expect(parsePreconditions(query, true)).toEqual({ ifGenerationMatch: '7' });
  });

  test('a non-numeric value is a 400', () => {
    expect(statusOf(() => parsePreconditions(new URLSearchParams('ifGenerationMatch=abc')))).toBe(400);
  });
});
