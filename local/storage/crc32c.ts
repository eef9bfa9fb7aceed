// CRC32C (Castagnoli), computed incrementally so a 1 GiB upload is hashed as it streams to
// disk. Slicing-by-8 tables: plain byte-at-a-time JS runs at a few hundred MB/s, which
// would make hashing, not the disk, the bottleneck of large uploads.

const POLYNOMIAL_REVERSED = 0x82f63b78;

function buildTables(): Uint32Array[] {
  const tables: Uint32Array[] = [];
  const first = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL_REVERSED : c >>> 1;
    first[n] = c >>> 0;
  }
  tables.push(first);
  for (let t = 1; t < 8; t++) {
    const previous = tables[t - 1]!;
    const next = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const p = previous[n]!;
      next[n] = ((p >>> 8) ^ first[p & 0xff]!) >>> 0;
    }
    tables.push(next);
  }
  return tables;
}

const [T0, T1, T2, T3, T4, T5, T6, T7] = buildTables() as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** Running CRC32C state; feed bytes with `update`, read the value at any time. */
export class Crc32c {
  // Kept pre-inverted (the algorithm's running register), inverted again when read.
  private register = 0xffffffff;

  update(bytes: Uint8Array): this {
    let crc = this.register;
    let i = 0;
    const end8 = bytes.length - (bytes.length % 8);
    for (; i < end8; i += 8) {
      crc ^= bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
      crc =
        T7[crc & 0xff]! ^
        T6[(crc >>> 8) & 0xff]! ^
        T5[(crc >>> 16) & 0xff]! ^
        T4[crc >>> 24]! ^
        T3[bytes[i + 4]!]! ^
        T2[bytes[i + 5]!]! ^
        T1[bytes[i + 6]!]! ^
        T0[bytes[i + 7]!]!;
    }
    for (; i < bytes.length; i++) crc = (crc >>> 8) ^ T0[(crc ^ bytes[i]!) & 0xff]!;
    this.register = crc >>> 0;
    return this;
  }

  value(): number {
    return (this.register ^ 0xffffffff) >>> 0;
  }

  /** GCS wire form: base64 of the four bytes, big-endian. */
  base64(): string {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(this.value());
    return out.toString('base64');
  }
}
