import { test } from "node:test";
import assert from "node:assert/strict";
import { LOG_LOSS_EPSILON, logLoss, mae, rmse } from "../../src/metrics/pointwise.js";

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);
}

test("log loss by hand", () => {
  close(logLoss([0.9, 0.2], [1, 0]), -(Math.log(0.9) + Math.log(0.8)) / 2);
  close(logLoss([0.5], [1]), Math.log(2));
  close(logLoss([0.25, 0.6, 0.1], [0, 1, 1]), -(Math.log(0.75) + Math.log(0.6) + Math.log(0.1)) / 3);
  // Soft labels: cross-entropy against a 0.3 target.
  close(logLoss([0.4], [0.3]), -(0.3 * Math.log(0.4) + 0.7 * Math.log(0.6)));
});

test("log loss clips probabilities at 1e-7", () => {
  assert.equal(LOG_LOSS_EPSILON, 1e-7);
  close(logLoss([0], [1]), -Math.log(1e-7));
  close(logLoss([1], [0]), -Math.log(1e-7), 1e-9);
  close(logLoss([1], [1]), -Math.log(1 - 1e-7));
  close(logLoss([0], [0]), -Math.log(1 - 1e-7));
  close(logLoss([-3, 7], [1, 0]), -Math.log(1e-7), 1e-9);
  assert.ok(Number.isFinite(logLoss([0, 1], [1, 0])));
});

test("log loss with a mask, and NaN when nothing is selected", () => {
  close(logLoss([0.9, 0.01, 0.2], [1, 1, 0], [1, 0, 1]), -(Math.log(0.9) + Math.log(0.8)) / 2);
  assert.ok(Number.isNaN(logLoss([0.9], [1], [0])));
  assert.ok(Number.isNaN(logLoss([], [])));
  assert.throws(() => logLoss([0.5], [2]), RangeError);
  assert.throws(() => logLoss([Number.NaN], [1]), RangeError);
  assert.throws(() => logLoss([0.5, 0.5], [1]), RangeError);
  assert.throws(() => logLoss([0.5], [1], [2]), RangeError);
});

test("RMSE and MAE by hand", () => {
  // Errors 1, -2, 0, 3.
  const pred = [2, 0, 5, 4];
  const label = [1, 2, 5, 1];
  close(rmse(pred, label), Math.sqrt((1 + 4 + 0 + 9) / 4));
  close(mae(pred, label), (1 + 2 + 0 + 3) / 4);
  close(rmse(pred, label, [1, 1, 0, 0]), Math.sqrt(5 / 2));
  close(mae(pred, label, [0, 0, 1, 1]), 1.5);
  close(rmse(Float32Array.from([1.5]), Float64Array.from([1])), 0.5);
  assert.equal(rmse([3, 3], [3, 3]), 0);
  assert.ok(Number.isNaN(rmse([], [])));
  assert.ok(Number.isNaN(mae([1], [1], [0])));
  assert.throws(() => rmse([1, 2], [1]), RangeError);
  assert.throws(() => mae([1], [1], [0.5]), RangeError);
});
