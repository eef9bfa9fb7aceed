/**
 * The pieces of ccaip-sdk that decide what a token says: claim mapping (custom, nested and
 * namespaced claims; unverified or unusable values left out; the guest namespace closed to
 * real identifiers) and the sample page's wiring (the documented widget URL, no secret, values
 * that cannot break out of the script).
 */
import { renderDemoPage, widgetScriptUrl } from '../../functions/ccaip-sdk/demo';
import { endUserFromClaims } from '../../functions/ccaip-sdk/end-user';
import { AppError } from '../../shared/errors';

const mapping = { identifier: 'sub', name: 'name', email: 'email', phone: 'phone_number', phoneDefaultCountry: 'US' as const, guestPrefix: 'guest-' };

describe('claim mapping', () => {
  it('reads a namespaced custom claim whole and a dotted name as a nested claim', () => {
    const claims = { sub: 'auth0|123', 'https://example.com/uuid': 'c0ffee00-0000-4000-8000-000000000001', profile: { display: 'Ada' } };
    expect(endUserFromClaims(claims, { ...mapping, identifier: 'https://example.com/uuid', name: 'profile.display' })).toEqual({
      kind: 'user',
      identifier: 'c0ffee00-0000-4000-8000-000000000001',
      name: 'Ada',
    });
  });

  it('leaves out what is not usable: a non-string name, an invalid email, a phone that is not one, a field mapped to none', () => {
    const user = endUserFromClaims({ sub: 'u1', name: 42, email: 'not-an-email', phone_number: 'call me' }, mapping);
    expect(user).toEqual({ kind: 'user', identifier: 'u1' });
    expect(endUserFromClaims({ sub: 'u1', email: 'a@example.com' }, { ...mapping, email: undefined })).toEqual({ kind: 'user', identifier: 'u1' });
  });

  it('normalises a national phone claim to E.164 with the default country', () => {
    expect(endUserFromClaims({ sub: 'u1', phone_number: '020 7946 0958' }, { ...mapping, phoneDefaultCountry: 'GB' }).phone).toBe('+442079460958');
  });

  it.each([
    ['a missing identifier claim', {}, 401],
    ['a numeric identifier', { sub: 12345 }, 401],
    ['a blank identifier', { sub: '  ' }, 401],
    ['an identifier in the guest namespace', { sub: 'Guest-abc' }, 403],
  ] as Array<[string, Record<string, unknown>, number]>)('refuses %s', (_what, claims, status) => {
    try {
      endUserFromClaims(claims, mapping);
      throw new Error('accepted');
    } catch (err) {
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).status).toBe(status);
    }
  });
});

describe('the sample page', () => {
  it('loads the widget from the documented place on the instance host', () => {
    expect(widgetScriptUrl('https://acme.uc1.ccaiplatform.com')).toBe('https://acme.uc1.ccaiplatform.com/web-sdk/v3/widget.js');
    expect(widgetScriptUrl('https://acme.uc1.ccaiplatform.com/')).toBe('https://acme.uc1.ccaiplatform.com/web-sdk/v3/widget.js');
    const page = renderDemoPage({ companyId: 'acme-123', host: 'https://acme.uc1.ccaiplatform.com' });
    expect(page).toContain('<script src="https://acme.uc1.ccaiplatform.com/web-sdk/v3/widget.js"></script>');
    expect(page).toContain('authenticate: getAuthToken');
  });

  it('a company id cannot close the script or inject markup', () => {
    const page = renderDemoPage({ companyId: '</script><script>alert(1)</script>' });
    expect(page).not.toContain('</script><script>alert(1)');
    expect(page).toContain('\\u003c/script\\u003e');
  });
});
