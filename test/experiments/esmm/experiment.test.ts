import assert from "node:assert/strict";
import { test } from "node:test";
import { impliedCvr } from "../../../src/experiments/esmm/experiment.js";

test("a model without a pCVR of its own is scored on pCTCVR / pCTR, never above 1", () => {
  const ctr = new Float32Array([0.5, 0.2, 0.1, 0]);
  const ctcvr = new Float32Array([0.1, 0.3, 0.05, 0]);
  const cvr = impliedCvr(ctcvr, ctr);
  assert.deepEqual([...cvr].map((v) => Math.round(v * 1e6) / 1e6), [0.2, 1, 0.5, 0]);
});
