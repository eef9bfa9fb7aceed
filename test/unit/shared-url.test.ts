import { functionPublicUrl, withoutTrailingSlash } from '../../shared/http/url';

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

describe('functionPublicUrl', () => {
  it("is the function's own URL when set, else PUBLIC_BASE_URL and the function's path, else undefined", () => {
    expect(functionPublicUrl('https://crm.example.test/x', 'https://base.example.test/', 'crm')).toBe('https://crm.example.test/x');
    expect(functionPublicUrl(undefined, 'https://base.example.test/', 'crm')).toBe('https://base.example.test/crm');
    expect(functionPublicUrl(undefined, 'https://base.example.test', 'call-log')).toBe('https://base.example.test/call-log');
    expect(functionPublicUrl(undefined, undefined, 'crm')).toBeUndefined();
  });
});
