/**
 * Copies of embedding rows by their bits: a float32 element read and written
 * in JavaScript is converted to double and back (quieting a signalling NaN,
 * and slower), so rows move as int32 words, or as 8-byte words (BigInt64,
 * which the optimising compiler copies without making BigInts) where both
 * sides' rows start on 8 bytes.
 */

/** The same storage as int32 words. */
export function words(view: Float32Array<ArrayBufferLike>): Int32Array<ArrayBufferLike> {
  return new Int32Array(view.buffer, view.byteOffset, view.length);
}

/** Where rows lie in an array: row i's first value at i * stride + offset. */
export interface RowLayout {
  readonly array: Float32Array<ArrayBufferLike>;
  readonly stride: number;
  readonly offset: number;
}

/** For r < count: row ids[r] of `source` to row r of `target`, `dim` values each, bit for bit; the ids must be rows of `source`. */
export function copyRows(source: RowLayout, ids: Int32Array, count: number, dim: number, target: RowLayout): void {
  const even = dim % 2 === 0 && source.stride % 2 === 0 && source.offset % 2 === 0 && target.stride % 2 === 0 && target.offset % 2 === 0;
  if (even && source.array.byteOffset % 8 === 0 && target.array.byteOffset % 8 === 0) {
    const half = dim / 2;
    const a = new BigInt64Array(source.array.buffer, source.array.byteOffset, source.array.length >> 1);
    const b = new BigInt64Array(target.array.buffer, target.array.byteOffset, target.array.length >> 1);
    const [from0, fromStride, to0, toStride] = [source.offset / 2, source.stride / 2, target.offset / 2, target.stride / 2];
    for (let r = 0, at = to0; r < count; r++, at += toStride) {
      const from = from0 + ids[r]! * fromStride;
      for (let d = 0; d < half; d++) b[at + d] = a[from + d]!;
    }
    return;
  }
  const a = words(source.array);
  const b = words(target.array);
  for (let r = 0, at = target.offset; r < count; r++, at += target.stride) {
    const from = source.offset + ids[r]! * source.stride;
    for (let d = 0; d < dim; d++) b[at + d] = a[from + d]!;
  }
}
