import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../../src/compiler.js";
import { computeLoss } from "../../../src/runtime/loss/compute-loss.js";
import { debiasedLoss } from "../../../src/runtime/loss/debias.js";
import { assertClose, useCpu } from "../graph/fixtures.js";

before(useCpu);

// Four impressions: e the CVR loss, o the click, p̂ the predicted CTR, ê the imputed loss.
const e = [0.5, 1.2, 0.3, 2.0];
const o = [1, 0, 1, 1];
const p = [0.5, 0.9, 0.02, 0.25]; // row 2 is below the clip 0.05
const imputed = [0.4, 0.7, 0.1, 1.0];

function scalar(t: tf.Tensor): number {
  const v = t.dataSync()[0]!;
  t.dispose();
  return v;
}

test("IPS: the clicked rows' losses over their clipped propensities, averaged over every row", () => {
  const loss = scalar(tf.tidy(() => debiasedLoss({ perRow: tf.tensor1d(e), mask: tf.tensor1d(o), propensity: tf.tensor1d(p), imputed: null, clip: 0.05 })));
  // (0.5/0.5 + 0.3/0.05 + 2.0/0.25) / 4: the unclicked row counts in N but adds nothing; row 2's 0.02 is clipped to 0.05.
  assertClose([loss], [(1 + 6 + 8) / 4], 1e-6, "ips");
  const unclipped = scalar(tf.tidy(() => debiasedLoss({ perRow: tf.tensor1d(e), mask: tf.tensor1d(o), propensity: tf.tensor1d(p), imputed: null, clip: 0.01 })));
  assertClose([unclipped], [(1 + 15 + 8) / 4], 1e-6, "a clip below every propensity changes nothing");
});

test("DR: imputed loss on every row, corrected on clicked rows, plus the imputation loss", () => {
  const loss = scalar(tf.tidy(() => debiasedLoss({ perRow: tf.tensor1d(e), mask: tf.tensor1d(o), propensity: tf.tensor1d(p), imputed: tf.tensor1d(imputed), clip: 0.05 })));
  // Σ ê = 2.2; Σ o (e − ê)/p = 0.1/0.5 + 0.2/0.05 + 1/0.25 = 8.2; Σ o (e − ê)²/p = 0.01/0.5 + 0.04/0.05 + 1/0.25 = 4.82.
  assertClose([loss], [(2.2 + 8.2 + 4.82) / 4], 1e-5, "dr");
});

test("gradients: none reaches the propensity, nor e through the imputation loss; ê gets both terms'", () => {
  const [ge, gp, gi] = tf.grads((pe: tf.Tensor, pp: tf.Tensor, pi: tf.Tensor) =>
    debiasedLoss({ perRow: pe as tf.Tensor1D, mask: tf.tensor1d(o), propensity: pp as tf.Tensor1D, imputed: pi as tf.Tensor1D, clip: 0.05 }),
  )([tf.tensor1d(e), tf.tensor1d(p), tf.tensor1d(imputed)]);
  const pc = [0.5, 0.9, 0.05, 0.25];
  // dL/de_i = o_i / (p_i N), as for IPS; dL/dê_i = (1 − o_i/p_i − 2 o_i (e_i − ê_i)/p_i) / N.
  assertClose(Array.from(ge!.dataSync()), e.map((_, i) => o[i]! / pc[i]! / 4), 1e-5, "d/de");
  assertClose(Array.from(gp!.dataSync()), [0, 0, 0, 0], 0, "d/dp");
  assertClose(Array.from(gi!.dataSync()), imputed.map((v, i) => (1 - o[i]! / pc[i]! - (2 * o[i]! * (e[i]! - v)) / pc[i]!) / 4), 1e-5, "d/dê");
  tf.dispose([ge!, gp!, gi!]);
});

test("a non-finite loss on an unclicked row does not leak into the debiased loss", () => {
  const loss = scalar(tf.tidy(() => debiasedLoss({ perRow: tf.tensor1d([0.5, NaN, 0.3, 2.0]), mask: tf.tensor1d(o), propensity: tf.tensor1d(p), imputed: null, clip: 0.05 })));
  assertClose([loss], [15 / 4], 1e-6, "NaN outside the mask");
});

test("computeLoss: a spec's debias ips(ctr) divides cvr's BCE by ctr's probability, and the weights combine the risks", () => {
  const spec = `model m
feature u : categorical(buckets: 10, dim: 2)
input x = concat(*)
tower t1 = mlp(x, [2])
tower t2 = mlp(x, [2])
task ctr : binary = t1 label click
task cvr : binary = t2 label buy where click debias ips(ctr, clip: 0.05) weight 0.5
task ctcvr : binary = ctr * cvr label buy weight 2
`;
  const ir = compileSource(spec, "m.mtl").ir!;
  const ctrLogits = [0, 2.1972246, -3.8918203, -1.0986123]; // sigmoid: 0.5, 0.9, 0.02, 0.25
  const cvrLogits = [0.3, -0.4, 1.1, -2];
  const click = o;
  const buy = [1, 0, 0, 1];
  const sig = (l: number) => 1 / (1 + Math.exp(-l));
  const bce = (y: number, q: number) => -(y * Math.log(q) + (1 - y) * Math.log(1 - q));
  const result = tf.tidy(() => {
    const logits = { ctr: tf.tensor1d(ctrLogits), cvr: tf.tensor1d(cvrLogits) };
    const values = { ctr: tf.sigmoid(logits.ctr), cvr: tf.sigmoid(logits.cvr), ctcvr: tf.mul(tf.sigmoid(logits.ctr), tf.sigmoid(logits.cvr)) };
    const labels = { ctr: tf.tensor1d(click), cvr: tf.tensor1d(buy), ctcvr: tf.tensor1d(buy) };
    const { total, perTask } = computeLoss(ir, { values, logits }, { labels, masks: { cvr: tf.tensor1d(click) } });
    return { total: total.dataSync()[0]!, ctr: perTask.ctr!.dataSync()[0]!, cvr: perTask.cvr!.dataSync()[0]!, ctcvr: perTask.ctcvr!.dataSync()[0]! };
  });
  const pc = ctrLogits.map((l) => Math.max(sig(l), 0.05));
  const cvr = cvrLogits.reduce((s, l, i) => s + (click[i]! * bce(buy[i]!, sig(l))) / pc[i]!, 0) / 4;
  const ctr = ctrLogits.reduce((s, l, i) => s + bce(click[i]!, sig(l)), 0) / 4;
  const ctcvr = ctrLogits.reduce((s, l, i) => s + bce(buy[i]!, sig(l) * sig(cvrLogits[i]!)), 0) / 4;
  assertClose([result.cvr, result.ctr, result.ctcvr], [cvr, ctr, ctcvr], 1e-5, "per task");
  // ESCM²: L_CTR + λ_c L_CVR + λ_g L_CTCVR, the λs being the tasks' weights.
  assertClose([result.total], [ctr + 0.5 * cvr + 2 * ctcvr], 1e-5, "total");
  assert.ok(cvr > 0);
});
