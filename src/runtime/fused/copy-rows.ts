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

/** For r < count: row ids[r] of `source` (rows of `dim` values) to r * stride + offset of `target`, bit for bit; the ids must be rows of `source`. */
export function copyRows(
  source: Float32Array<ArrayBufferLike>,
  ids: Int32Array,
  count: number,
  dim: number,
  target: Float32Array<ArrayBufferLike>,
  stride: number,
  offset: number,
): void {
  if (dim % 2 === 0 && stride % 2 === 0 && offset % 2 === 0 && source.byteOffset % 8 === 0 && target.byteOffset % 8 === 0) {
    const half = dim / 2;
    const a = new BigInt64Array(source.buffer, source.byteOffset, source.length >> 1);
    const b = new BigInt64Array(target.buffer, target.byteOffset, target.length >> 1);
    for (let r = 0, at = offset / 2; r < count; r++, at += stride / 2) {
      const from = ids[r]! * half;
      for (let d = 0; d < half; d++) b[at + d] = a[from + d]!;
    }
    return;
  }
  const a = words(source);
  const b = words(target);
  for (let r = 0, at = offset; r < count; r++, at += stride) {
    const from = ids[r]! * dim;
    for (let d = 0; d < dim; d++) b[at + d] = a[from + d]!;
  }
}
