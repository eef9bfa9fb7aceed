/**
 * The fuzz run's only source of randomness. Every case draws from its own generator,
 * derived from (seed, case index), so one case can be rebuilt and replayed alone
 * (`npm run fuzz -- --seed S --case I`) without generating the cases before it.
 */

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max], both included. */
  int(min: number, max: number): number;
  bool(probability?: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T;
  bytes(length: number): Buffer;
  /** Letters and digits, for ids. */
  alnum(length: number): string;
  /** A deterministic "random" hex string, e.g. for fake signatures. */
  hex(length: number): string;
}

/** mulberry32: small, fast and good enough to spread test inputs (not for cryptography). */
function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Mixes the seed and the case index into one 32-bit state (splitmix-style finaliser). */
function mix(seed: number, index: number): number {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function createRng(seed: number, index = 0): Rng {
  const next = mulberry32(mix(seed, index));
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    bool: (probability = 0.5) => next() < probability,
    pick: <T>(items: readonly T[]): T => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
    weighted: <T>(items: ReadonlyArray<readonly [T, number]>): T => {
      const total = items.reduce((sum, [, w]) => sum + w, 0);
      let r = next() * total;
      for (const [item, w] of items) {
        r -= w;
        if (r < 0) return item;
      }
      return items[items.length - 1]![0];
    },
    bytes: (length: number) => {
      const out = Buffer.alloc(length);
      for (let i = 0; i < length; i++) out[i] = int(0, 255);
      return out;
    },
    alnum: (length: number) => {
      let s = '';
      for (let i = 0; i < length; i++) s += ALNUM[int(0, ALNUM.length - 1)];
      return s;
    },
    hex: (length: number) => {
      let s = '';
      for (let i = 0; i < length; i++) s += int(0, 15).toString(16);
      return s;
    },
  };
}
