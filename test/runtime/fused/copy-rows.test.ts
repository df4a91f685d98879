/**
 * copyRows (src/runtime/fused/copy-rows.ts) moves rows by their bits into a
 * column block of wider rows, by 8-byte words where both sides allow and by
 * int32 words elsewhere, and writes nothing outside the block.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { copyRows } from "../../../src/runtime/fused/copy-rows.js";
import { seededRandom } from "../../helpers/random.js";

/** `count` floats whose bits are random, signalling NaNs and -0 among them (a float copy in JavaScript would change those). */
function randomBits(count: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const bits = Uint32Array.from({ length: count }, () => Math.floor(random() * 2 ** 32));
  bits[1] = 0x7f800001; // a signalling NaN
  bits[2] = 0x80000000; // -0
  bits[3] = 0xffc12345; // a quiet NaN with a payload
  return new Float32Array(bits.buffer);
}

function bitsOf(a: Float32Array<ArrayBufferLike>): number[] {
  return [...new Uint32Array(a.buffer, a.byteOffset, a.length)];
}

/** Table of `tableRows` rows and a target of `count` rows of `stride`, each starting `shift` floats into its buffer. */
function check(dim: number, stride: number, offset: number, shift: number): void {
  const tableRows = 37;
  const count = 23;
  const source = new Float32Array(randomBits(tableRows * dim + shift, dim).buffer, 4 * shift, tableRows * dim);
  const target = new Float32Array(randomBits(count * stride + shift, 99).buffer, 4 * shift, count * stride);
  const before = bitsOf(target);
  const random = seededRandom(stride + offset);
  // Ids repeat and include the first and last rows.
  const ids = Int32Array.from({ length: count + 5 }, (_, r) => (r === 0 ? 0 : r === 1 ? tableRows - 1 : Math.floor(random() * tableRows)));
  copyRows(source, ids, count, dim, target, stride, offset);
  const expected = [...before];
  const sourceBits = bitsOf(source);
  for (let r = 0; r < count; r++) for (let d = 0; d < dim; d++) expected[r * stride + offset + d] = sourceBits[ids[r]! * dim + d]!;
  assert.deepEqual(bitsOf(target), expected, `dim ${dim}, stride ${stride}, offset ${offset}, shift ${shift}`);
}

test("rows are copied bit for bit into their columns, signalling NaNs and -0 too, by 8-byte words", () => {
  check(16, 416, 32, 0);
  check(2, 6, 4, 2);
});

test("rows are copied bit for bit where 8-byte words do not fit: odd widths, strides or offsets, a buffer on 4 bytes", () => {
  check(3, 8, 5, 0); // odd dim
  check(4, 9, 2, 0); // odd stride
  check(4, 10, 3, 0); // odd offset
  check(4, 10, 2, 1); // both arrays on 4 bytes, not 8
  check(1, 1, 0, 0);
});
