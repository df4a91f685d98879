/**
 * The generated PyTorch module against mtl's TF.js runtime: for every
 * example spec (and one covering sequences, vocabularies, a shared table,
 * sample weights, batch norm, dropout, every activation, uncertainty
 * weighting and l2, one chaining three AITM steps, and ESCM²'s IPS), the same random
 * weights, loaded into both from one model folder, must give the same
 * predictions, the same loss and the same gradients of every weight on the
 * same batch (dropout off for the training pass: its random masks cannot
 * be compared).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { graphInputs } from "../../../src/ir/blocks.js";
import { test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { writeTorchPackage } from "../../../src/codegen/torch/index.js";
import type { ValidIR } from "../../../src/ir/types.js";
import { computeLoss } from "../../../src/runtime/loss/compute-loss.js";
import { createUncertaintyWeights } from "../../../src/runtime/loss/uncertainty.js";
import { buildModel, saveModel } from "../../../src/runtime/graph/index.js";
import { forward, predictTasks } from "../../../src/runtime/graph/forward.js";
import { seededRandom } from "../../helpers/random.js";
import { repoRoot } from "../../helpers/paths.js";
import { AITM_CHAIN_SPEC, compileSpecText, COVERAGE_SPEC, ESCM2_IPS_SPEC, EXAMPLE_SPECS, runProbe, scratchDir, torchOrSkip } from "./torch-helpers.js";

const ROWS = 16;

interface Case {
  name: string;
  ir: ValidIR;
  predictions: Record<string, Float32Array>;
  loss: number;
  gradients: Map<string, Float32Array>;
  request: Record<string, unknown>;
}

type Arrays = Record<string, { shape: number[]; values: number[] }>;

function randomBatch(ir: ValidIR, random: () => number) {
  const rows = new Map(ir.tables.map((t) => [t.name, t.rows]));
  const features: Arrays = {};
  // One array per model input: a numeric block's features side by side.
  for (const input of graphInputs(ir)) {
    if (input.kind === "numericBlock") {
      const width = input.features.length;
      features[input.name] = { shape: [ROWS, width], values: Array.from({ length: ROWS * width }, () => (random() - 0.5) * 4) };
      continue;
    }
    const f = input.feature;
    if (f.kind === "numeric") {
      features[f.name] = { shape: [ROWS, 1], values: Array.from({ length: ROWS }, () => (random() - 0.5) * 4) };
    } else if (f.kind === "categorical") {
      features[f.name] = { shape: [ROWS, 1], values: Array.from({ length: ROWS }, () => Math.floor(random() * rows.get(f.table)!)) };
    } else {
      // Some rows empty, the rest padded at the end as the encoder pads them.
      const values = Array.from({ length: ROWS }, (_, r) => {
        const used = r % 4 === 0 ? 0 : 1 + Math.floor(random() * f.maxLen);
        return Array.from({ length: f.maxLen }, (_, j) => (j < used ? Math.floor(random() * rows.get(f.table)!) : -1));
      }).flat();
      features[f.name] = { shape: [ROWS, f.maxLen], values };
    }
  }
  const labels: Arrays = {};
  const masks: Arrays = {};
  for (const t of ir.tasks) {
    if (t.label !== null) {
      labels[t.name] = { shape: [ROWS], values: Array.from({ length: ROWS }, () => (t.type === "binary" ? (random() < 0.4 ? 1 : 0) : random() * 3)) };
    }
    // A mask is the row's weight: the `where` value times the sample weight.
    const where = (r: number) => (t.where === null || r % 3 !== 0 ? 1 : 0);
    const weight = () => (t.sampleWeight === undefined ? 1 : [0, 0.5, 1, 2.5][Math.floor(random() * 4)]!);
    if (t.where !== null || t.sampleWeight !== undefined) masks[t.name] = { shape: [ROWS], values: Array.from({ length: ROWS }, (_, r) => where(r) * weight()) };
  }
  return { features, labels, masks };
}

function tensors(arrays: Arrays, ir: ValidIR, float: boolean): Record<string, tf.Tensor> {
  const numeric = new Set([...ir.features.filter((f) => f.kind === "numeric").map((f) => f.name), ...ir.numericBlocks.map((b) => b.name)]);
  return Object.fromEntries(Object.entries(arrays).map(([k, a]) => [k, tf.tensor(a.values, a.shape, float || numeric.has(k) ? "float32" : "int32")]));
}

/** The TF.js side of one spec: random weights saved as a model folder, predictions, loss and gradients. */
async function tfjsCase(name: string, ir: ValidIR, dir: string): Promise<Case> {
  const random = seededRandom(name.length * 7919 + 1);
  // Dropout is off in the training pass on both sides; its layers hold no weights, so the weights are the spec's.
  const quiet: ValidIR = structuredClone(ir);
  for (const node of quiet.nodes) if (node.op === "mlp") node.dropout = 0;
  const built = buildModel(quiet);
  for (const w of built.model.weights) {
    const size = w.shape.reduce((n: number, d) => n * d!, 1);
    const values = Float32Array.from({ length: size }, () => (w.originalName.endsWith("moving_variance") ? 0.5 + random() : random() - 0.5));
    w.write(tf.tensor(values, w.shape as number[]));
  }
  await saveModel(built.model, join(dir, "weights"));
  const batch = randomBatch(ir, random);
  const features = tensors(batch.features, ir, false);
  const labels = tensors(batch.labels, ir, true);
  const masks = tensors(batch.masks, ir, true);
  const predicted = predictTasks(built.model, features);
  const predictions = Object.fromEntries(Object.entries(predicted).map(([task, t]) => [task, t.dataSync() as Float32Array]));
  const uncertainty = ir.train.weighting === "uncertainty" ? createUncertaintyWeights(quiet) : undefined;
  const variables = built.trainingModel.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(() => {
    const loss = computeLoss(quiet, forward(built, features, true), { labels, masks }, uncertainty);
    const kernels = built.trainingModel.layers.filter((l) => l.getClassName() === "Dense").map((l) => l.trainableWeights.find((w) => w.originalName.endsWith("/kernel"))!.read());
    const l2 = tf.mul(ir.train.l2, tf.addN(kernels.map((k) => tf.sum(tf.square(k)))));
    return tf.add(loss.total, l2) as tf.Scalar;
  }, variables);
  const gradients = new Map(built.trainingModel.trainableWeights.map((w) => [w.originalName, grads[(w.read() as tf.Variable).name]!.dataSync() as Float32Array]));
  const loss = value.dataSync()[0]!;
  uncertainty?.dispose();
  built.model.dispose();
  return { name, ir, predictions, loss, gradients, request: { package: join(dir, "package"), weights: join(dir, "weights"), ...batch } };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

test("every example spec: the same weights give the same predictions, loss and gradients in TF.js and in the generated PyTorch module", async (t) => {
  const python = torchOrSkip(t);
  if (python === null) return;
  const specs = [...EXAMPLE_SPECS.map((name) => ({ name, text: readFileSync(join(repoRoot(), "specs", name), "utf8") })), { name: "coverage.mtl", text: COVERAGE_SPEC }, { name: "aitm-chain.mtl", text: AITM_CHAIN_SPEC }, { name: "escm2-ips.mtl", text: ESCM2_IPS_SPEC }];
  const root = scratchDir("equivalence");
  const cases: Case[] = [];
  for (const { name, text } of specs) {
    const ir = compileSpecText(text, name);
    const dir = join(root, name.replace(/\.mtl$/, ""));
    await writeTorchPackage(join(dir, "package"), ir, text);
    cases.push(await tfjsCase(name, ir, dir));
  }
  const { results } = runProbe(python, { cases: cases.map((c) => c.request) }) as {
    results: { predictions: Record<string, number[]>; loss: number; gradients: Record<string, number[]> }[];
  };
  cases.forEach((c, i) => {
    const torch = results[i]!;
    for (const task of c.ir.tasks) {
      const diff = maxAbsDiff(c.predictions[task.name]!, torch.predictions[task.name]!);
      assert.ok(diff <= 1e-5, `${c.name}: task '${task.name}' predictions differ by ${diff}`);
    }
    assert.ok(Math.abs(c.loss - torch.loss) <= 1e-5 * Math.max(1, Math.abs(c.loss)), `${c.name}: loss ${c.loss} (TF.js) vs ${torch.loss} (PyTorch)`);
    assert.deepEqual(Object.keys(torch.gradients).sort(), [...c.gradients.keys()].sort(), `${c.name}: the same weights have gradients`);
    for (const [weight, grad] of c.gradients) {
      const diff = maxAbsDiff(grad, torch.gradients[weight]!);
      assert.ok(diff <= 1e-5, `${c.name}: the gradient of '${weight}' differs by ${diff}`);
    }
  });
});
