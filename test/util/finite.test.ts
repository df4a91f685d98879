import assert from "node:assert/strict";
import { test } from "node:test";
import { nonFiniteCount } from "../../src/util/finite.js";

test("finite values count none, whatever the length (the unrolled loop's tail included)", () => {
  for (const length of [0, 1, 3, 4, 5, 1001]) {
    const values = Float32Array.from({ length }, (_, i) => (i % 7) * -1.5e30 + i);
    assert.equal(nonFiniteCount(values), 0, `length ${length}`);
  }
  assert.equal(nonFiniteCount(Float32Array.of(3.4e38, -3.4e38, 0, -0)), 0);
});

test("every NaN and infinity is counted, in each lane of the unrolled loop and in its tail", () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    for (let at = 0; at < 7; at++) {
      const values = new Float32Array(7).fill(0.25);
      values[at] = bad;
      assert.equal(nonFiniteCount(values), 1, `${bad} at ${at}`);
    }
  }
  assert.equal(nonFiniteCount(Float32Array.of(Number.NaN, 1, Number.POSITIVE_INFINITY, 2, Number.NEGATIVE_INFINITY)), 3);
  // +inf and -inf in different lanes must not cancel out.
  assert.equal(nonFiniteCount(Float32Array.of(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, 0)), 2);
});
