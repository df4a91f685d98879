import { test } from "node:test";
import assert from "node:assert/strict";
import { gradNormUpdate, initialGradNorm, MIN_WEIGHT } from "../../../src/runtime/balance/gradnorm.js";

const close = (actual: readonly number[], expected: readonly number[], tol = 1e-9) =>
  actual.forEach((a, i) => assert.ok(Math.abs(a - expected[i]!) <= tol, `[${i}] ${a} vs ${expected[i]}`));

test("two GradNorm updates match the hand computation (alpha 1.5, weights' Adam lr 0.1)", () => {
  const options = { alpha: 1.5, lr: 0.1 };
  // Step 1: L = [0.8, 0.4] becomes L(0), so r = [1, 1]; G = w*g = [3, 1], mean 2, targets [2, 2];
  // L_grad = |3-2| + |1-2| = 2; dL/dw = [+3, -1]; Adam's first step is lr*sign: w = [0.9, 1.1] (sum 2 already).
  const one = gradNormUpdate(initialGradNorm(2), [0.8, 0.4], [3, 1], options);
  assert.equal(one.loss, 2);
  assert.deepEqual(one.state.initialLosses, [0.8, 0.4]);
  close(one.state.weights, [0.9, 1.1], 1e-8);
  // Step 2: L/L(0) = [0.5, 0.75], mean 0.625, r = [0.8, 1.2]; G = [1.8, 2.2], mean 2;
  // targets 2*0.8^1.5 = 1.4310835056, 2*1.2^1.5 = 2.6290682760; L_grad = 0.3689164944 + 0.4290682760;
  // dL/dw = [+2, -2]; m = [0.47, -0.29], v = [0.012991, 0.004999]; bias-corrected steps 0.0970355, -0.0965179;
  // w = [0.8029645, 1.1965179], renormalised to sum 2: [0.8031724125, 1.1968275875].
  const two = gradNormUpdate(one.state, [0.4, 0.3], [2, 2], options);
  assert.ok(Math.abs(two.loss! - 0.7979847729582641) < 1e-12, `L_grad ${two.loss}`);
  close(two.state.weights, [0.803172412472417, 1.1968275875275831]);
  close(two.state.m, [0.47, -0.29]);
  close(two.state.v, [0.012991, 0.004999]);
  assert.equal(two.state.t, 2);
  assert.deepEqual(two.state.initialLosses, [0.8, 0.4], "L(0) is the first step's, kept");
});

test("GradNorm skips a step where a task saw no rows (loss 0) or a norm is not finite", () => {
  const state = gradNormUpdate(initialGradNorm(2), [0.8, 0.4], [3, 1], { alpha: 1.5, lr: 0.1 }).state;
  for (const [losses, norms] of [[[0.5, 0], [1, 1]], [[0.5, 0.2], [NaN, 1]]] as const) {
    const skipped = gradNormUpdate(state, losses, norms, { alpha: 1.5, lr: 0.1 });
    assert.equal(skipped.loss, null);
    assert.equal(skipped.state, state);
  }
  // The first usable step sets L(0): a step skipped before it leaves L(0) unset.
  assert.equal(gradNormUpdate(initialGradNorm(2), [0.5, 0], [1, 1], { alpha: 1.5, lr: 0.1 }).state.initialLosses, null);
});

test("GradNorm keeps every weight at least MIN_WEIGHT and the weights summing to T", () => {
  let state = initialGradNorm(3);
  // Task 0's gradient is always far above target: its weight is pushed down every step.
  for (let i = 0; i < 200; i++) state = gradNormUpdate(state, [0.5, 0.5, 0.5], [100, 1, 1], { alpha: 0, lr: 0.5 }).state;
  const sum = state.weights.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 3) < 1e-9, `sum ${sum}`);
  assert.ok(state.weights[0]! >= MIN_WEIGHT / 2 && state.weights[0]! < 0.1, `w0 ${state.weights[0]}`);
  assert.ok(state.weights.every((w) => w > 0));
});
