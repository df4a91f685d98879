import { before, test } from "node:test";
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import type { ValidIR, OptimizerIR } from "../../../src/ir/types.js";
import { buildModel, type BuiltModel } from "../../../src/runtime/graph/build-model.js";
import { seedDropoutForStep } from "../../../src/runtime/graph/dropout-seeds.js";
import { forward } from "../../../src/runtime/graph/forward.js";
import { createOptimizer } from "../../../src/runtime/graph/optimizer.js";
import { createTrainStep, type StepLosses, type TrainBatch } from "../../../src/runtime/graph/train-step.js";
import { assertClose, esmmIR, inputTensors, mmoeIR, rawBatch, sharedBottomIR, train, useCpu } from "./fixtures.js";

before(useCpu);

/**
 * A learnable toy problem: clicks depend on the user, purchases on the item,
 * gmv on the price; labels for every task of the fixtures' IRs.
 */
function toyBatch(size: number, seed: number): TrainBatch {
  const raw = rawBatch(size, seed);
  const click = raw.user.map((u) => (u < 5 ? 1 : 0));
  const buy = raw.item.map((i, r) => (click[r]! === 1 && i < 6 ? 1 : 0));
  const gmv = raw.price.map((p) => 2 * p + 1);
  return {
    inputs: inputTensors(raw),
    labels: {
      ctr: tf.tensor1d(click),
      cvr: tf.tensor1d(buy),
      ctcvr: tf.tensor1d(buy),
      gmv: tf.tensor1d(gmv),
    },
    masks: { gmv: tf.tensor1d(buy) },
  };
}

function disposeBatch(batch: TrainBatch): void {
  tf.dispose([batch.inputs, batch.labels, batch.masks ?? {}]);
}

function runSteps(built: BuiltModel, batches: TrainBatch[], steps: number): StepLosses[] {
  const step = createTrainStep(built);
  const losses: StepLosses[] = [];
  for (let i = 0; i < steps; i++) losses.push(step.run(batches[i % batches.length]!));
  step.dispose();
  return losses;
}

function withAdam(ir: ValidIR, lr: number): ValidIR {
  ir.train.optimizer = { type: "adam", lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
  return ir;
}

test("a few hundred steps on a learnable toy problem reduce the loss (ESMM, dropout, batch norm)", () => {
  const built = buildModel(withAdam(esmmIR({ dropout: 0.1, batchNorm: true }), 0.02));
  const batches = [toyBatch(64, 1), toyBatch(64, 2), toyBatch(64, 3)];
  const losses = runSteps(built, batches, 200);
  const first = losses.slice(0, 3).reduce((s, l) => s + l.total, 0) / 3;
  const last = losses.slice(-3).reduce((s, l) => s + l.total, 0) / 3;
  assert.ok(last < 0.4 * first, `loss went from ${first} to ${last}`);
  for (const l of losses) assert.ok(Number.isFinite(l.total));
  assert.deepEqual(Object.keys(losses[0]!.perTask).sort(), ["ctcvr", "ctr", "gmv"]);
  batches.forEach(disposeBatch);
});

test("the latent cvr tower learns through ctcvr alone", () => {
  const built = buildModel(esmmIR());
  const before = built.model.getLayer("tower_cvr_tower_dense_0").getWeights()[0]!.dataSync().slice();
  const batch = toyBatch(16, 4);
  runSteps(built, [batch], 1);
  const after = built.model.getLayer("tower_cvr_tower_dense_0").getWeights()[0]!.dataSync();
  assert.notDeepEqual(Array.from(after), Array.from(before));
  disposeBatch(batch);
});

test("same IR and seed: identical weights and identical losses after N steps", () => {
  const make = () => buildModel(esmmIR({ dropout: 0.3, batchNorm: true }));
  const batches = [toyBatch(32, 5), toyBatch(32, 6)];
  const a = make();
  const b = make();
  const la = runSteps(a, batches, 12);
  const lb = runSteps(b, batches, 12);
  assert.deepEqual(la, lb);
  const wa = a.model.weights.map((w) => Array.from(w.read().dataSync()));
  const wb = b.model.weights.map((w) => Array.from(w.read().dataSync()));
  assert.deepEqual(wa, wb);
  batches.forEach(disposeBatch);
});

test("dropout draws the same mask for the same step and a new one for the next", () => {
  const built = buildModel(sharedBottomIR({ dropout: 0.5 }));
  const batch = toyBatch(16, 7);
  const ctrAt = (step: number): number[] => {
    const restore = seedDropoutForStep(built.trainingModel, built.dropoutSeeds, step);
    try {
      return tf.tidy(() => Array.from(forward(built, batch.inputs, true).values["ctr"]!.dataSync()));
    } finally {
      restore();
    }
  };
  assert.deepEqual(ctrAt(0), ctrAt(0));
  assert.notDeepEqual(ctrAt(0), ctrAt(1));
  const name = [...built.dropoutSeeds.keys()][0]!;
  assert.equal(built.model.getLayer(name).getConfig()["seed"], built.dropoutSeeds.get(name));
  // Inference ignores dropout.
  const inference = tf.tidy(() => Array.from(forward(built, batch.inputs, false).values["ctr"]!.dataSync()));
  const again = tf.tidy(() => Array.from(forward(built, batch.inputs, false).values["ctr"]!.dataSync()));
  assert.deepEqual(inference, again);
  disposeBatch(batch);
});

test("a train step leaks no tensors", () => {
  for (const ir of [esmmIR({ dropout: 0.2, batchNorm: true }), { ...mmoeIR(), train: train({ weighting: "uncertainty", l2: 1e-3 }) }]) {
    const built = buildModel(ir);
    const batch = toyBatch(16, 8);
    const step = createTrainStep(built);
    step.run(batch); // creates the optimizer's slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) step.run(batch);
    assert.equal(tf.memory().numTensors, before);
    step.dispose();
    disposeBatch(batch);
  }
});

test("every optimizer of the IR trains", () => {
  const optimizers: [OptimizerIR, string][] = [
    [{ type: "adam", lr: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-6 }, "Adam"],
    [{ type: "adagrad", lr: 0.1, initialAccumulator: 0.1 }, "Adagrad"],
    [{ type: "sgd", lr: 0.1, momentum: 0 }, "SGD"],
    [{ type: "sgd", lr: 0.1, momentum: 0.9 }, "Momentum"],
    [{ type: "rmsprop", lr: 0.01, decay: 0.9, momentum: 0.1, epsilon: 1e-7 }, "RMSProp"],
  ];
  const batch = toyBatch(32, 9);
  for (const [config, className] of optimizers) {
    const optimizer = createOptimizer(config);
    assert.equal(optimizer.getClassName(), className);
    const ir = sharedBottomIR();
    ir.train.optimizer = config;
    const built = buildModel(ir);
    const before = built.model.getLayer("task_ctr_head").getWeights()[0]!.dataSync().slice();
    const step = createTrainStep(built, { optimizer });
    const losses = [0, 1, 2].map(() => step.run(batch).total);
    for (const l of losses) assert.ok(Number.isFinite(l), `${className}: ${l}`);
    const after = built.model.getLayer("task_ctr_head").getWeights()[0]!.dataSync();
    assert.notDeepEqual(Array.from(after), Array.from(before), className);
    step.dispose();
  }
  disposeBatch(batch);
});

test("the L2 penalty is train.l2 times the squared Dense kernels, added to the task losses", () => {
  const ir = sharedBottomIR();
  ir.train = train({ l2: 0.01, optimizer: { type: "sgd", lr: 0, momentum: 0 } });
  const built = buildModel(ir);
  let squares = 0;
  for (const w of built.model.weights) {
    if (w.originalName.endsWith("/kernel")) for (const v of w.read().dataSync()) squares += v * v;
  }
  const batch = toyBatch(16, 10);
  const [losses] = runSteps(built, [batch], 1);
  assertClose([losses!.l2], [0.01 * squares], 1e-5, "l2");
  assertClose([losses!.total], [losses!.perTask["ctr"]! + losses!.perTask["gmv"]! + losses!.l2], 1e-5, "total");
  disposeBatch(batch);
});

test("uncertainty weighting trains one log-variance per labelled task", () => {
  const ir = withAdam(esmmIR(), 0.05);
  ir.train.weighting = "uncertainty";
  const built = buildModel(ir);
  const batch = toyBatch(32, 11);
  const losses = runSteps(built, [batch], 30);
  const s = losses[losses.length - 1]!.logVariances!;
  assert.deepEqual(Object.keys(s).sort(), ["ctcvr", "ctr", "gmv"]);
  for (const v of Object.values(s)) assert.ok(Number.isFinite(v) && v !== 0);
  assert.ok(losses[losses.length - 1]!.total < losses[0]!.total);
  disposeBatch(batch);
});
