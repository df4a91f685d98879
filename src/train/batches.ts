import type { RawRecord } from "../data/record.js";
import { Rng } from "../util/random.js";

/**
 * Groups a record stream into batches. With `shuffleBuffer`, records pass
 * through a seeded reservoir of that size, so a sorted file still trains on
 * mixed batches while memory stays bounded; the same seed gives the same order.
 */
export async function* batches<T = RawRecord>(
  records: AsyncIterable<T>,
  size: number,
  shuffle?: { buffer: number; seed: number | string },
): AsyncGenerator<T[]> {
  let batch: T[] = [];
  const emit = (record: T): T[] | undefined => {
    batch.push(record);
    if (batch.length < size) return undefined;
    const full = batch;
    batch = [];
    return full;
  };
  if (!shuffle || shuffle.buffer <= 1) {
    for await (const record of records) {
      const full = emit(record);
      if (full) yield full;
    }
  } else {
    const rng = new Rng(shuffle.seed);
    const pool: T[] = [];
    for await (const record of records) {
      if (pool.length < shuffle.buffer) {
        pool.push(record);
        continue;
      }
      const i = rng.int(pool.length);
      const out = pool[i]!;
      pool[i] = record;
      const full = emit(out);
      if (full) yield full;
    }
    rng.shuffle(pool);
    for (const record of pool) {
      const full = emit(record);
      if (full) yield full;
    }
  }
  if (batch.length > 0) yield batch;
}
