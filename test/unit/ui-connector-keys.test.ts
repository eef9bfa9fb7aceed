/** Conversation keys: E.164 phones or opaque keys, hashed with the instance's key; resolved keys are remembered. */
import { createHmac } from 'node:crypto';
import { createKeyResolver } from '../../functions/ui-connector/conversation-keys';

const HASH_KEY = 'k'.repeat(32);
const expectedHash = (kind: string, value: string) => createHmac('sha256', HASH_KEY).update(`${kind}:${value}`).digest('base64url');

test.each([
  ['+1 (415) 555-0100', 'phone', '+14155550100'],
  ['14155550100', 'phone', '+14155550100'],
  ['415-555-0100', 'phone', '+14155550100'],
  ['  order-42 ', 'opaque', 'order-42'],
])('%j resolves to a %s key %j hashed with the key', (raw, kind, value) => {
  const keys = createKeyResolver({ hashKey: HASH_KEY, defaultCountry: 'US' });
  expect(keys(raw)).toEqual({ kind, value, hash: expectedHash(kind, value) });
});

test('a remembered key resolves the same again, and a caller mutating its copy changes nothing', () => {
  const keys = createKeyResolver({ hashKey: HASH_KEY, defaultCountry: 'US' });
  const first = keys('+14155550100');
  first.hash = 'tampered';
  expect(keys('+14155550100')).toEqual({ kind: 'phone', value: '+14155550100', hash: expectedHash('phone', '+14155550100') });
});

test('only the most recent keys are remembered, and a forgotten one resolves correctly again', () => {
  const keys = createKeyResolver({ hashKey: HASH_KEY, defaultCountry: 'US', rememberedKeys: 2 });
  for (const raw of ['+14155550100', '+14155550101', '+14155550102', '+14155550100']) {
    expect(keys(raw)).toEqual({ kind: 'phone', value: raw, hash: expectedHash('phone', raw) });
  }
});
