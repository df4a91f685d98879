/**
 * The hash behind every categorical id. This file depends on nothing: mtl's
 * encoder imports it, and `mtl compile --target ts` embeds its text in the
 * generated module, so the two can never hash differently.
 *
 * MurmurHash3, x86 32-bit variant (Austin Appleby's public-domain reference,
 * `MurmurHash3_x86_32`). Categorical ids must be reproducible outside this
 * code base (a server in another language hashing the same value must land in
 * the same bucket), so this is the exact published algorithm over UTF-8
 * bytes, returning the unsigned 32-bit result: it equals
 * `mmh3.hash(value, seed, signed=False)` in Python.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixK(k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, C2);
}

function mixH(h: number, k: number): number {
  h ^= mixK(k);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/**
 * The seed of every categorical hash. Fixed forever for IR version 1: a
 * trained model's embedding rows are only meaningful under this exact
 * mapping, so changing it would silently scramble every saved model.
 */
export const HASH_SEED = 0;

/** The bucket of `text` among `buckets` hash buckets: murmur3(text) mod buckets. */
export function hashBucket(text: string, buckets: number): number {
  return unsignedMod(murmur3StringInt32(text, HASH_SEED), buckets, 1 / buckets);
}

/** Murmur3's finaliser, which spreads every input bit over the whole result (a signed int32). */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function finishInt32(h: number, length: number): number {
  return fmix32(h ^ length);
}

/** The hash of `length` bytes of `bytes` (all of them by default). */
export function murmur3Bytes(bytes: Uint8Array, seed: number, length = bytes.length): number {
  return murmur3BytesInt32(bytes, seed, length, 0) >>> 0;
}

/** The same hash as a signed int32 (see murmur3StringInt32), of `length` bytes from `start`: a CSV reader hashes a field where it lies. */
export function murmur3BytesInt32(bytes: Uint8Array, seed: number, length: number, start: number): number {
  let h = seed | 0;
  const blockEnd = start + (length & ~3);
  let i = start;
  for (; i < blockEnd; i += 4) {
    h = mixH(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const tail = length & 3;
  if (tail > 0) {
    let k = bytes[i]!;
    if (tail > 1) k |= bytes[i + 1]! << 8;
    if (tail > 2) k |= bytes[i + 2]! << 16;
    h ^= mixK(k);
  }
  return finishInt32(h, length);
}

const utf8 = new TextEncoder();
let scratch = new Uint8Array(256);

/**
 * The hash of the UTF-8 encoding of `text`. ASCII text (nearly every id in
 * click logs) is hashed straight from its char codes, with no byte buffer;
 * anything else goes through `TextEncoder`, so a lone surrogate becomes
 * U+FFFD exactly as `Buffer.from(text, "utf8")` would encode it.
 */
export function murmur3String(text: string, seed: number): number {
  return murmur3StringInt32(text, seed) >>> 0;
}

/**
 * The same hash as a signed int32. The hot path uses this form: an unsigned
 * result above 2^31 is a heap-allocated double in V8, a signed one is not.
 */
export function murmur3StringInt32(text: string, seed: number): number {
  const n = text.length;
  let h = seed | 0;
  // OR of every char code: one test after the loop tells whether it was all ASCII.
  let seen = 0;
  const blockEnd = n & ~3;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    seen |= c0 | c1 | c2 | c3;
    h = mixH(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const tail = n & 3;
  if (tail > 0) {
    const c0 = text.charCodeAt(i);
    const c1 = tail > 1 ? text.charCodeAt(i + 1) : 0;
    const c2 = tail > 2 ? text.charCodeAt(i + 2) : 0;
    seen |= c0 | c1 | c2;
    h ^= mixK(c0 | (c1 << 8) | (c2 << 16));
  }
  if (seen > 0x7f) return murmur3NonAscii(text, seed);
  return finishInt32(h, n);
}

/**
 * `value mod m`, reading `value` as an unsigned 32-bit integer, for m in
 * [1, 2^31), given `inverse` = 1 / m. A float multiply replaces the integer
 * division, which costs several times more and runs once per id: the
 * quotient u * inverse is off from the true u / m by less than 2^-20 (u <
 * 2^32, two roundings of 2^-53), so its floor is off by at most one, and one
 * correction of the exactly computed remainder makes the result exact.
 */
export function unsignedMod(value: number, m: number, inverse: number): number {
  const u = value >>> 0;
  const r = u - Math.floor(u * inverse) * m;
  return r < 0 ? r + m : r >= m ? r - m : r;
}

function murmur3NonAscii(text: string, seed: number): number {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes.
  const needed = text.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  const { written } = utf8.encodeInto(text, scratch);
  return murmur3BytesInt32(scratch, seed, written, 0);
}
