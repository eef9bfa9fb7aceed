import { withoutTrailingSlash } from '../../shared/http/url';

describe('withoutTrailingSlash', () => {
  it.each([
    ['https://crm.example.test/', 'https://crm.example.test'],
    ['https://crm.example.test//', 'https://crm.example.test'],
    ['https://crm.example.test/api', 'https://crm.example.test/api'],
    ['/accounts/', '/accounts'],
    ['/', ''],
    ['', ''],
  ])('%j → %j', (input, output) => {
    expect(withoutTrailingSlash(input)).toBe(output);
  });
});
