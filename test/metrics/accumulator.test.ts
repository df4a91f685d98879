import { test } from "node:test";
import assert from "node:assert/strict";
import { auc, logLoss, mae, rmse, TaskMetricAccumulator, GrowableFloat64Array } from "../../src/metrics/index.js";
import { Rng } from "../../src/util/random.js";

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);
}

function binaryData(seed: number, n: number) {
  const rng = new Rng(seed);
  const s = new Float32Array(n);
  const y = new Float32Array(n);
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rng.bernoulli(0.2);
    s[i] = 1 / (1 + Math.exp(-rng.normal(y[i]! - 1, 1)));
    m[i] = rng.bernoulli(0.7);
  }
  return { s, y, m };
}

test("binary: batch-by-batch equals one pass over all rows", () => {
  const { s, y, m } = binaryData(1, 5000);
  const acc = new TaskMetricAccumulator("binary", 1);
  for (let start = 0; start < s.length; start += 333) {
    const end = Math.min(s.length, start + 333);
    acc.add(s.subarray(start, end), y.subarray(start, end), m.subarray(start, end));
  }
  const r = acc.compute();
  const count = m.reduce((a, b) => a + b, 0);
  let positives = 0;
  let sum = 0;
  for (let i = 0; i < s.length; i++) {
    if (m[i] === 1) {
      positives += y[i]!;
      sum += s[i]!;
    }
  }
  assert.equal(r.type, "binary");
  assert.equal(r.count, count);
  assert.equal(acc.count, count);
  assert.equal(r.positives, positives);
  close(r.positiveRate, positives / count);
  close(r.meanPrediction, sum / count, 1e-9);
  close(r.auc, auc(s, y, m));
  close(r.logLoss, logLoss(s, y, m), 1e-9);
});

test("regression: RMSE, MAE and means over the masked-in rows", () => {
  const acc = new TaskMetricAccumulator("regression");
  acc.add([1, 2, 3], [1, 4, 0], [1, 1, 0]);
  acc.add(Float64Array.from([10]), Float64Array.from([7]));
  const r = acc.compute();
  // Kept rows: (1, 1), (2, 4), (10, 7); errors 0, -2, 3.
  assert.deepEqual(r, {
    type: "regression",
    count: 3,
    rmse: Math.sqrt(13 / 3),
    mae: 5 / 3,
    meanLabel: 4,
    meanPrediction: 13 / 3,
  });
  close(r.rmse, rmse([1, 2, 10], [1, 4, 7]));
  close(r.mae, mae([1, 2, 10], [1, 4, 7]));
});

test("empty accumulators report count 0 and NaN metrics; reset forgets rows", () => {
  const b = new TaskMetricAccumulator("binary");
  const e = b.compute();
  assert.equal(e.count, 0);
  assert.ok([e.auc, e.logLoss, e.positiveRate, e.meanPrediction].every(Number.isNaN));
  b.add([0.2, 0.8], [0, 1]);
  assert.equal(b.compute().auc, 1);
  b.reset();
  assert.equal(b.count, 0);
  b.add([0.9, 0.1], [0, 1]);
  assert.equal(b.compute().auc, 0);

  const r = new TaskMetricAccumulator("regression").compute();
  assert.equal(r.count, 0);
  assert.ok([r.rmse, r.mae, r.meanLabel, r.meanPrediction].every(Number.isNaN));
});

test("single-class binary tasks have NaN AUC but a defined log loss", () => {
  const acc = new TaskMetricAccumulator("binary");
  acc.add([0.1, 0.3], [0, 0]);
  const r = acc.compute();
  assert.ok(Number.isNaN(r.auc));
  close(r.logLoss, -(Math.log(0.9) + Math.log(0.7)) / 2);
  assert.equal(r.positiveRate, 0);
});

test("bad batches throw with the batch row and leave nothing behind", () => {
  const acc = new TaskMetricAccumulator("binary");
  acc.add([0.5], [1]);
  assert.throws(() => acc.add([0.1, 0.2], [0, 2]), /batch row 1/);
  assert.throws(() => acc.add([0.1, Number.NaN], [0, 1]), /NaN at batch row 1/);
  assert.throws(() => acc.add([0.1, 0.2], [0, 1], [1, 3]), RangeError);
  assert.throws(() => acc.add([0.1, 0.2], [0]), RangeError);
  assert.equal(acc.count, 1);
  // Masked-out rows are not validated: a `where` task's other rows may hold anything.
  acc.add([0.1, Number.NaN], [0, 7], [1, 0]);
  assert.equal(acc.count, 2);

  const reg = new TaskMetricAccumulator("regression");
  assert.throws(() => reg.add([1], [Number.NaN]), RangeError);
  reg.add([1], [123.5]);
  assert.equal(reg.compute().meanLabel, 123.5);
  assert.throws(() => new TaskMetricAccumulator("ranking" as "binary"), RangeError);
});

test("growth keeps every value across many reallocations", () => {
  const g = new GrowableFloat64Array(1);
  for (let i = 0; i < 10000; i++) g.push(i * 0.5);
  assert.equal(g.length, 10000);
  const v = g.view();
  assert.ok(v instanceof Float64Array);
  assert.ok(v.every((x, i) => x === i * 0.5));
  g.clear();
  assert.equal(g.length, 0);
  g.reserve(5);
  g.push(1);
  assert.deepEqual(Array.from(g.view()), [1]);
});
