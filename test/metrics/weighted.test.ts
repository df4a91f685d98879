import assert from "node:assert/strict";
import { test } from "node:test";
import { TaskMetricAccumulator, type BinaryTaskMetrics, type RegressionTaskMetrics } from "../../src/metrics/accumulator.js";
import { byScore, weightedAuc, weightedLogLoss } from "../../src/metrics/weighted.js";
import { Rng } from "../../src/util/random.js";

function close(actual: number, expected: number, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${actual} != ${expected}`);
}

const f = (xs: number[]) => Float64Array.from(xs);

test("weighted AUC and log loss by hand: pairs count w_i w_j, a tie one half", () => {
  const s = f([0.9, 0.4, 0.4, 0.2]);
  const y = f([1, 1, 0, 0]);
  const w = f([2, 1, 3, 1]);
  // W+ = 3, W- = 4. The 0.9 positive (w 2) beats both negatives: 2 * (3 + 1) = 8.
  // The 0.4 positive (w 1) ties the 0.4 negative (w 3): 1 * 3 / 2 = 1.5, and beats the 0.2 one: 1. 10.5 / 12.
  close(weightedAuc(s, y, w), 10.5 / 12);
  const expected = -(2 * Math.log(0.9) + 1 * Math.log(0.4) + 3 * Math.log(0.6) + 1 * Math.log(0.8)) / 7;
  close(weightedLogLoss(s, y, w), expected);
  // Unweighted, the same rows give (1 + 1 + 0.5 + 1) / 4 = 0.875 too, but a weight on the tie changes it.
  close(weightedAuc(s, y, f([1, 1, 1, 1])), 3.5 / 4);
  close(weightedAuc(s, y, f([1, 3, 1, 1])), (2 + 3 * 1.5) / 8);
  assert.ok(Number.isNaN(weightedAuc(s, f([1, 1, 1, 1]), w)), "one class: no AUC");
});

/** Random rows with whole weights 0..3, and the same rows repeated weight times. */
function rows(seed: number, n: number, binary: boolean) {
  const rng = new Rng(seed);
  const s: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = binary ? rng.bernoulli(0.3) : rng.normal(2, 1);
    y.push(label);
    // Rounded scores make ties, which the weighted AUC must split as the repeated rows do.
    s.push(binary ? Math.round(100 / (1 + Math.exp(-rng.normal(label - 0.5, 1)))) / 100 : label + rng.normal(0, 0.5));
    w.push(rng.int(4));
  }
  const repeated = { s: [] as number[], y: [] as number[] };
  s.forEach((score, i) => {
    for (let k = 0; k < w[i]!; k++) {
      repeated.s.push(score);
      repeated.y.push(y[i]!);
    }
  });
  return { s, y, w, repeated };
}

test("whole weights: every binary metric but ECE equals the unweighted metric of the rows repeated weight times", () => {
  const { s, y, w, repeated } = rows(3, 2000, true);
  const weighted = new TaskMetricAccumulator("binary", 16, { weighted: true });
  // In batches, with a where mask that selects every row.
  for (let i = 0; i < s.length; i += 300) weighted.add(s.slice(i, i + 300), y.slice(i, i + 300), undefined, undefined, w.slice(i, i + 300));
  const plain = new TaskMetricAccumulator("binary");
  plain.add(repeated.s, repeated.y);
  const a = weighted.compute() as BinaryTaskMetrics;
  const b = plain.compute() as BinaryTaskMetrics;
  for (const key of ["auc", "logLoss", "normalizedEntropy", "positiveRate", "meanPrediction", "calibration"] as const) close(a[key], b[key], 1e-9);
  assert.equal(a.weight, repeated.s.length);
  assert.equal(a.count, w.filter((x) => x > 0).length, "rows of weight 0 are not scored");
});

test("whole weights: RMSE, MAE and the means of a regression task equal those of the repeated rows", () => {
  const { s, y, w, repeated } = rows(4, 1000, false);
  const weighted = new TaskMetricAccumulator("regression", 16, { weighted: true });
  weighted.add(s, y, undefined, undefined, w);
  const plain = new TaskMetricAccumulator("regression");
  plain.add(repeated.s, repeated.y);
  const a = weighted.compute() as RegressionTaskMetrics;
  const b = plain.compute() as RegressionTaskMetrics;
  for (const key of ["rmse", "mae", "meanLabel", "meanPrediction"] as const) close(a[key], b[key], 1e-9);
});

test("unit weights give the unweighted metrics, ECE and its bins included", () => {
  const { s, y } = rows(5, 1000, true);
  // Distinct scores, so that the equal-mass and the equal-weight cuts fall in the same places.
  const distinct = s.map((v, i) => v + i * 1e-9);
  const weighted = new TaskMetricAccumulator("binary", 16, { weighted: true });
  weighted.add(distinct, y, undefined, undefined, new Array(s.length).fill(1));
  const plain = new TaskMetricAccumulator("binary");
  plain.add(distinct, y);
  const a = weighted.compute() as BinaryTaskMetrics;
  const b = plain.compute() as BinaryTaskMetrics;
  for (const key of ["auc", "logLoss", "normalizedEntropy", "calibration", "ece"] as const) close(a[key], b[key], 1e-9);
  assert.deepEqual(weighted.reliability().map((bin) => bin.count), plain.reliability().map((bin) => bin.count));
});

test("a weighted accumulator refuses a negative, NaN or infinite weight, and a missing weights array", () => {
  const acc = new TaskMetricAccumulator("binary", 4, { weighted: true });
  for (const bad of [-1, NaN, Infinity]) {
    assert.throws(() => acc.add([0.5, 0.5], [1, 0], undefined, undefined, [1, bad]), /weight must be finite and >= 0, got .* at batch row 1/);
  }
  assert.throws(() => acc.add([0.5], [1]), /weights are needed exactly when the accumulator is weighted/);
  assert.equal(acc.count, 0, "nothing of a refused batch is kept");
});

/** The comparator sort byScore replaced: row indices by ascending score, ties in row order (Array.prototype.sort is stable). */
function comparatorOrder(s: Float64Array): number[] {
  return Array.from(s.keys()).sort((a, b) => s[a]! - s[b]!);
}

// The weighted AUC and bins read the rows in byScore's order, adding as they go: the same order gives bit-equal metrics.
test("the weighted metrics' row order, from a radix sort, is the comparator sort's (ties in row order): heavy ties, negatives, -0 and +0, infinities", () => {
  const rng = new Rng(11);
  for (const [rows, levels] of [[0, 1], [1, 1], [7, 2], [1000, 5], [5000, 5000], [20_000, 37]] as const) {
    const s = Float64Array.from({ length: rows }, () => {
      const r = rng.next();
      if (r < 0.05) return -0;
      if (r < 0.1) return 0;
      if (r < 0.12) return Infinity;
      if (r < 0.14) return -Infinity;
      // `levels` distinct values, negative and positive: many ties when few.
      return Math.floor(rng.next() * levels) / levels - 0.5;
    });
    assert.deepEqual(Array.from(byScore(s)), comparatorOrder(s), `${rows} rows, ${levels} levels`);
    // Float32 predictions (the usual scores) leave the low bits zero, so the radix sort skips those passes.
    const f32 = s.map((v) => Math.fround(v + rng.next() / 7 - 0.07));
    assert.deepEqual(Array.from(byScore(f32)), comparatorOrder(f32), `${rows} rows, ${levels} levels, float32`);
  }
});
