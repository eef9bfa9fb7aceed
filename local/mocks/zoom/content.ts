/**
 * Deterministic file content for the Zoom mock: the bytes of a file are a function of its
 * seed and size only, so a test can recompute the checksum of what Zoom "served" without
 * keeping it. Streaming is zero-copy (subarrays of one precomputed 2 MiB buffer per seed),
 * so a 1 GiB recording costs the mock no memory and little CPU. A file smaller than one
 * period gets only its own bytes computed (the same bytes), so thousands of small
 * transcripts do not each pay for a 1 MiB pattern.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

const PERIOD = 1024 * 1024;
const CHUNK = 256 * 1024;
const patterns = new Map<string, Buffer>();

/** Two periods back to back, so any window of ≤ PERIOD bytes is one subarray. */
function patternOf(seed: string): Buffer {
  let p = patterns.get(seed);
  if (!p) {
    const period = Buffer.alloc(PERIOD);
    for (let i = 0; i < PERIOD / 32; i++)
      createHash('sha256')
        .update(`${seed}:${i}`)
        .digest()
        .copy(period, i * 32);
    p = Buffer.concat([period, period]);
    if (patterns.size > 64) patterns.delete(patterns.keys().next().value!);
    patterns.set(seed, p);
  }
  return p;
}

const smallFiles = new Map<string, Buffer>();

/** The content of a file of at most one period: the first `size` bytes of its pattern. */
function smallContent(seed: string, size: number): Buffer {
  const key = `${seed}:${size}`;
  let b = smallFiles.get(key);
  if (!b) {
    b = Buffer.alloc(size);
    for (let i = 0; i * 32 < size; i++)
      createHash('sha256')
        .update(`${seed}:${i}`)
        .digest()
        .copy(b, i * 32);
    if (smallFiles.size > 4096) smallFiles.delete(smallFiles.keys().next().value!);
    smallFiles.set(key, b);
  }
  return b;
}

export function contentStream(seed: string, size: number, range?: { start: number; end: number }): Readable {
  if (size <= PERIOD) {
    const bytes = smallContent(seed, size).subarray(range?.start ?? 0, range ? range.end + 1 : size);
    return Readable.from([bytes], { objectMode: false });
  }
  const pattern = patternOf(seed);
  let position = range?.start ?? 0;
  const end = range ? range.end + 1 : size;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (position >= end) {
        this.push(null);
        return;
      }
      const length = Math.min(CHUNK, end - position);
      const offset = position % PERIOD;
      position += length;
      this.push(pattern.subarray(offset, offset + length));
    },
  });
}

/** The whole content in memory (small files only: transcripts, tests). */
export function contentBytes(seed: string, size: number): Buffer {
  if (size <= PERIOD) return Buffer.from(smallContent(seed, size));
  const pattern = patternOf(seed);
  const out = Buffer.alloc(size);
  for (let p = 0; p < size; p += PERIOD) pattern.copy(out, p, 0, Math.min(PERIOD, size - p));
  return out;
}

/** sha256 (hex) of a file's content, computed by regenerating it. */
export function contentSha256(seed: string, size: number): string {
  if (size <= PERIOD) return createHash('sha256').update(smallContent(seed, size)).digest('hex');
  const pattern = patternOf(seed);
  const hash = createHash('sha256');
  for (let p = 0; p < size; p += PERIOD) hash.update(pattern.subarray(0, Math.min(PERIOD, size - p)));
  return hash.digest('hex');
}
