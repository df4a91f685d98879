/**
 * A software prefetch for scattered rows of large arrays (embedding tables
 * and their optimiser slots, 6.4 MB each in the recsys benchmarks).
 *
 * A loop that reads a random row and then does a row's worth of work has
 * about one row's cache and TLB misses in flight at a time; this loop reads
 * one value of each row and nothing else, so many of its iterations, and
 * their misses, overlap. Run just before the real pass over a few thousand
 * rows, it leaves them in cache: measured on lazy Adam over 26 tables of
 * 100,000 x 16 (1,010 rows each) 9-10 ms became 5-6 ms with the pass
 * included, and gathering the same rows 7.5 ms became 2.9 ms.
 */

/** Float32 values in a 64-byte cache line. */
const LINE = 16;

/**
 * Reads a value in each cache line of each id's row (ids clamped into
 * `rows`, as lookups clamp them; a row's `dim` values start at id * dim and
 * need not be aligned to a line) in each array, for the first `count` ids,
 * and returns their sum: keep it (the caller stores it), or the compiler may
 * drop the reads.
 */
export function prefetchRows(arrays: readonly Float32Array[], ids: Int32Array, count: number, dim: number, rows: number): number {
  let sum = 0;
  const last = dim - 1;
  // Array by array, so that each loop reads one array (with the loop over the arrays inside the loop over
  // the ids, the prefetch of a recsys step's gathers took 1.6 times as long, measured);
  // a row of a line or less needs only its first and last values.
  for (let j = 0; j < arrays.length; j++) {
    const a = arrays[j]!;
    for (let i = 0; i < count; i++) {
      const id = ids[i]!;
      const at = (id < 0 ? 0 : id < rows ? id : rows - 1) * dim;
      if (dim > LINE) for (let d = LINE; d < last; d += LINE) sum += a[at + d]!;
      sum += a[at]! + a[at + last]!;
    }
  }
  return sum;
}
