import { randomBytes } from 'node:crypto';
import { CRC32C } from '@google-cloud/storage';
import { Crc32c } from '../../local/storage/crc32c';

describe('Crc32c', () => {
  test.each([
    ['', 0x00000000],
    ['a', 0xc1d04330],
    ['123456789', 0xe3069283],
    ['The quick brown fox jumps over the lazy dog', 0x22620404],
  ])('matches the published CRC32C of %j', (text, expected) => {
    expect(new Crc32c().update(Buffer.from(text)).value()).toBe(expected);
  });

  test('renders the value as GCS does: base64 of the big-endian bytes', () => {
    expect(new Crc32c().update(Buffer.from('123456789')).base64()).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
  });

  test('is independent of how the input is split, and agrees with the storage client', () => {
    const data = randomBytes(100_003);
    const whole = new Crc32c().update(data).base64();
    for (const piece of [1, 3, 7, 8, 9, 4096, 65_537]) {
      const split = new Crc32c();
      for (let at = 0; at < data.length; at += piece) split.update(data.subarray(at, at + piece));
      expect(split.base64()).toBe(whole);
    }
    const client = new CRC32C();
    client.update(data);
    expect(client.toString()).toBe(whole);
  });
});
