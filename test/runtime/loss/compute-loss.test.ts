import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ValidIR } from "../../../src/ir/types.js";
import { computeLoss } from "../../../src/runtime/loss/compute-loss.js";
import { maskedMean } from "../../../src/runtime/loss/masked-mean.js";
import { huber, squaredError } from "../../../src/runtime/loss/regression.js";
import type { TaskOutputs } from "../../../src/runtime/loss/types.js";
import { createUncertaintyWeights } from "../../../src/runtime/loss/uncertainty.js";
import { assertClose, binaryTask, esmmIR, modelIR, productTask, regressionTask, train, useCpu } from "../graph/fixtures.js";

before(useCpu);

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
const bce = (y: number, p: number) => -(y * Math.log(p) + (1 - y) * Math.log(1 - p));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const num = (t: tf.Tensor) => t.dataSync()[0]!;

test("squared error and huber by hand", () => {
  const y = [0, 1, -2, 3];
  const p = [0.5, -1, 1, 3];
  tf.tidy(() => {
    assertClose(squaredError(tf.tensor1d(y), tf.tensor1d(p)).dataSync(), [0.25, 4, 9, 0], 1e-7, "mse");
    // delta 1: |e| = 0.5, 2, 3, 0 -> 0.125, 1*(2 - 0.5), 1*(3 - 0.5), 0.
    assertClose(huber(tf.tensor1d(y), tf.tensor1d(p), 1).dataSync(), [0.125, 1.5, 2.5, 0], 1e-7, "huber 1");
    // delta 2.5: 0.125, 2, 2.5*(3 - 1.25), 0.
    assertClose(huber(tf.tensor1d(y), tf.tensor1d(p), 2.5).dataSync(), [0.125, 2, 4.375, 0], 1e-7, "huber 2.5");
  });
  assert.throws(() => huber(tf.tensor1d([0]), tf.tensor1d([0]), 0), /delta must be > 0/);
});

test("masked mean counts masked rows only; an all-zero mask gives 0 with finite gradients", () => {
  tf.tidy(() => {
    const perRow = tf.tensor1d([1, 2, 3, 100]);
    assert.equal(num(maskedMean(perRow, tf.tensor1d([1, 0, 1, 0]))), 2);
    assert.equal(num(maskedMean(perRow, null)), 26.5);
    assert.equal(num(maskedMean(tf.tensor1d([1, NaN, 3]), tf.tensor1d([1, 0, 1]))), 2);
    assert.equal(num(maskedMean(perRow, tf.zeros([4]))), 0);
    const g = tf.grad((x: tf.Tensor) => maskedMean(x as tf.Tensor1D, tf.zeros([4]) as tf.Tensor1D))(perRow);
    assert.deepEqual(Array.from(g.dataSync()), [0, 0, 0, 0]);
  });
});

test("a weighted mask: sum(w l) / sum(w), with gradients w_i / sum(w)", () => {
  tf.tidy(() => {
    const perRow = tf.tensor1d([1, 2, 3, 100]);
    const weights = tf.tensor1d([2, 0, 0.5, 0]) as tf.Tensor1D;
    // (2 * 1 + 0.5 * 3) / 2.5
    assertClose([num(maskedMean(perRow, weights))], [1.4], 1e-6, "weighted mean");
    const g = tf.grad((x: tf.Tensor) => maskedMean(x as tf.Tensor1D, weights))(perRow);
    assertClose(g.dataSync(), [0.8, 0, 0.2, 0], 1e-6, "gradient");
    // Weights that sum to less than 1 are not clamped to 1, as a count of rows would be.
    assertClose([num(maskedMean(perRow, tf.tensor1d([0.1, 0, 0.1, 0])))], [2], 1e-6, "small weights");
  });
});

/** Four rows of the ESMM + GMV IR (esmmIR): logits, values and labels by hand, shared by the tests below. */
const ESMM_ROWS = {
  ctr: [0.5, -1, 2, 0.1],
  cvr: [-0.3, 0.8, -2, 1.5],
  gmv: [1, 2, 3, 4],
  click: [1, 0, 1, 1],
  clickAndBuy: [1, 0, 0, 1],
  gmvLabel: [1.5, 0, 0, 6],
};

/** ESMM_ROWS's outputs (call inside tf.tidy), with pCTCVR = pCTR * pCVR. */
function esmmOutputs(): { out: TaskOutputs; pCtcvr: number[] } {
  const { ctr, cvr, gmv } = ESMM_ROWS;
  const pCtcvr = ctr.map((l, i) => sigmoid(l) * sigmoid(cvr[i]!));
  return { out: outputs({ ctr, cvr }, { ctcvr: pCtcvr, gmv, egmv: pCtcvr.map((p, i) => p * gmv[i]!) }), pCtcvr };
}

test("esmm with sample weights: each task's BCE is weighted by its mask, gmv's by where times weight", () => {
  const ir = esmmIR();
  for (const t of ir.tasks) if (t.label !== null) t.sampleWeight = "w";
  const { ctr, click, clickAndBuy, gmvLabel } = ESMM_ROWS;
  const w = [2, 1, 0, 0.5];
  tf.tidy(() => {
    const { out, pCtcvr } = esmmOutputs();
    const result = computeLoss(ir, out, {
      labels: { ctr: tf.tensor1d(click), ctcvr: tf.tensor1d(clickAndBuy), gmv: tf.tensor1d(gmvLabel) },
      masks: { ctr: tf.tensor1d(w), ctcvr: tf.tensor1d(w), gmv: tf.tensor1d(clickAndBuy.map((m, i) => m * w[i]!)) },
    });
    const weighted = (terms: number[]) => terms.reduce((s, l, i) => s + w[i]! * l, 0) / 3.5;
    const lCtr = weighted(ctr.map((l, i) => bce(click[i]!, sigmoid(l))));
    const lCtcvr = weighted(pCtcvr.map((p, i) => bce(clickAndBuy[i]!, p)));
    // Rows 0 (w 2, huber 0.125) and 3 (w 0.5, huber 1.5).
    const lGmv = (2 * 0.125 + 0.5 * 1.5) / 2.5;
    assertClose([num(result.perTask["ctr"]!)], [lCtr], 1e-6, "ctr");
    assertClose([num(result.perTask["ctcvr"]!)], [lCtcvr], 1e-5, "ctcvr");
    assertClose([num(result.perTask["gmv"]!)], [lGmv], 1e-6, "gmv");
    assert.throws(() => computeLoss(ir, out, { labels: { ctr: tf.tensor1d(click), ctcvr: tf.tensor1d(clickAndBuy), gmv: tf.tensor1d(gmvLabel) } }), /task 'ctr' has a sample weight, but the batch has no mask for it/);
  });
});

/** Outputs for an IR with the given logits/values per task, as computed by hand. */
function outputs(logits: Record<string, number[]>, values: Record<string, number[]>): TaskOutputs {
  const v: Record<string, tf.Tensor> = {};
  const l: Record<string, tf.Tensor> = {};
  for (const [k, xs] of Object.entries(logits)) {
    l[k] = tf.tensor2d(xs, [xs.length, 1]);
    v[k] = tf.tensor2d(xs.map(sigmoid), [xs.length, 1]);
  }
  for (const [k, xs] of Object.entries(values)) v[k] = tf.tensor2d(xs, [xs.length, 1]);
  return { values: v, logits: l };
}

test("esmm: the latent cvr has no loss; ctcvr's BCE is on ctr * cvr; where masks gmv", () => {
  const ir = esmmIR();
  const { ctr, click, clickAndBuy, gmvLabel } = ESMM_ROWS;
  tf.tidy(() => {
    const { out, pCtcvr } = esmmOutputs();
    const result = computeLoss(ir, out, {
      labels: { ctr: tf.tensor1d(click), ctcvr: tf.tensor1d(clickAndBuy), gmv: tf.tensor1d(gmvLabel) },
      masks: { gmv: tf.tensor1d(clickAndBuy) },
    });
    assert.deepEqual(Object.keys(result.perTask).sort(), ["ctcvr", "ctr", "gmv"]);
    const lCtr = mean(ctr.map((l, i) => bce(click[i]!, sigmoid(l))));
    const lCtcvr = mean(pCtcvr.map((p, i) => bce(clickAndBuy[i]!, p)));
    // Rows 0 and 3 only: |e| = 0.5 -> 0.125 and |e| = 2 -> 1.5.
    const lGmv = (0.125 + 1.5) / 2;
    assertClose([num(result.perTask["ctr"]!)], [lCtr], 1e-6, "ctr");
    assertClose([num(result.perTask["ctcvr"]!)], [lCtcvr], 1e-5, "ctcvr");
    assertClose([num(result.perTask["gmv"]!)], [lGmv], 1e-6, "gmv");
    assertClose([num(result.total)], [lCtr + lCtcvr + lGmv], 1e-5, "total");
    assert.equal(result.logVariances, null);
  });
});

test("a task whose mask is all zero contributes 0, not NaN", () => {
  const ir = esmmIR();
  tf.tidy(() => {
    const out = outputs({ ctr: [1, 2], cvr: [0, 0] }, { ctcvr: [0.3, 0.4], gmv: [5, 6], egmv: [1, 1] });
    const result = computeLoss(ir, out, {
      labels: { ctr: tf.tensor1d([1, 0]), ctcvr: tf.tensor1d([0, 0]), gmv: tf.tensor1d([0, 0]) },
      masks: { gmv: tf.tensor1d([0, 0]) },
    });
    assert.equal(num(result.perTask["gmv"]!), 0);
    assert.ok(Number.isFinite(num(result.total)));
  });
});

test("fixed weighting is the task-weighted sum", () => {
  const ir = modelIR("w", [], [
    binaryTask("a", "input", "a", { weight: 2 }),
    regressionTask("b", "input", "b", { weight: 0.5 }),
  ]);
  tf.tidy(() => {
    const out = outputs({ a: [0.2, -0.4] }, { b: [1, 3] });
    const r = computeLoss(ir, out, { labels: { a: tf.tensor2d([[1], [0]]), b: tf.tensor1d([0, 1]) } });
    const la = mean([bce(1, sigmoid(0.2)), bce(0, sigmoid(-0.4))]);
    const lb = (1 + 4) / 2;
    assertClose([num(r.total)], [2 * la + 0.5 * lb], 1e-6, "total");
  });
});

test("uncertainty weighting by hand: exp(-s) L + s/2 (bce), 0.5 exp(-s) L + s/2 (regression)", () => {
  const ir: ValidIR = modelIR("u", [], [
    binaryTask("a", "input", "a", { weight: 7 }),
    regressionTask("b", "input", "b"),
    regressionTask("c", "input", "c", { loss: { type: "huber", delta: 1 } }),
    binaryTask("latent", "input", null),
  ]);
  ir.train = train({ weighting: "uncertainty" });
  const weights = createUncertaintyWeights(ir);
  assert.deepEqual(Object.keys(weights.variables).sort(), ["a", "b", "c"]);
  weights.variables["a"]!.assign(tf.scalar(0.5));
  weights.variables["b"]!.assign(tf.scalar(-0.3));
  weights.variables["c"]!.assign(tf.scalar(1.2));
  tf.tidy(() => {
    const out = outputs({ a: [0.2, -0.4], latent: [0, 0] }, { b: [1, 3], c: [0, 4] });
    const r = computeLoss(ir, out, { labels: { a: tf.tensor1d([1, 0]), b: tf.tensor1d([0, 1]), c: tf.tensor1d([0, 0]) } }, weights);
    const la = mean([bce(1, sigmoid(0.2)), bce(0, sigmoid(-0.4))]);
    const lb = 2.5;
    const lc = (0 + 3.5) / 2;
    const expected =
      Math.exp(-0.5) * la + 0.25 + 0.5 * Math.exp(0.3) * lb - 0.15 + 0.5 * Math.exp(-1.2) * lc + 0.6;
    assertClose([num(r.total)], [expected], 1e-5, "total");
    assert.equal(r.logVariances, weights.variables);
    assert.deepEqual(Object.keys(r.perTask).sort(), ["a", "b", "c"]);
  });
  const before = tf.memory().numTensors;
  weights.dispose();
  assert.equal(tf.memory().numTensors, before - 3);
});

test("uncertainty gradients on s follow the paper's terms", () => {
  const ir: ValidIR = modelIR("u", [], [binaryTask("a", "input", "a"), regressionTask("b", "input", "b")]);
  ir.train = train({ weighting: "uncertainty" });
  const weights = createUncertaintyWeights(ir);
  const out = outputs({ a: [0.7] }, { b: [2] });
  const labels = { a: tf.tensor1d([0]), b: tf.tensor1d([0]) };
  const { grads } = tf.variableGrads(() => computeLoss(ir, out, { labels }, weights).total, Object.values(weights.variables));
  const la = bce(0, sigmoid(0.7));
  // At s = 0: d/ds [exp(-s) L + s/2] = -L + 0.5; d/ds [0.5 exp(-s) L + s/2] = -0.5 L + 0.5.
  const names = Object.keys(grads);
  assertClose(grads[names.find((n) => n.endsWith("logvar_a"))!]!.dataSync(), [-la + 0.5], 1e-5, "ds_a");
  assertClose(grads[names.find((n) => n.endsWith("logvar_b"))!]!.dataSync(), [-0.5 * 4 + 0.5], 1e-5, "ds_b");
  tf.dispose([grads, labels, out.values, out.logits]);
  weights.dispose();
});

test("missing labels, masks or weights are reported by task name", () => {
  const ir = esmmIR();
  tf.tidy(() => {
    const out = outputs({ ctr: [1], cvr: [0] }, { ctcvr: [0.3], gmv: [5], egmv: [1] });
    assert.throws(() => computeLoss(ir, out, { labels: { ctr: tf.tensor1d([1]), ctcvr: tf.tensor1d([0]) } }), /no labels for task 'gmv'/);
    assert.throws(
      () => computeLoss(ir, out, { labels: { ctr: tf.tensor1d([1]), ctcvr: tf.tensor1d([0]), gmv: tf.tensor1d([1]) } }),
      /task 'gmv' has 'where', but the batch has no mask/,
    );
    const uncertain = { ...ir, train: train({ weighting: "uncertainty" }) };
    assert.throws(() => computeLoss(uncertain, out, { labels: {} }), /createUncertaintyWeights/);
  });
});

test("a binary product of a regression factor never reaches the loss: the gate refuses it", () => {
  assert.throws(
    () => modelIR("p", [], [binaryTask("ctr", "input", "click"), regressionTask("gmv", "input", "gmv"), productTask("bad", "binary", ["ctr", "gmv"], "y")]),
    /\/tasks\/2\/type: a product of these factors is regression, not binary/,
  );
});
