import { Rng } from "../../src/util/random.js";

/** A seeded stream in [0, 1), so "random" test inputs are the same on every run. */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

export function seededBytes(length: number, seed: number): Uint8Array {
  const rng = new Rng(seed);
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = rng.int(256);
  return bytes;
}
