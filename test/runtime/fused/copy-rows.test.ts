/**
 * copyRows (src/runtime/fused/copy-rows.ts) moves rows by their bits between
 * column blocks of rows (a table's rows into a concatenation's columns, a
 * gradient's columns into a table's summed rows), by 8-byte words where both
 * sides allow and by int32 words elsewhere, and writes nothing outside them.
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

/**
 * 23 rows of `dim` values picked from 37 rows of `from` = [stride, offset] into rows of `to` = [stride, offset],
 * each array starting `shift` floats into its buffer.
 */
function check(dim: number, from: [number, number], to: [number, number], shift: number): void {
  const sourceRows = 37;
  const count = 23;
  const source = new Float32Array(randomBits(sourceRows * from[0] + shift, dim).buffer, 4 * shift, sourceRows * from[0]);
  const target = new Float32Array(randomBits(count * to[0] + to[1] + shift, 99).buffer, 4 * shift, count * to[0] + to[1]);
  const before = bitsOf(target);
  const random = seededRandom(to[0] + to[1]);
  // Ids repeat and include the first and last rows.
  const ids = Int32Array.from({ length: count + 5 }, (_, r) => (r === 0 ? 0 : r === 1 ? sourceRows - 1 : Math.floor(random() * sourceRows)));
  copyRows({ array: source, stride: from[0], offset: from[1] }, ids, count, dim, { array: target, stride: to[0], offset: to[1] });
  const expected = [...before];
  const sourceBits = bitsOf(source);
  for (let r = 0; r < count; r++) for (let d = 0; d < dim; d++) expected[r * to[0] + to[1] + d] = sourceBits[ids[r]! * from[0] + from[1] + d]!;
  assert.deepEqual(bitsOf(target), expected, `dim ${dim}, from ${from}, to ${to}, shift ${shift}`);
}

test("rows are copied bit for bit, signalling NaNs and -0 too, by 8-byte words", () => {
  check(16, [16, 0], [416, 32], 0); // a table's rows into a concatenation's columns
  check(16, [416, 32], [16, 64], 0); // a gradient's columns into summed rows, from the fifth on
  check(2, [2, 0], [6, 4], 2);
});

test("rows are copied bit for bit where 8-byte words do not fit: odd widths, strides or offsets, a buffer on 4 bytes", () => {
  check(3, [3, 0], [8, 5], 0); // odd dim
  check(4, [4, 0], [9, 2], 0); // odd target stride
  check(4, [4, 0], [10, 3], 0); // odd target offset
  check(4, [10, 1], [4, 0], 0); // odd source offset
  check(4, [9, 0], [4, 0], 0); // odd source stride
  check(4, [4, 0], [10, 2], 1); // both arrays on 4 bytes, not 8
  check(1, [1, 0], [1, 0], 0);
});
