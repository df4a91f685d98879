import { test } from "node:test";
import assert from "node:assert/strict";
import { dwaWeights } from "../../../src/runtime/balance/dwa.js";

test("DWA weights match the hand computation", () => {
  // r = [0.5/1.0, 1.8/2.0] = [0.5, 0.9]; exp(r/2) = [e^0.25, e^0.45] = [1.2840254, 1.5683122];
  // w = 2 * exp / (sum 2.8523376) = [0.9003320, 1.0996680].
  const w = dwaWeights([[1.0, 2.0], [0.5, 1.8]], 2, 2);
  assert.ok(Math.abs(w[0]! - 0.900332005375044) < 1e-12, `${w}`);
  assert.ok(Math.abs(w[1]! - 1.099667994624956) < 1e-12, `${w}`);
  // Only the last two averages count.
  assert.deepEqual(dwaWeights([[9, 9], [1.0, 2.0], [0.5, 1.8]], 2, 2), w);
});

test("DWA gives 1s before two epochs are averaged, and r = 1 for a task whose earlier average was 0", () => {
  assert.deepEqual(dwaWeights([], 3, 2), [1, 1, 1]);
  assert.deepEqual(dwaWeights([[1, 2, 3]], 3, 2), [1, 1, 1]);
  const w = dwaWeights([[0, 1], [0.3, 1]], 2, 2);
  assert.ok(Math.abs(w[0]! - 1) < 1e-12 && Math.abs(w[1]! - 1) < 1e-12, `${w}`);
});

test("DWA at a tiny temperature does not overflow: the slowest task takes (nearly) all of T", () => {
  const w = dwaWeights([[1, 1], [0.5, 0.9]], 2, 1e-3);
  assert.ok(w.every(Number.isFinite), `${w}`);
  assert.ok(Math.abs(w[1]! - 2) < 1e-9, `${w}`);
});
