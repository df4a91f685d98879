import { test } from "node:test";
import assert from "node:assert/strict";
import { calibrationBins, expectedCalibrationError, normalizedEntropy, TaskMetricAccumulator } from "../../src/metrics/index.js";

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);
}

// Five rows worked by hand: sorted predictions 0.1 0.2 0.2 0.4 0.8, labels 0 0 1 0 1.
const S = [0.4, 0.2, 0.8, 0.1, 0.2];
const Y = [0, 1, 1, 0, 0];

test("calibration, NE and ECE of a tiny set, by hand", () => {
  const acc = new TaskMetricAccumulator("binary");
  acc.add(S, Y);
  const m = acc.compute();
  assert.equal(m.type, "binary");
  // Mean prediction 1.7 / 5 = 0.34 over a positive rate of 2 / 5.
  close(m.calibration, 0.34 / 0.4);
  // Cross-entropy over the entropy of always predicting 0.4.
  const crossEntropy = -(Math.log(0.6) + Math.log(0.2) + Math.log(0.8) + Math.log(0.9) + Math.log(0.8));
  const baseEntropy = -(2 * Math.log(0.4) + 3 * Math.log(0.6));
  close(m.normalizedEntropy, crossEntropy / baseEntropy);
  // Ten bins over five rows, the two 0.2s kept together: [0.1] [0.2 0.2] [0.4] [0.8].
  close(m.ece, (1 / 5) * 0.1 + (2 / 5) * Math.abs(0.2 - 0.5) + (1 / 5) * 0.4 + (1 / 5) * 0.2);
});

test("equal-mass bins never split tied predictions, so row order does not matter", () => {
  const bins = calibrationBins(Float64Array.from(S), Float64Array.from(Y), 2);
  // Cut after 3 of 5 rows: [0.1 0.2 0.2] and [0.4 0.8].
  assert.deepEqual(bins.map((b) => b.count), [3, 2]);
  close(bins[0]!.meanPrediction, 0.5 / 3);
  close(bins[0]!.positiveRate, 1 / 3);
  close(expectedCalibrationError(bins), (3 / 5) * (1 / 6) + (2 / 5) * 0.1);
  const order = [3, 1, 4, 0, 2];
  for (const k of [2, 3, 5, 10]) {
    const a = calibrationBins(Float64Array.from(S), Float64Array.from(Y), k);
    const b = calibrationBins(Float64Array.from(order.map((i) => S[i]!)), Float64Array.from(order.map((i) => Y[i]!)), k);
    assert.deepEqual(a, b, `${k} bins`);
    assert.equal(a.reduce((s, x) => s + x.count, 0), 5);
  }
  // All predictions tied: one bin, whatever was asked.
  assert.equal(calibrationBins(Float64Array.from([0.3, 0.3, 0.3]), Float64Array.from([1, 0, 0]), 10).length, 1);
});

/** The bins by their definition: row indices sorted by prediction, cut at equal mass, ties kept together. */
function referenceBins(scores: Float64Array, labels: Float64Array, bins: number) {
  const order = Array.from(scores, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  const out = [];
  for (let b = 1, start = 0; b <= bins && start < order.length; b++) {
    let end = Math.max(start + 1, Math.round((order.length * b) / bins));
    while (end < order.length && scores[order[end]!] === scores[order[end - 1]!]) end++;
    const rows = order.slice(start, end);
    const sum = rows.reduce((s, i) => s + scores[i]!, 0);
    out.push({ count: rows.length, meanPrediction: sum / rows.length, positiveRate: rows.reduce((s, i) => s + labels[i]!, 0) / rows.length });
    start = end;
  }
  return out;
}

test("the bins are those of sorting the rows, exactly, with many ties, unique predictions, extremes and one class", () => {
  let seed = 12345;
  const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cases: [string, Float64Array, Float64Array][] = [];
  const rows = 5000;
  const tied = Float64Array.from({ length: rows }, () => Math.round(next() * 40) / 40);
  const unique = Float64Array.from({ length: rows }, () => next());
  const labelsOf = (scores: Float64Array) => Float64Array.from(scores, (p) => (next() < p ? 1 : 0));
  cases.push(["ties", tied, labelsOf(tied)], ["unique", unique, labelsOf(unique)]);
  cases.push(["extremes", Float64Array.from([0, 1, 0, 1, 1e-300, 1 - 1e-16, 0.5]), Float64Array.from([0, 1, 1, 0, 0, 1, 1])]);
  cases.push(["no positives", unique.slice(0, 100), new Float64Array(100)], ["all positives", unique.slice(0, 100), new Float64Array(100).fill(1)]);
  for (const [name, scores, labels] of cases) {
    for (const bins of [1, 7, 10, 64]) assert.deepEqual(calibrationBins(scores, labels, bins), referenceBins(scores, labels, bins), `${name}, ${bins} bins`);
  }
});

test("a calibrated constant predictor has NE 1, calibration 1 and ECE 0", () => {
  const y = Float64Array.from([1, 0, 0, 0]);
  const s = new Float64Array(4).fill(0.25);
  close(normalizedEntropy(s, y), 1);
  assert.equal(expectedCalibrationError(calibrationBins(s, y)), 0);
});

test("one class: NE and calibration are NaN rather than a made-up number", () => {
  const acc = new TaskMetricAccumulator("binary");
  acc.add([0.2, 0.4], [0, 0]);
  const m = acc.compute();
  assert.ok(m.type === "binary" && Number.isNaN(m.normalizedEntropy) && Number.isNaN(m.calibration));
  assert.ok(Number.isNaN(expectedCalibrationError([])));
});

test("NE clips predictions as TorchRec does (1e-12), so a confident mistake is finite", () => {
  const ne = normalizedEntropy(Float64Array.from([0, 1]), Float64Array.from([1, 0]));
  // Row 1: p = 0 clipped up to 1e-12, label 1. Row 2: p = 1 clipped down to 1 - 1e-12, label 0. Base rate 1/2.
  close(ne, -(Math.log(1e-12) + Math.log(1 - (1 - 1e-12))) / (2 * Math.log(2)), 1e-12);
});
