import { InvalidPageTokenError, type ListQuery, listObjects } from '../../local/storage/list-objects';

const NAMES = ['top', 'a/2', 'a/1', 'a/b/3', 'a/b/4', 'a/c/5', 'b/6', 'a/'];
const objects = NAMES.map((name) => ({ name }));

function names(query: ListQuery): { items: string[]; prefixes: string[]; next: boolean } {
  const page = listObjects(objects, query);
  return { items: page.items.map((o) => o.name), prefixes: page.prefixes, next: page.nextPageToken !== undefined };
}

describe('listObjects', () => {
  test.each<[string, ListQuery, { items: string[]; prefixes: string[]; next: boolean }]>([
    ['everything, in name order', {}, { items: ['a/', 'a/1', 'a/2', 'a/b/3', 'a/b/4', 'a/c/5', 'b/6', 'top'], prefixes: [], next: false }],
    ['a prefix', { prefix: 'a/b/' }, { items: ['a/b/3', 'a/b/4'], prefixes: [], next: false }],
    ['a delimiter at the top', { delimiter: '/' }, { items: ['top'], prefixes: ['a/', 'b/'], next: false }],
    ['prefix and delimiter', { prefix: 'a/', delimiter: '/' }, { items: ['a/', 'a/1', 'a/2'], prefixes: ['a/b/', 'a/c/'], next: false }],
    ['includeTrailingDelimiter', { delimiter: '/', includeTrailingDelimiter: true }, { items: ['a/', 'top'], prefixes: ['a/', 'b/'], next: false }],
    ['start and end offsets', { startOffset: 'a/2', endOffset: 'b/' }, { items: ['a/2', 'a/b/3', 'a/b/4', 'a/c/5'], prefixes: [], next: false }],
    ['a first page', { maxResults: 3 }, { items: ['a/', 'a/1', 'a/2'], prefixes: [], next: true }],
    ['a page filled exactly', { prefix: 'a/b/', maxResults: 2 }, { items: ['a/b/3', 'a/b/4'], prefixes: [], next: false }],
  ])('%s', (_label, query, expected) => {
    expect(names(query)).toEqual(expected);
  });

  test('following page tokens visits every entry once, prefixes included', () => {
    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const query: ListQuery = { delimiter: '/', maxResults: 1 };
      if (pageToken !== undefined) query.pageToken = pageToken;
      const page = listObjects(objects, query);
      seen.push(...page.prefixes, ...page.items.map((o) => o.name));
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(seen).toEqual(['a/', 'b/', 'top']);
  });

  test('orders by UTF-8 bytes, as GCS does', () => {
    const page = listObjects([{ name: '\u{1F600}' }, { name: '\uFF5E' }, { name: 'z' }], {});
    expect(page.items.map((o) => o.name)).toEqual(['z', '\uFF5E', '\u{1F600}']);
  });

  test('a malformed page token is a typed error', () => {
    expect(() => listObjects(objects, { pageToken: 'not-a-token' })).toThrow(InvalidPageTokenError);
  });
});
