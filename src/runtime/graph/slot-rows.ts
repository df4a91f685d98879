/**
 * How a table's optimiser slots are laid out in memory: per table row, its
 * slots one after the other, [row 0 slot 0 | row 0 slot 1 | row 1 slot 0 | ...],
 * each `dim` values; table row r's slot k starts at (r * count + k) * dim.
 *
 * Why: lazy Adam (sparse-update.ts) updates a few thousand random rows of
 * each table per step, reading and writing the row's weights, m and v. With
 * each slot a table-sized array of its own, m and v of a row lay in two more
 * pages than its weights, and under the VM's nested paging every random page
 * costs a TLB miss: 26,624 random rows of 26 tables of 100,000 x 16 took
 * 2.15 ms with three arrays, 1.35 ms with m and v of a row together (the
 * lead's C measurement, caches flushed). The weights stay where they are
 * (the TF.js variable's storage, a [rows, dim] tensor).
 *
 * Checkpoints keep one table-sized array per slot (format.ts), as before
 * this layout: `splitSlots` (or `copySlot`, one slot) and `joinSlots` convert.
 */

/** The values from which table row `row`'s slot `slot` lies, `count` slots of `dim` values per row. */
export function slotStart(row: number, slot: number, count: number, dim: number): number {
  return (row * count + slot) * dim;
}

/** One table-sized array per slot from the per-row layout (new arrays). */
export function splitSlots(rows: Float32Array, count: number, dim: number): Float32Array[] {
  return Array.from({ length: count }, (_, slot) => {
    const out = new Float32Array(rows.length / count);
    copySlot(rows, slot, count, dim, out);
    return out;
  });
}

/** Writes slot `slot` of the per-row layout `rows` (`count` slots) into `into`, table-sized, as splitSlots' arrays hold it. */
export function copySlot(rows: Float32Array, slot: number, count: number, dim: number, into: Float32Array): void {
  const tableRows = rows.length / (count * dim);
  if (into.length !== tableRows * dim) throw new Error(`a slot of ${tableRows} x ${dim} values does not fit an array of ${into.length}`);
  const from = words(rows);
  const to = words(into);
  // Value by value (a subarray per row, 2.6M of them for a recsys model's slot, cost more than the copy),
  // as integers: a float copy may quieten a NaN's payload.
  for (let r = 0; r < tableRows; r++) {
    const at = slotStart(r, slot, count, dim);
    const base = r * dim;
    for (let d = 0; d < dim; d++) to[base + d] = from[at + d]!;
  }
}

/** Writes one table-sized array per slot (`slots.length` of them) into the per-row layout `rows`. */
export function joinSlots(slots: readonly Float32Array[], rows: Float32Array, dim: number): void {
  const count = slots.length;
  const tableRows = rows.length / (count * dim);
  const to = words(rows);
  const from = slots.map(words);
  for (let r = 0; r < tableRows; r++) {
    for (let slot = 0; slot < count; slot++) {
      const values = from[slot]!;
      const at = slotStart(r, slot, count, dim);
      const base = r * dim;
      for (let d = 0; d < dim; d++) to[at + d] = values[base + d]!;
    }
  }
}

/** The same memory as 32-bit integers. */
function words(values: Float32Array): Int32Array {
  return new Int32Array(values.buffer, values.byteOffset, values.length);
}
