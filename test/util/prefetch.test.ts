/** prefetchRows reads a value in every cache line of each id's row, clamped into the table as lookups clamp ids, in every array. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { prefetchRows } from "../../src/util/prefetch.js";

test("prefetchRows sums each row's first and last value of each array for the first `count` ids, clamping ids into the rows", () => {
  const dim = 3;
  const a = Float32Array.from({ length: 4 * dim }, (_, i) => i); // row r is 3r, 3r + 1, 3r + 2
  const b = Float32Array.from({ length: 4 * dim }, (_, i) => 100 * i);
  // ids 1, -5 (row 0), 9 (row 3), then one past `count`.
  const ids = Int32Array.from([1, -5, 9, 2]);
  const ends = (r: number) => 3 * r + (3 * r + 2);
  assert.equal(prefetchRows([a], ids, 3, dim, 4), ends(1) + ends(0) + ends(3));
  assert.equal(prefetchRows([a, b], ids, 3, dim, 4), 101 * (ends(1) + ends(0) + ends(3)));
  assert.equal(prefetchRows([a], ids, 0, dim, 4), 0);
});

test("prefetchRows reads a value in each 16-value line of a wide row", () => {
  const dim = 40;
  const a = new Float32Array(2 * dim);
  for (const d of [0, 16, 32, 39]) a[dim + d] = 1; // row 1: the values it reads, one per line and the last
  a[dim + 5] = 1000; // a value it does not read
  assert.equal(prefetchRows([a], Int32Array.from([1]), 1, dim, 2), 4);
});
