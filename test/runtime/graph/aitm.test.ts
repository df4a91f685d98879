/**
 * AITM's adaptive information transfer as the runtime builds it, against the
 * paper's formulas computed by hand on a tiny batch with chosen weights.
 */
import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../../src/compiler.js";
import { planLayers } from "../../../src/plan/layer-plan.js";
import { AitAttention } from "../../../src/portable/layers.js";
import { buildModel } from "../../../src/runtime/graph/build-model.js";
import { predictTasks } from "../../../src/runtime/graph/forward.js";
import { assertClose, useCpu } from "./fixtures.js";

before(useCpu);

const SPEC = `model ait
feature a : numeric()
tower t1 = mlp(a, [2])
tower t2 = mlp(a, [3])
task ctr : binary = t1 label click
task buy : binary = t2 label purchase after ctr calibrate 0.5
`;

type Matrix = number[][];
const relu = (v: number[]) => v.map((x) => Math.max(x, 0));
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
/** x @ kernel + bias, Keras' Dense: kernel [in, out]. */
const dense = (x: number[], kernel: Matrix, bias?: number[]) => kernel[0]!.map((_, j) => x.reduce((s, xi, i) => s + xi * kernel[i]![j]!, bias?.[j] ?? 0));
const dot = (u: number[], v: number[]) => u.reduce((s, x, i) => s + x * v[i]!, 0);

const W = {
  t1: { kernel: [[0.8, -0.6]], bias: [0.1, 0.9] },
  t2: { kernel: [[0.5, -1.2, 0.3]], bias: [0.2, 0.4, -0.1] },
  ctrHead: { kernel: [[1.1], [-0.7]], bias: [-0.2] },
  transfer: { kernel: [[0.4, -0.9, 1.3], [0.6, 0.2, -0.5]], bias: [0.05, 0.3, 0.1] },
  value: [[0.3, -0.2, 0.5], [0.1, 0.9, -0.4], [-0.6, 0.2, 0.7]],
  query: [[1.0, 0.4, -0.3], [-0.5, 0.6, 0.2], [0.3, -0.8, 0.9]],
  key: [[0.2, 0.7, -1.1], [0.9, -0.3, 0.4], [-0.4, 0.5, 0.6]],
  buyHead: { kernel: [[0.7], [-1.3], [0.45]], bias: [0.15] },
};

/** The paper's AIT module for one row: z_1 = q_1, p_1 = relu(T z_1 + b), z_2 = sum_u softmax_u(<h2 u, h3 u> / sqrt(k)) h1 u. */
function byHand(a: number): { ctr: number; buy: number; weights: number[] } {
  const q1 = relu(dense([a], W.t1.kernel, W.t1.bias));
  const q2 = relu(dense([a], W.t2.kernel, W.t2.bias));
  const ctr = sigmoid(dense(q1, W.ctrHead.kernel, W.ctrHead.bias)[0]!);
  const p1 = relu(dense(q1, W.transfer.kernel, W.transfer.bias));
  const stack = [p1, q2];
  const scores = stack.map((u) => dot(dense(u, W.query), dense(u, W.key)) / Math.sqrt(3));
  const exp = scores.map((s) => Math.exp(s - Math.max(...scores)));
  const weights = exp.map((e) => e / (exp[0]! + exp[1]!));
  const z2 = [0, 1, 2].map((j) => stack.reduce((s, u, k) => s + weights[k]! * dense(u, W.value)[j]!, 0));
  const buy = sigmoid(dense(z2, W.buyHead.kernel, W.buyHead.bias)[0]!);
  return { ctr, buy, weights };
}

test("the transfer's layers are named after the task, and the head reads the attention's output", () => {
  const result = compileSource(SPEC, "ait.mtl");
  assert.ok(result.ir, result.diagnostics.map((d) => d.message).join("; "));
  const plan = planLayers(result.ir);
  const buySteps = plan.steps.filter((s) => s.owner.name === "buy").map((s) => `${s.layer}(${s.inputs.join(", ")}) ${JSON.stringify(s.shape)}`);
  assert.deepEqual(buySteps, [
    "aitm_buy_transfer(tower_t1_dense_0) [3]",
    "aitm_buy_from_row(aitm_buy_transfer) [1,3]",
    "aitm_buy_own_row(tower_t2_dense_0) [1,3]",
    "aitm_buy_stack(aitm_buy_from_row, aitm_buy_own_row) [2,3]",
    "aitm_buy_value(aitm_buy_stack) [2,3]",
    "aitm_buy_query(aitm_buy_stack) [2,3]",
    "aitm_buy_key(aitm_buy_stack) [2,3]",
    "aitm_buy_attention(aitm_buy_query, aitm_buy_key, aitm_buy_value) [3]",
    "task_buy_head(aitm_buy_attention) [1]",
    "buy(task_buy_head) [1]",
  ]);
});

test("the runtime's AITM predictions match the paper's formulas computed by hand", () => {
  const ir = compileSource(SPEC, "ait.mtl").ir!;
  const built = buildModel(ir);
  const set = (layer: string, ...values: (Matrix | number[])[]) =>
    built.model.getLayer(layer).setWeights(values.map((v) => tf.tensor(v as number[][])));
  set("tower_t1_dense_0", W.t1.kernel, W.t1.bias);
  set("tower_t2_dense_0", W.t2.kernel, W.t2.bias);
  set("task_ctr_head", W.ctrHead.kernel, W.ctrHead.bias);
  set("aitm_buy_transfer", W.transfer.kernel, W.transfer.bias);
  set("aitm_buy_value", W.value);
  set("aitm_buy_query", W.query);
  set("aitm_buy_key", W.key);
  set("task_buy_head", W.buyHead.kernel, W.buyHead.bias);

  const rows = [-1.5, 0, 0.7, 2.4];
  const expected = rows.map(byHand);
  // The rows weigh p and q differently (the attention is not a constant mix).
  const pWeights = expected.map((e) => e.weights[0]!);
  assert.ok(Math.max(...pWeights) - Math.min(...pWeights) > 0.05, `attention weights on p: ${pWeights}`);
  const inputs = Object.fromEntries(built.inputNames.map((name) => [name, tf.tensor2d(rows, [rows.length, 1])]));
  const predicted = predictTasks(built.model, inputs);
  assertClose(predicted["ctr"]!.dataSync(), expected.map((e) => e.ctr), 1e-6, "ctr");
  assertClose(predicted["buy"]!.dataSync(), expected.map((e) => e.buy), 1e-6, "buy");
  built.model.dispose();
});

test("AitAttention on a stack of two: the softmax of scaled dot products weighs the values", () => {
  // One row, k = 2. Scores: <(1, 0), (2, 0)> / sqrt 2 = sqrt 2 for u = p, <(0, 1), (0, -1)> / sqrt 2 = -1/sqrt 2 for u = q.
  const query = tf.tensor3d([[[1, 0], [0, 1]]]);
  const key = tf.tensor3d([[[2, 0], [0, -1]]]);
  const value = tf.tensor3d([[[10, 0], [0, 10]]]);
  const out = new AitAttention({}).apply([query, key, value]) as tf.Tensor;
  const wp = 1 / (1 + Math.exp(-1 / Math.SQRT2 - Math.SQRT2));
  assertClose(out.dataSync(), [10 * wp, 10 * (1 - wp)], 1e-6, "z");
  assert.deepEqual(out.shape, [1, 2]);
});
