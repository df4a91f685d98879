/** prefetchRows reads the first value of each id's row, clamped into the table as lookups clamp ids, in every array. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { prefetchRows } from "../../src/util/prefetch.js";

test("prefetchRows sums value row*dim of each array for the first `count` ids, clamping ids into the rows", () => {
  const dim = 3;
  const a = Float32Array.from({ length: 4 * dim }, (_, i) => i); // row r starts with 3r
  const b = Float32Array.from({ length: 4 * dim }, (_, i) => 100 * i);
  // ids 1, -5 (row 0), 9 (row 3), then one past `count`.
  const ids = Int32Array.from([1, -5, 9, 2]);
  assert.equal(prefetchRows([a], ids, 3, dim, 4), 3 + 0 + 9);
  assert.equal(prefetchRows([a, b], ids, 3, dim, 4), 3 + 0 + 9 + 300 + 0 + 900);
  assert.equal(prefetchRows([a], ids, 0, dim, 4), 0);
});
