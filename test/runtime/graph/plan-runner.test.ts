/**
 * The plan runner (src/runtime/graph/plan-runner.ts) computes what
 * tf.LayersModel.apply computes: for every architecture, with dropout and
 * batch norm, on both backends, the same inference outputs, losses,
 * gradients, and weights after Adam steps as a model built with
 * `{ plain: true }`, within float rounding (the fused products sum in
 * another order). The fixtures' input concatenation mixes embedding lookups
 * (done as one operation), a pooled sequence and a numeric column.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { compileSource } from "../../../src/compiler.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { computeLoss } from "../../../src/runtime/loss/compute-loss.js";
import { selectBackend } from "../../../src/runtime/backend/select.js";
import { buildModel, type BuiltModel } from "../../../src/runtime/graph/build-model.js";
import { forward, predictTasks } from "../../../src/runtime/graph/forward.js";
import { createTrainStep, type TrainBatch } from "../../../src/runtime/graph/train-step.js";
import { ARCHITECTURES, assertClose, esmmIR, inputTensors, mlp, omoeIR, rawBatch } from "./fixtures.js";

const TOLERANCE = 1e-5;

after(() => selectBackend("cpu"));

/** The MMoE synthetic experiment's shape in small: a numeric block, one-layer experts whose stack is a reshape of one product. */
const SYNTHETIC = `
model synthetic "small MMoE on a numeric block"
feature x[6] : numeric(transform: none, normalize: none, fill: zero)
input all = concat(*)
expert e[4] = mlp(all, [5])
gate g_y1 = softmax(all) over e
gate g_y2 = softmax(all) over e
tower y1_tower = mlp(g_y1, [3])
tower y2_tower = mlp(g_y2, [3])
task y1 : regression = y1_tower label y1 loss mse
task y2 : binary = y2_tower label y2
train { optimizer: adam(lr: 0.05) batch: 16 seed: 3 }
`;

function syntheticIR(): ValidIR {
  const result = compileSource(SYNTHETIC, "synthetic.mtl");
  assert.ok(result.ir !== undefined, result.diagnostics.map((d) => d.message).join("; "));
  return result.ir;
}

function tanhExperts(): ValidIR {
  const ir = omoeIR();
  const experts = ir.nodes.find((n) => n.name === "experts")!;
  if (experts.op === "mlp") experts.activation = "tanh";
  return ir;
}

/** A table far larger than a batch: its dense gradient goes through TF.js's segment sum (lookup-concat.ts). */
function largeTable(): ValidIR {
  const ir = ARCHITECTURES["mmoe"]!();
  ir.tables = ir.tables.map((t) => (t.name === "user" ? { ...t, rows: 500 } : t));
  return ir;
}

/** First expert layers whose product at 16 rows (16 x 3 x 1,400 values) is past MAX_SPLIT_VALUES: each expert is its own product. */
function wideExperts(): ValidIR {
  const ir = ARCHITECTURES["mmoe"]!();
  const experts = ir.nodes.find((n) => n.name === "experts")!;
  if (experts.op === "mlp") experts.units = [1400, 6];
  return ir;
}

/** A tower no task reads: its layers are not in the model, and the runner skips them. */
function unreadTower(): ValidIR {
  const ir = ARCHITECTURES["mmoe"]!();
  ir.nodes.push(mlp("tower", "extra", "g_ctr", [3]));
  return ir;
}

const CASES: Record<string, () => ValidIR> = {
  "mmoe (an unread tower)": unreadTower,
  "mmoe (wide experts)": wideExperts,
  ...ARCHITECTURES,
  "mmoe (a large table)": largeTable,
  "esmm (dropout, batch norm)": () => esmmIR({ dropout: 0.2, batchNorm: true }),
  "omoe (tanh experts)": tanhExperts,
  "synthetic mmoe (numeric block)": syntheticIR,
};

function batchFor(ir: ValidIR, seed: number): TrainBatch {
  const rows = 16;
  const raw = rawBatch(rows, seed);
  const inputs =
    ir.numericBlocks.length > 0
      ? { [ir.numericBlocks[0]!.name]: tf.tensor2d(Array.from({ length: rows * 6 }, (_, i) => Math.sin(i * seed + 1)), [rows, 6]) }
      : inputTensors(raw);
  const click = raw.user.map((u) => (u % 3 === 0 ? 1 : 0));
  const buy = raw.item.map((i, r) => (click[r] === 1 && i % 2 === 0 ? 1 : 0));
  const labels: Record<string, tf.Tensor> = {
    click: tf.tensor1d(click),
    buy: tf.tensor1d(buy),
    click_and_buy: tf.tensor1d(buy),
    gmv: tf.tensor1d(raw.price.map((p) => 2 * p + 1)),
    y1: tf.tensor1d(raw.price),
    y2: tf.tensor1d(click),
  };
  return {
    inputs,
    labels: Object.fromEntries(ir.tasks.filter((t) => t.label !== null).map((t) => [t.name, labels[t.label!.column]!])),
    masks: Object.fromEntries(ir.tasks.filter((t) => t.where !== null).map((t) => [t.name, labels[t.where!.column]!])),
  };
}

function weights(built: BuiltModel): Float32Array[] {
  return built.trainingModel.weights.map((w) => w.read().dataSync().slice() as Float32Array);
}

/** Loss and the gradient of every trainable weight, in trainableWeights order. */
function lossAndGrads(built: BuiltModel, batch: TrainBatch): Float32Array[] {
  const variables = built.trainingModel.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => computeLoss(built.ir, forward(built, batch.inputs, true), batch).total, variables);
  const out = [value.dataSync().slice() as Float32Array, ...variables.map((v) => grads[v.name]!.dataSync().slice() as Float32Array)];
  tf.dispose([value, grads]);
  return out;
}

for (const backend of ["cpu", "wasm"] as const) {
  test(`${backend}: the plan runner gives the plain path's outputs, gradients and trained weights for every architecture`, async () => {
    await selectBackend(backend);
    for (const [name, make] of Object.entries(CASES)) {
      const fast = buildModel(make());
      const plain = buildModel(make(), undefined, { plain: true });
      assert.ok(fast.runner !== null && plain.runner === null);
      weights(plain).forEach((w, i) => assert.deepEqual(weights(fast)[i], w, `${name}: the same initial weights`));
      const batches = [1, 2, 3].map((seed) => batchFor(fast.ir, seed));

      const [fastScores, plainScores] = [fast, plain].map((b) => predictTasks(b.model, batches[0]!.inputs));
      for (const task of Object.keys(plainScores!)) {
        assertClose(fastScores![task]!.dataSync(), plainScores![task]!.dataSync(), TOLERANCE, `${name}: scores of ${task}`);
      }
      const [fastGrads, plainGrads] = [fast, plain].map((b) => lossAndGrads(b, batches[0]!));
      plainGrads!.forEach((g, i) => assertClose(fastGrads![i]!, g, TOLERANCE, `${name}: ${i === 0 ? "loss" : `gradient ${i - 1}`}`));

      const [fastStep, plainStep] = [fast, plain].map((b) => createTrainStep(b));
      for (const batch of [...batches, ...batches]) {
        assertClose([fastStep!.run(batch).total], [plainStep!.run(batch).total], TOLERANCE, `${name}: step loss`);
      }
      const trained = weights(fast);
      weights(plain).forEach((w, i) => assertClose(trained[i]!, w, 1e-4, `${name}: weight ${plain.trainingModel.weights[i]!.originalName} after 6 Adam steps`));
      [fastStep, plainStep].forEach((s) => s!.dispose());
      for (const b of batches) tf.dispose([b.inputs, b.labels, b.masks ?? {}]);
      tf.dispose([fastScores, plainScores]);
    }
  });
}

test("the runner makes one product of dense layers reading one tensor, and an MMoE gate's expert stack a reshape of it", () => {
  const synthetic = buildModel(syntheticIR()).runner!.describe();
  assert.deepEqual(synthetic.products, [
    ["expert_e_0_dense_0", "expert_e_1_dense_0", "expert_e_2_dense_0", "expert_e_3_dense_0"],
    ["gate_g_y1", "gate_g_y2"],
  ]);
  assert.deepEqual(synthetic.stacks, ["gate_g_y1_stack", "gate_g_y2_stack"]);
  // Two-layer experts: the first layers are one product, the stacks read the second layers' outputs.
  const mmoe = buildModel(ARCHITECTURES["mmoe"]!()).runner!.describe();
  assert.deepEqual(mmoe.products[0], ["expert_experts_0_dense_0", "expert_experts_1_dense_0", "expert_experts_2_dense_0"]);
  assert.deepEqual(mmoe.stacks, []);
  // The input concatenation reads two categorical lookups, a pooled sequence and a numeric column.
  assert.deepEqual(mmoe.lookupConcats, ["concat_input"]);
});
