import { countryCodeSchema, normalisePhone } from '../../shared/phone';

describe('normalisePhone: every spelling of a number becomes the same E.164', () => {
  test.each([
    ['+1 (415) 555-0100', 'US', '+14155550100'],
    ['14155550100', 'US', '+14155550100'],
    ['415-555-0100', 'US', '+14155550100'],
    ['(415) 555-0100', 'US', '+14155550100'],
    ['415.555.0100', 'US', '+14155550100'],
    ['  +14155550100  ', 'US', '+14155550100'],
    // E.164 without its "+", with a default country where it is not a national number.
    ['14155550100', 'GB', '+14155550100'],
    ['442079460958', 'US', '+442079460958'],
    // Trunk prefixes are country rules: the UK drops its 0, Italy keeps it.
    ['020 7946 0958', 'GB', '+442079460958'],
    ['+44 (0)20 7946 0958', 'US', '+442079460958'],
    ['06 1234 5678', 'IT', '+390612345678'],
    // Fictional 555 ranges are not "valid" but are possible: kept, in E.164.
    ['+1 555 676 7888', 'US', '+15556767888'],
  ] as const)('%s (default %s) → %s', (input, country, expected) => {
    expect(normalisePhone(input, { defaultCountry: country })).toBe(expected);
  });

  test.each([
    ['agent-42', 'a key that is not a number'],
    ['CA0123456789abcdef0123456789abcdef', 'a Twilio call SID'],
    ['12345', 'too few digits'],
    ['123456789012345678', 'too many digits'],
    ['+1 415 555 0100 ext 12', 'an extension (not a plain number)'],
    ['', 'empty'],
  ])('%s is not a phone number (%s)', (input) => {
    expect(normalisePhone(input, { defaultCountry: 'US' })).toBeUndefined();
  });

  test('the default-country setting accepts ISO codes only', () => {
    expect(countryCodeSchema().parse('gb')).toBe('GB');
    expect(countryCodeSchema().safeParse('XX').success).toBe(false);
    expect(countryCodeSchema().safeParse('USA').success).toBe(false);
  });
});
