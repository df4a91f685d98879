/**
 * Whole training steps, not just products: every architecture trained a few
 * Adam steps on wasm with its products on XNNPACK, on a JS sgemm (the native
 * path's own logic) and on OpenBLAS gives the losses and weights the cpu
 * backend gives, and so do the trained models' predictions (inference fuses
 * bias and ReLU into the product, which training under a gradient tape
 * does not).
 */
import { after, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { loadNativeBlas, type NativeBlas } from "../../../../src/runtime/backend/blas/native-blas.js";
import { selectBackend } from "../../../../src/runtime/backend/select.js";
import { buildModel } from "../../../../src/runtime/graph/build-model.js";
import { predictTasks } from "../../../../src/runtime/graph/forward.js";
import { createTrainStep, type TrainBatch } from "../../../../src/runtime/graph/train-step.js";
import { ARCHITECTURES, assertClose, inputTensors, rawBatch } from "../../graph/fixtures.js";
import { referenceBlas, withNativeBlas } from "../helpers.js";

after(() => selectBackend("cpu"));

const STEPS = 3;

function batch(seed: number): TrainBatch {
  const raw = rawBatch(48, seed);
  const click = raw.user.map((u) => (u < 5 ? 1 : 0));
  const buy = raw.item.map((i, r) => (click[r]! === 1 && i < 6 ? 1 : 0));
  return {
    inputs: inputTensors(raw),
    labels: { ctr: tf.tensor1d(click), cvr: tf.tensor1d(buy), ctcvr: tf.tensor1d(buy), gmv: tf.tensor1d(raw.price.map((p) => 2 * p + 1)) },
    masks: { gmv: tf.tensor1d(buy) },
  };
}

/** Losses of each step, every weight, and every task's predictions on a fresh batch, as plain numbers. */
function trainOnCurrentBackend(architecture: string): { losses: number[]; weights: Map<string, Float32Array>; predictions: Map<string, Float32Array> } {
  const ir = ARCHITECTURES[architecture]!();
  ir.train.optimizer = { type: "adam", lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  const built = buildModel(ir);
  const step = createTrainStep(built);
  const losses: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const b = batch(i + 1);
    losses.push(step.run(b).total);
    tf.dispose([b.inputs, b.labels, b.masks ?? {}]);
  }
  step.dispose();
  const weights = new Map(built.model.weights.map((w) => [w.originalName, w.read().dataSync().slice() as Float32Array]));
  const inputs = inputTensors(rawBatch(64, 99));
  const scores = predictTasks(built.model, inputs);
  const predictions = new Map(Object.entries(scores).map(([task, t]) => [task, t.dataSync().slice() as Float32Array]));
  tf.dispose([inputs, scores]);
  built.model.dispose();
  return { losses, weights, predictions };
}

const engines: [string, NativeBlas | null][] = [
  ["XNNPACK", null],
  ["JS sgemm", referenceBlas],
];
const openBlas = loadNativeBlas({});
if (openBlas.blas !== null) engines.push(["OpenBLAS", openBlas.blas]);

for (const architecture of Object.keys(ARCHITECTURES)) {
  test(`${architecture}: ${STEPS} Adam steps on wasm (${engines.map(([name]) => name).join(", ")}) match cpu`, async () => {
    await selectBackend("cpu");
    const expected = trainOnCurrentBackend(architecture);
    for (const [engine, blas] of engines) {
      const actual = await withNativeBlas(blas, async () => {
        await selectBackend("wasm");
        return trainOnCurrentBackend(architecture);
      });
      assertClose(actual.losses, expected.losses, 1e-5, `${engine}: losses`);
      // Adam divides by the root mean square of each gradient, which magnifies
      // rounding in near-zero gradients; a wrong product is off by far more.
      for (const [name, values] of expected.weights) assertClose(actual.weights.get(name)!, values, 1e-4, `${engine}: ${name}`);
      for (const [task, values] of expected.predictions) assertClose(actual.predictions.get(task)!, values, 1e-4, `${engine}: predictions of ${task}`);
    }
  });
}
