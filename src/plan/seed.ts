/**
 * Seeds for initializers and dropout, derived from the spec's train.seed and
 * a layer name, so that the same IR and seed give the same initial weights
 * regardless of build order or of how many other models the process built.
 */
import { fmix32 } from "../portable/hash.js";

/** FNV-1a over UTF-8 bytes; stable across platforms and Node versions. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * A non-negative 31-bit seed for `name` under `seed`. 31 bits keeps it a valid
 * int in a Keras config and a safe integer everywhere.
 */
export function deriveSeed(seed: number, name: string): number {
  // Murmur3's finaliser on top: FNV alone leaves similar names with similar low bits.
  return fmix32(fnv1a(`${seed}\u0000${name}`)) & 0x7fffffff;
}
