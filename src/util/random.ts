/**
 * Seedable pseudo-random numbers for data generation, shuffling and
 * initialisation, reproducible across runs and machines.
 *
 * Generator: xoshiro128** 1.1 (Blackman & Vigna, 2018), 128 bits of state,
 * period 2^128 - 1, 32-bit outputs. It needs only 32-bit integer operations
 * (`Math.imul`, shifts, xor), which JavaScript defines exactly, so a seed
 * gives the same `uint32`, `next`, `int`, `bernoulli` and `shuffle` results
 * on every engine and platform.
 *
 * The state is filled from a 128-bit key by a splitmix-style sequence whose
 * finaliser is Wellons' `lowbias32` hash; keys come from hashing the seed, or
 * the parent key and a label in `fork`. Keys are never used as state directly,
 * so similar seeds (0, 1, 2 ...) still give unrelated streams.
 *
 * `normal` uses Marsaglia's polar form of the Box-Muller transform, which needs
 * `Math.log` and `Math.sqrt`. `sqrt` is correctly rounded everywhere; `log` is
 * only "implementation-approximated" by the ECMAScript spec. V8 (Node) computes
 * it with a software port of fdlibm, so normals are identical wherever Node
 * runs; another engine may differ in the last bit.
 *
 * Not for cryptography.
 */

/** A seed: any safe integer (negative allowed) or any string. */
export type Seed = number | string;

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const GOLDEN = 0x9e3779b9;

/** Wellons' lowbias32: a bijective 32-bit mixer with very low bias. */
function lowbias32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/**
 * Hashes a sequence of 32-bit words into a 128-bit key. Four lanes start from
 * different constants and absorb every word, so the lanes are unrelated.
 */
function hashWords(words: readonly number[]): Uint32Array {
  const key = new Uint32Array(4);
  for (let lane = 0; lane < 4; lane++) {
    let h = lowbias32(Math.imul(lane + 1, GOLDEN) ^ 0x5bd1e995);
    for (const w of words) h = lowbias32((h ^ w) + GOLDEN);
    key[lane] = lowbias32(h ^ words.length);
  }
  return key;
}

/** A seed or label as 32-bit words; a type tag keeps 1 and "1" apart. */
function seedWords(seed: Seed): number[] {
  if (typeof seed === "string") {
    const words = [0x53545247]; // "STRG"
    for (let i = 0; i < seed.length; i++) words.push(seed.charCodeAt(i));
    return words;
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer or a string, got ${seed}`);
  }
  const magnitude = Math.abs(seed);
  const lo = magnitude % TWO_POW_32;
  const hi = Math.floor(magnitude / TWO_POW_32);
  return [0x4e554d42 /* "NUMB" */, lo >>> 0, hi >>> 0, seed < 0 ? 1 : 0];
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

export class Rng {
  private readonly key = new Uint32Array(4);
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Marsaglia's method makes normals in pairs; the second waits here. */
  private spare = 0;
  private hasSpare = false;

  constructor(seed: Seed = 0) {
    this.setKey(hashWords(seedWords(seed)));
  }

  /**
   * A generator started from an explicit xoshiro128** state, bypassing the
   * seed hash: for checking against the reference implementation's outputs.
   */
  static fromState(state: readonly [number, number, number, number]): Rng {
    const rng = new Rng(0);
    rng.setKey(hashWords(state.map((w) => w >>> 0)));
    [rng.s0, rng.s1, rng.s2, rng.s3] = state.map((w) => w | 0) as [number, number, number, number];
    if ((rng.s0 | rng.s1 | rng.s2 | rng.s3) === 0) throw new RangeError("xoshiro128** state must not be all zero");
    return rng;
  }

  private setKey(key: Uint32Array): void {
    this.key.set(key);
    let x = 0;
    const state = [0, 0, 0, 0];
    for (let i = 0; i < 4; i++) {
      x = (x + GOLDEN) | 0;
      state[i] = lowbias32(key[i]! ^ lowbias32(x));
    }
    // xoshiro's one forbidden state; the hash makes it all but impossible, not impossible.
    if ((state[0]! | state[1]! | state[2]! | state[3]!) === 0) state[0] = 1;
    [this.s0, this.s1, this.s2, this.s3] = state as [number, number, number, number];
    this.hasSpare = false;
  }

  /**
   * An independent stream named by `label`. It depends only on this generator's
   * seed (and the labels of the forks that led to it), never on how many
   * numbers were drawn before, so adding draws in one part of a program does
   * not shift the numbers of another. Forking twice with the same label gives
   * the same stream.
   */
  fork(label: Seed): Rng {
    const child = new Rng(0);
    child.setKey(hashWords([...this.key, ...seedWords(label)]));
    return child;
  }

  /** A uniform integer in [0, 2^32). */
  uint32(): number {
    const s0 = this.s0;
    const s1 = this.s1;
    const s2 = this.s2;
    const s3 = this.s3;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = rotl(n3, 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits (two outputs per call). */
  next(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /** A uniform double in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /**
   * A uniform integer in [0, n), exactly unbiased (rejection sampling).
   * `n` must be an integer in [1, 2^53].
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_53) {
      throw new RangeError(`int(n) needs an integer n in [1, 2^53], got ${n}`);
    }
    if (n <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % n);
      let x = this.uint32();
      while (x >= limit) x = this.uint32();
      return x % n;
    }
    // Both `%` operations are exact on doubles below 2^53.
    const limit = TWO_POW_53 - (TWO_POW_53 % n);
    let x = this.next() * TWO_POW_53;
    while (x >= limit) x = this.next() * TWO_POW_53;
    return x % n;
  }

  /** 1 with probability p, else 0. */
  bernoulli(p: number): 0 | 1 {
    return this.next() < p ? 1 : 0;
  }

  /** A normal deviate, N(mean, std^2), by Marsaglia's polar method. */
  normal(mean = 0, std = 1): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return mean + std * this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    this.hasSpare = true;
    return mean + std * u * f;
  }

  /** A uniformly chosen element; throws on an empty list. */
  pick<T>(items: ArrayLike<T>): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)]!;
  }

  /** Shuffles in place (Fisher-Yates) and returns the same array. */
  shuffle<A extends { length: number; [index: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i];
      items[i] = items[j];
      items[j] = t;
    }
    return items;
  }
}
